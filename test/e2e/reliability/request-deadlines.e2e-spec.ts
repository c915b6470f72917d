import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../support/api-client.js';
import { checkoutToken, type ClusterWorld, identityWithConfig, login, populateClusterWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';
import { ServiceProcess } from '../../support/service-process.js';

/**
 * docs/architecture.md "Faults and shutdown": every request gets an answer in the API's error
 * shape, whatever its handler waits for. A login whose TokenReview hangs (KUBERNETES_TIMEOUT_MS
 * longer than REQUEST_TIMEOUT_MS) gets 503 RequestTimeout instead of a connection closed with no
 * answer; on SIGTERM, new connections are refused (idle keep-alive ones closed), and a login still in its TokenReview near the end of SHUTDOWN_GRACE_MS gets 503 ShuttingDown
 * (never a 502 from the closing cluster pool) before the process exits.
 */

describe('REQUEST_TIMEOUT_MS', () => {
  it('a login hanging in its TokenReview gets 503 RequestTimeout, and the service goes on answering', async () => {
    const w = await startKubernetesWorld({ REQUEST_TIMEOUT_MS: '1000', KUBERNETES_TIMEOUT_MS: '60000' });
    try {
      const identityId = await identityWithConfig(w);
      w.sim.setFault({ kind: 'hang' });
      const started = Date.now();
      const res = await login(w, identityId, checkoutToken(w)).timeout(20_000);
      expectError(res, 503, 'RequestTimeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      w.sim.setFault(null);
      const ok = await login(w, identityId, checkoutToken(w)).timeout(20_000);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    } finally {
      await w.close();
    }
  }, 30_000);
});

describe('SIGTERM with requests in flight', () => {
  const GRACE_MS = 3000;
  let sim: KubernetesSimulator;
  let service: ServiceProcess;
  let world: ClusterWorld;
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    ({ service, stop } = await ServiceProcess.spawnOnSqlite({ KUBERNETES_TIMEOUT_MS: '60000', SHUTDOWN_GRACE_MS: String(GRACE_MS) }));
    world = await populateClusterWorld(service, sim);
  }, 90_000);

  afterAll(async () => {
    stop?.();
    await sim?.stop();
  });

  /** One request on `agent`, answered as status, headers and parsed body. */
  function send(agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(`${service.url}${path}`, { agent, method, headers: text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {} }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data ? JSON.parse(data) : {} }));
      });
      req.on('error', reject);
      req.end(text);
    });
  }

  it('refuses new connections, answers 503 ShuttingDown (Connection: close) to logins stuck in their TokenReview, then exits within the grace', async () => {
    const identityId = await identityWithConfig(world);
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    // Opens the keep-alive connection the later request will arrive on.
    expect((await send(keepAlive, 'GET', '/api/status')).status).toBe(200);

    sim.setFault({ kind: 'hang' });
    const stuck = send(new Agent(), 'POST', '/api/v1/auth/kubernetes-auth/login', { identityId, jwt: checkoutToken(world) });
    // A second connection, busy with a stuck login of its own: closing the server leaves it open.
    const busy = connect(Number(new URL(service.url).port), '127.0.0.1');
    let received = '';
    busy.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const busyEnded = new Promise<void>((resolve) => busy.once('close', () => resolve()));
    const loginBody = JSON.stringify({ identityId, jwt: checkoutToken(world) });
    busy.write(`POST /api/v1/auth/kubernetes-auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(loginBody)}\r\n\r\n${loginBody}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    const signalled = Date.now();
    service.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));

    // The idle keep-alive connection was closed and a new one is refused: the probe sees not ready.
    await expect(send(keepAlive, 'GET', '/api/status/ready')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // A request pipelined on the busy connection is not served: the login's answer says
    // Connection: close and the connection ends, so the client knows to retry it elsewhere.
    busy.write('GET /api/status/ready HTTP/1.1\r\nHost: localhost\r\n\r\n');

    const answer = await stuck;
    expect(answer.status, JSON.stringify(answer.body)).toBe(503);
    expect(answer.body).toMatchObject({ statusCode: 503, error: 'ShuttingDown' });
    await busyEnded;
    const statusLines = received.match(/^HTTP\/1\.1 \d{3}[^\r]*/gm) ?? [];
    expect(statusLines).toEqual(['HTTP/1.1 503 Service Unavailable']);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 503, error: 'ShuttingDown' });
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(GRACE_MS + 1000);
    keepAlive.destroy();
    sim.setFault(null);
  }, 30_000);
});
