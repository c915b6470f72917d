import { cpus, totalmem } from 'node:os';
import type { LoadStats } from './load.js';

export interface Figures {
  date: string;
  machine: { nproc: number; cpu: string; ramGb: number; node: string };
  database: 'sqlite' | 'mysql';
  smoke: boolean;
  zerokeyNodeFlags: string[];
  secondsPerRun: number;
  readyMs: number;
  direct: { c1: LoadStats; c16: LoadStats; paced: LoadStats & { gapMs: number } };
  login: { c1: LoadStats; c16: LoadStats };
  /** The same login with verification "jwks", c=16, and what the cluster saw during it. */
  jwks: { c16: LoadStats; tokenReviews: number; jwksFetches: number };
  guard: { tokenSelf: LoadStats; status: LoadStats; ratio: number };
  tls: { sessions: number; tcpConnections: number; tokenReviews: number; poolSize: number };
  rss: { logins: number; baselineMb: number; afterFirstMb: number; afterSecondMb: number; growthMb: number };
  /** Server CPU per request against the framework-free baseline (bench/bare.ts), c=16, runs alternated. */
  bare: { login: CpuComparison; guard: CpuComparison };
}

export interface CpuComparison {
  zerokeyUs: number;
  bareUs: number;
  ratio: number;
}

export interface Target {
  name: string;
  value: number;
  limit: number;
  unit: string;
  met: boolean;
}

/** RSS may move by this much over the second run and still count as flat (GC heap sizing noise). */
export const RSS_FLAT_TOLERANCE_MB = 5;

/** The targets (bench/README.md), as ratios and limits from this one run. */
export function evaluate(f: Figures): Target[] {
  const overhead = round(f.login.c1.p50 - f.direct.c1.p50, 3);
  const loginLimit = f.database === 'mysql' ? 2.5 : 2;
  return [
    { name: 'login CPU per request ÷ bare baseline (c=16)', value: f.bare.login.ratio, limit: loginLimit, unit: '×', met: f.bare.login.ratio <= loginLimit },
    { name: 'token/self CPU per request ÷ bare baseline (c=16)', value: f.bare.guard.ratio, limit: 1.5, unit: '×', met: f.bare.guard.ratio <= 1.5 },
    { name: 'login p50 (c=1) above direct TokenReview p50', value: overhead, limit: 2, unit: 'ms', met: overhead <= 2 },
    { name: 'token/self throughput / status throughput', value: f.guard.ratio, limit: 0.7, unit: 'ratio ≥', met: f.guard.ratio >= 0.7 },
    { name: 'TLS sessions to the cluster (whole login phase)', value: f.tls.sessions, limit: f.tls.poolSize, unit: 'sessions', met: f.tls.sessions <= f.tls.poolSize },
    { name: `RSS after ${f.rss.logins} logins`, value: f.rss.afterFirstMb, limit: 200, unit: 'MB', met: f.rss.afterFirstMb <= 200 },
    { name: `RSS growth over a second ${f.rss.logins}`, value: f.rss.growthMb, limit: RSS_FLAT_TOLERANCE_MB, unit: 'MB', met: f.rss.growthMb <= RSS_FLAT_TOLERANCE_MB },
    { name: 'start → ready', value: f.readyMs, limit: 3000, unit: 'ms', met: f.readyMs <= 3000 },
    { name: 'JWKS login CPU ÷ TokenReview login CPU (c=16)', value: round((f.jwks.c16.cpuUsPerRequest ?? 0) / (f.login.c16.cpuUsPerRequest ?? 1), 2), limit: 1, unit: '×', met: (f.jwks.c16.cpuUsPerRequest ?? Infinity) < (f.login.c16.cpuUsPerRequest ?? 0) },
    { name: 'cluster calls per JWKS login (TokenReviews + key fetches)', value: round((f.jwks.tokenReviews + f.jwks.jwksFetches) / Math.max(1, f.jwks.c16.requests), 4), limit: 0, unit: 'calls', met: f.jwks.tokenReviews + f.jwks.jwksFetches === 0 },
  ];
}

export function machine(): Figures['machine'] {
  const info = cpus();
  return { nproc: info.length, cpu: info[0]?.model.trim() ?? 'unknown', ramGb: round(totalmem() / 2 ** 30, 1), node: process.version };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const fixed = (value: number | null): string => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '–');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

function loadRow(name: string, s: LoadStats): string[] {
  return [name, String(s.connections), String(s.requests), String(s.rps), fixed(s.p50), fixed(s.p99), String(s.errors), s.cpuUsPerRequest === undefined ? '' : String(s.cpuUsPerRequest)];
}

export function render(f: Figures, targets: Target[]): string {
  const load = table([
    ['run', 'conc', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU µs/req'],
    loadRow('TokenReview direct (keep-alive)', f.direct.c1),
    loadRow('TokenReview direct (keep-alive)', f.direct.c16),
    loadRow(`TokenReview direct, ${f.direct.paced.gapMs} ms apart`, f.direct.paced),
    loadRow('Kubernetes login', f.login.c1),
    loadRow('Kubernetes login', f.login.c16),
    loadRow('Kubernetes login, verification jwks', f.jwks.c16),
    loadRow('GET /api/v1/auth/token/self', f.guard.tokenSelf),
    loadRow('GET /api/status', f.guard.status),
  ]);
  const other = table([
    ['figure', 'value'],
    ['start → ready', `${f.readyMs} ms`],
    ['login p50 (c=1) above direct p50: back to back / paced', `${round(f.login.c1.p50 - f.direct.c1.p50, 2)} / ${round(f.login.c1.p50 - f.direct.paced.p50, 2)} ms`],
    ['token/self ÷ status throughput', f.guard.ratio.toFixed(3)],
    ['cluster calls during the JWKS run: TokenReviews / key fetches', `${f.jwks.tokenReviews} / ${f.jwks.jwksFetches} over ${f.jwks.c16.requests} logins`],
    ['TLS sessions / TCP connections (logins)', `${f.tls.sessions} / ${f.tls.tcpConnections} over ${f.tls.tokenReviews} reviews (pool ${f.tls.poolSize})`],
    ['login CPU µs/req: Zerokey / bare (ratio)', `${f.bare.login.zerokeyUs} / ${f.bare.login.bareUs} (${f.bare.login.ratio}×)`],
    ['token/self CPU µs/req: Zerokey / bare (ratio)', `${f.bare.guard.zerokeyUs} / ${f.bare.guard.bareUs} (${f.bare.guard.ratio}×)`],
    ['RSS before / after 1st / after 2nd', `${f.rss.baselineMb} / ${f.rss.afterFirstMb} / ${f.rss.afterSecondMb} MB (${f.rss.logins} logins each)`],
  ]);
  const verdicts = table([['target', 'value', 'limit', 'met'], ...targets.map((t) => [t.name, String(t.value), `${t.limit} ${t.unit}`, t.met ? 'yes' : 'NO'])]);
  const flags = f.zerokeyNodeFlags.length ? ` — Zerokey flags ${f.zerokeyNodeFlags.join(' ')}` : '';
  const head = `Zerokey benchmark — ${f.date} — ${f.database}${f.smoke ? ' (smoke)' : ''} — ${f.machine.nproc} × ${f.machine.cpu}, ${f.machine.ramGb} GB, Node ${f.machine.node}${flags}`;
  return [head, '', load, '', other, '', verdicts].join('\n');
}
