import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../../support/agent-process.js';
import { auth, decodeJwt } from '../../support/api-client.js';
import { ensureBuilt } from '../../support/build.js';
import { CountingProxy } from '../../support/counting-proxy.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';
import { createPki } from '../../support/kubernetes-simulator/pki.js';
import { freePort } from '../../support/ports.js';
import { agentArgs, expectNoSecretsLogged, gaps, jtiOf, LOGIN, PodFiles, RENEW, sleep } from './agent-support.js';

/**
 * zerokey-agent (docs/agent.md) as a real process from dist/, against the real service and the
 * Kubernetes simulator, through a proxy that counts every request: tokens stay fresh across
 * TTLs, rotated service-account tokens are read afresh, failures back off instead of looping.
 */
describe('zerokey-agent against Zerokey', () => {
  let w: KubernetesWorld;
  let proxy: CountingProxy;
  const running: AgentProcess[] = [];
  const pods: PodFiles[] = [];

  const pod = (): PodFiles => {
    const files = new PodFiles();
    pods.push(files);
    files.writeToken(checkoutToken(w));
    return files;
  };
  const spawnAgent = (args: string[], env: Record<string, string> = {}): AgentProcess => {
    const agent = AgentProcess.spawn(args, env);
    running.push(agent);
    return agent;
  };
  const self = (token: string) => request(w.t.url).get('/api/v1/auth/token/self').set(auth(token));
  const health = async (port: number): Promise<number> => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;

  beforeAll(async () => {
    await ensureBuilt();
    w = await startKubernetesWorld();
    w.sim.createPod('shop', 'checkout-b2', 'checkout');
    proxy = await CountingProxy.start(w.t.url);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((agent) => agent.stop('SIGKILL')));
    for (const files of pods.splice(0)) files.remove();
    w.sim.setFault(null);
    proxy.down = false;
    proxy.inject(LOGIN, undefined);
  });
  afterAll(async () => {
    await proxy?.close();
    await w?.close();
  });

  it('keeps a token fresh across several TTLs (TTL 2 s, max TTL 5 s) and reads the rotated service-account token at every login', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 2, accessTokenMaxTTL: 5 });
    const files = pod();
    const port = await freePort();
    const start = Date.now();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files, ['--listen', `127.0.0.1:${port}`]));
    await waitFor(() => existsSync(files.sink), 5000, () => agent.output());
    // The kubelet rotates the projected token: the next login must send the new one.
    files.writeToken(checkoutToken(w, { pod: 'checkout-b2' }));
    const podNames = new Set<string>();
    const seen = new Set<string>();
    while (Date.now() - start < 11_500) {
      const token = files.readSink();
      seen.add(token);
      const res = await self(token);
      expect(res.status, `a token in the sink was refused: ${JSON.stringify(res.body)}\n${agent.output()}`).toBe(200);
      expect(await health(port)).toBe(200);
      podNames.add((decodeJwt(token).kubernetes as { podName: string }).podName);
      await sleep(200);
    }
    expect([...podNames].sort()).toEqual(['checkout-7d9f', 'checkout-b2']);
    const logins = proxy.count(LOGIN, start);
    const renewals = proxy.count(RENEW, start);
    // 11.5 s with a max TTL of 5 s: a login at the start and one ahead of each max TTL.
    expect(logins, agent.output()).toBeGreaterThanOrEqual(2);
    expect(logins).toBeLessThanOrEqual(5);
    expect(renewals).toBeGreaterThanOrEqual(3);
    expect(renewals).toBeLessThanOrEqual(30);
    // It logs in again ahead of the max TTL, never by running into a refused renewal.
    expect(proxy.hits.filter((h) => h.at >= start && h.status !== 200)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^zerokey_agent_requests_total\{endpoint="login",outcome="ok"\} [2-5]$/m);
    expect(metrics).toMatch(/^zerokey_agent_token_valid 1$/m);
    expect(await agent.stop()).toBe(0);
    expectNoSecretsLogged(agent, [...files.written, ...seen]);
  });

  it('writes the sink atomically, mode 0600: a concurrent reader never sees a partial file', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 1, accessTokenMaxTTL: 3 });
    const files = pod();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files, ['--sink-format', 'json']));
    await waitFor(() => existsSync(files.sink), 5000, () => agent.output());
    // A reader in its own process, reading as fast as it can while the agent renews twice a second.
    const reader = `
      const fs = require('node:fs'); const end = Date.now() + 4000; let reads = 0, bad = 0; const tokens = new Set();
      while (Date.now() < end) { const text = fs.readFileSync(${JSON.stringify(files.sink)}, 'utf8'); reads++;
        try { const v = JSON.parse(text); if (typeof v.accessToken !== 'string' || v.accessToken.split('.').length !== 3 || isNaN(Date.parse(v.expiresAt))) bad++; else tokens.add(v.accessToken); } catch { bad++; } }
      console.log(JSON.stringify({ reads, bad, distinct: tokens.size }));`;
    // Asynchronous: the service under test runs in this process and must keep answering the agent.
    const result = await new Promise<string>((done, fail) => execFile(process.execPath, ['-e', reader], (error, stdout) => (error ? fail(error) : done(stdout))));
    const counts = JSON.parse(result) as { reads: number; bad: number; distinct: number };
    expect(counts.reads).toBeGreaterThan(1000);
    expect(counts.bad).toBe(0);
    expect(counts.distinct, agent.output()).toBeGreaterThanOrEqual(3);
    expect(statSync(files.sink).mode & 0o777).toBe(0o600);
    await agent.stop();
    expect(readdirSync(files.dir).sort()).toEqual(['token', 'zerokey-token']);
  });

  it('logs in again when its token is revoked', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 2, accessTokenMaxTTL: 600 });
    const files = pod();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files));
    await waitFor(() => existsSync(files.sink), 5000, () => agent.output());
    const first = files.readSink();
    const revoked = await request(w.t.url).post('/api/v1/auth/token/revoke').send({ accessToken: first });
    expect(revoked.status).toBe(200);
    const since = Date.now();
    await waitFor(() => jtiOf(files.readSink()) !== jtiOf(first), 5000, () => agent.output());
    expect((await self(files.readSink())).status).toBe(200);
    expect(proxy.hits.filter((h) => h.at >= since && h.path === RENEW && h.status === 401)).toHaveLength(1);
    expect(proxy.count(LOGIN, since)).toBe(1);
    expect(agent.logs().some((l) => l.code === 'AccessTokenRevoked')).toBe(true);
  });

  it('backs off on 5xx from the service (full jitter, no hot loop) and recovers', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 60 });
    const files = pod();
    const port = await freePort();
    w.sim.setFault({ kind: 'status500' });
    const start = Date.now();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files, ['--listen', `127.0.0.1:${port}`]));
    await sleep(4000);
    const attempts = proxy.times(LOGIN, start);
    // Base 200 ms, ceiling 1 s in this spec: about 6 tries in 4 s; a hot loop would be thousands.
    expect(attempts.length, agent.output()).toBeGreaterThanOrEqual(3);
    expect(attempts.length).toBeLessThanOrEqual(16);
    expect(Math.min(...gaps(attempts))).toBeGreaterThanOrEqual(180);
    expect(proxy.hits.filter((h) => h.at >= start).every((h) => h.status === 502)).toBe(true);
    expect(await health(port)).toBe(503);
    expect(agent.logs().some((l) => l.code === 'KubernetesBadResponse')).toBe(true);
    w.sim.setFault(null);
    await waitFor(() => existsSync(files.sink), 3000, () => agent.output());
    expect(await health(port)).toBe(200);
  });

  it('honours Retry-After on 429', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 60 });
    const files = pod();
    proxy.inject(LOGIN, { status: 429, headers: { 'retry-after': '1' }, body: { statusCode: 429, error: 'RateLimited', message: 'too many requests', reqId: 'x' } });
    const start = Date.now();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files), { ZEROKEY_AGENT_BACKOFF_MAX_MS: '5000' });
    await sleep(3600);
    const attempts = proxy.times(LOGIN, start);
    expect(attempts.length, agent.output()).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(4);
    expect(Math.min(...gaps(attempts))).toBeGreaterThanOrEqual(950);
    expect(agent.logs().some((l) => l.code === 'RateLimited')).toBe(true);
    proxy.inject(LOGIN, undefined);
    await waitFor(() => existsSync(files.sink), 6000, () => agent.output());
  });

  it('never loops hot on a refused login (403), and says why', async () => {
    const identityId = await identityWithConfig(w, { allowedNamespaces: 'payments' });
    const files = pod();
    const start = Date.now();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files));
    await sleep(3000);
    const attempts = proxy.times(LOGIN, start);
    expect(attempts.length, agent.output()).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(12);
    expect(Math.min(...gaps(attempts))).toBeGreaterThanOrEqual(180);
    expect(agent.logs().filter((l) => l.code === 'NamespaceNotAllowed' && l.status === 403).length).toBe(attempts.length);
    expect(existsSync(files.sink)).toBe(false);
  });

  it('keeps serving the last valid token while the service is down, until it expires, then recovers', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 3, accessTokenMaxTTL: 600 });
    const files = pod();
    const port = await freePort();
    const agent = spawnAgent(agentArgs(proxy.url, identityId, files, ['--listen', `127.0.0.1:${port}`]));
    await waitFor(() => existsSync(files.sink), 5000, () => agent.output());
    const held = files.readSink();
    proxy.down = true;
    const expiresAt = (decodeJwt(held).exp as number) * 1000;
    while (Date.now() < expiresAt - 300) {
      expect(files.readSink()).toBe(held);
      expect(await health(port)).toBe(200);
      await sleep(200);
    }
    await waitFor(async () => (await health(port)) === 503, 2000, () => agent.output());
    expect(files.readSink()).toBe(held);
    proxy.down = false;
    await waitFor(() => files.readSink() !== held, 3000, () => agent.output());
    expect((await self(files.readSink())).status).toBe(200);
    expect(await health(port)).toBe(200);
  });

  it('revokes its token on SIGTERM with --revoke-on-exit, and only then', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 60 });
    for (const revoke of [true, false]) {
      const files = pod();
      const agent = spawnAgent(agentArgs(proxy.url, identityId, files, revoke ? ['--revoke-on-exit'] : []));
      await waitFor(() => existsSync(files.sink), 5000, () => agent.output());
      const token = files.readSink();
      expect(await agent.stop('SIGTERM')).toBe(0);
      const res = await self(token);
      expect(res.status, JSON.stringify(res.body)).toBe(revoke ? 401 : 200);
      if (revoke) expect(res.body.error).toBe('AccessTokenRevoked');
    }
  });

  it('verifies the service over HTTPS with --ca-cert, and refuses a certificate it cannot verify', async () => {
    const identityId = await identityWithConfig(w);
    const files = pod();
    const pki = await createPki();
    const tlsProxy = await CountingProxy.start(w.t.url, { key: pki.serverKeyPem, cert: pki.serverCertPem });
    try {
      writeFileSync(join(files.dir, 'ca.pem'), pki.caPem);
      writeFileSync(join(files.dir, 'other-ca.pem'), pki.otherCaPem);
      const trusted = await AgentProcess.run(agentArgs(tlsProxy.url, identityId, files, ['--once', '--ca-cert', join(files.dir, 'ca.pem')]));
      expect(trusted.code, trusted.output).toBe(0);
      expect((await self(files.readSink())).status).toBe(200);
      for (const extra of [[], ['--ca-cert', join(files.dir, 'other-ca.pem')]]) {
        const refused = await AgentProcess.run(agentArgs(tlsProxy.url, identityId, files, ['--once', ...extra]));
        expect(refused.code, refused.output).toBe(3);
        expect(refused.output).toMatch(/"code":"(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)"/);
      }
      expect(tlsProxy.count(LOGIN)).toBe(1);
      expect((await AgentProcess.run(agentArgs(tlsProxy.url, identityId, files, ['--once', '--ca-cert', join(files.dir, 'missing.pem')]))).code).toBe(2);
    } finally {
      await tlsProxy.close();
    }
  });

  describe('--once (init containers)', () => {
    it('exits 0 after writing the token (json sink, mode 0600)', async () => {
      const identityId = await identityWithConfig(w);
      const files = pod();
      const orgs = await request(w.t.url).get('/api/v1/organizations').set(auth(w.admin.token));
      const { code, output } = await AgentProcess.run(agentArgs(proxy.url, identityId, files, ['--once', '--sink-format', 'json', '--organization-slug', orgs.body.organizations[0].slug]));
      expect(code, output).toBe(0);
      const written = JSON.parse(files.readSink()) as { accessToken: string; expiresAt: string };
      expect(Object.keys(written).sort()).toEqual(['accessToken', 'expiresAt']);
      expect(Date.parse(written.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
      expect(statSync(files.sink).mode & 0o777).toBe(0o600);
      expect((await self(written.accessToken)).status).toBe(200);
    });

    it('exits 1 with the error code when the login is refused', async () => {
      const identityId = await identityWithConfig(w);
      const files = pod();
      const wrongSlug = await AgentProcess.run(agentArgs(proxy.url, identityId, files, ['--once', '--organization-slug', 'someone-else']));
      expect(wrongSlug.code, wrongSlug.output).toBe(1);
      expect(wrongSlug.output).toContain('"code":"KubernetesAuthNotConfigured"');
      const unknown = await AgentProcess.run(agentArgs(proxy.url, '00000000-0000-4000-8000-000000000000', files, ['--once']));
      expect(unknown.code).toBe(1);
      files.writeToken(checkoutToken(w, { audience: 'somewhere-else' }));
      const audience = await AgentProcess.run(agentArgs(proxy.url, identityId, files, ['--once']));
      expect(audience.code).toBe(1);
      expect(audience.output).toContain('"code":"AudienceNotAllowed"');
      expect(existsSync(files.sink)).toBe(false);
    });

    it('exits 3 when the service is unreachable or failing, 2 on a usage error', async () => {
      const identityId = await identityWithConfig(w);
      const files = pod();
      const closed = await AgentProcess.run(agentArgs(`http://127.0.0.1:${await freePort()}`, identityId, files, ['--once']));
      expect(closed.code, closed.output).toBe(3);
      expect(closed.output).toContain('"code":"ECONNREFUSED"');
      w.sim.setFault({ kind: 'status500' });
      const failing = await AgentProcess.run(agentArgs(proxy.url, identityId, files, ['--once']));
      expect(failing.code).toBe(3);
      const usage = await AgentProcess.run(['--url', proxy.url, '--identity-id', identityId, '--once']);
      expect(usage.code).toBe(2);
      expect(usage.output).toContain('--sink is required');
      const env = await AgentProcess.run(['--sink', files.sink, '--token-path', files.tokenPath, '--once'], { ZEROKEY_URL: proxy.url, ZEROKEY_IDENTITY_ID: identityId.toUpperCase() });
      expect(env.code, 'ZEROKEY_URL and ZEROKEY_IDENTITY_ID are read').toBe(3);
    });
  });
});

describe('zerokey-agent against the real rate limit (LOGIN_RATE_LIMIT=3)', () => {
  let w: KubernetesWorld;
  let proxy: CountingProxy;
  beforeAll(async () => {
    await ensureBuilt();
    w = await startKubernetesWorld({ LOGIN_RATE_LIMIT: '3' });
    proxy = await CountingProxy.start(w.t.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await w?.close();
  });

  it('answers 429 with Retry-After once the window is spent, and the agent backs off instead of hammering', async () => {
    const identityId = await identityWithConfig(w, { accessTokenTTL: 60 });
    // Windows are clock minutes: start well inside one, so the agent's first try still meets it.
    const second = new Date().getSeconds() + new Date().getMilliseconds() / 1000;
    if (second > 56) await sleep((60.3 - second) * 1000);
    // Spend this minute's window of the client IP (a request counts whether or not it succeeds).
    for (let i = 0; i < 3; i++) await request(w.t.url).post(LOGIN).send({ identityId, jwt: 'x' });
    const files = new PodFiles();
    files.writeToken(checkoutToken(w));
    const start = Date.now();
    const agent = AgentProcess.spawn(agentArgs(proxy.url, identityId, files), { ZEROKEY_AGENT_BACKOFF_MAX_MS: '1500' });
    try {
      await sleep(3500);
      const hits = proxy.hits.filter((h) => h.at >= start);
      // Either still inside the spent window (all 429), or a new minute began and the login went through.
      const limited = hits.filter((h) => h.status === 429);
      expect(limited.length, agent.output()).toBeGreaterThanOrEqual(1);
      expect(hits.length).toBeLessThanOrEqual(8);
      expect(Math.min(...gaps(hits.map((h) => h.at)))).toBeGreaterThanOrEqual(180);
      expect(agent.logs().filter((l) => l.code === 'RateLimited').length).toBe(limited.length);
    } finally {
      await agent.stop('SIGKILL');
      files.remove();
    }
  });
});
