import { Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { send } from './http.js';
import { cpuMs } from './processes.js';

/** What one load run measured. Latencies in ms, of successful (2xx) requests only. */
export interface LoadStats {
  connections: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU time the measured server process spent per successful request, in µs (when its pid is known). */
  cpuUsPerRequest?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

function summarize(connections: number, latencies: number[], errors: number, seconds: number): LoadStats {
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections,
    requests: latencies.length,
    errors,
    seconds: round(seconds, 2),
    rps: round(latencies.length / seconds, 0),
    p50: round(percentile(sorted, 50), 3),
    p99: round(percentile(sorted, 99), 3),
  };
}

export interface CannonRun {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds to run, or… */
  seconds?: number;
  /** …a number of requests to send. */
  amount?: number;
  /** The server's pid, to report its CPU time per request. */
  pid?: number;
}

/**
 * An autocannon run, in this process. Latencies come from its per-response event (sub-millisecond
 * precision; autocannon's own histogram rounds to whole milliseconds).
 */
export function cannon(run: CannonRun): Promise<LoadStats> {
  const latencies: number[] = [];
  const started = performance.now();
  const cpuBefore = run.pid ? cpuMs(run.pid) : 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: run.url,
        method: run.method ?? 'GET',
        headers: run.headers,
        body: run.body,
        connections: run.connections,
        pipelining: 1,
        timeout: 10,
        // Results come at the first sample tick after the end: tick often, so a run lasts what it says.
        sampleInt: 100,
        ...(run.amount ? { amount: run.amount } : { duration: run.seconds ?? 1 }),
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - started) / 1000;
        const stats = summarize(run.connections, latencies, result.errors + result.timeouts + result.non2xx, seconds);
        if (run.pid && stats.requests > 0) stats.cpuUsPerRequest = Math.round(((cpuMs(run.pid) - cpuBefore) * 1000) / stats.requests);
        resolve(stats);
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

export interface DirectRun {
  clusterUrl: string;
  ca: string;
  reviewerToken: string;
  token: string;
  audience: string;
  connections: number;
  seconds: number;
  /** The simulator's pid, to report its CPU time per review. */
  pid?: number;
  /** Idle time between a worker's reviews, in ms (0: back to back). */
  gapMs?: number;
}

/**
 * TokenReview straight at the simulator with a keep-alive agent, as Zerokey's own client does:
 * the floor under the login's latency. A closed loop of `connections` workers.
 */
export async function directTokenReview(run: DirectRun): Promise<LoadStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: run.connections, ca: run.ca });
  const url = `${run.clusterUrl}/apis/authentication.k8s.io/v1/tokenreviews`;
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: run.token, audiences: [run.audience] } });
  const headers = { authorization: `Bearer ${run.reviewerToken}` };
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const cpuBefore = run.pid ? cpuMs(run.pid) : 0;
  const deadline = started + run.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const answer = await send(url, { method: 'POST', headers, body, agent });
        if (answer.status === 201 && answer.text.includes('"authenticated":true')) latencies.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
      }
      if (run.gapMs) await new Promise((resolve) => setTimeout(resolve, run.gapMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: run.connections }, worker));
  } finally {
    agent.destroy();
  }
  const stats = summarize(run.connections, latencies, errors, (performance.now() - started) / 1000);
  if (run.gapMs) stats.rps = Math.round(stats.requests / stats.seconds);
  if (run.pid && stats.requests > 0) stats.cpuUsPerRequest = Math.round(((cpuMs(run.pid) - cpuBefore) * 1000) / stats.requests);
  return stats;
}
