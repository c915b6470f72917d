import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../../support/agent-process.js';
import { auth, bootstrap, decodeJwt } from '../../support/api-client.js';
import { ensureBuilt } from '../../support/build.js';
import { CountingProxy } from '../../support/counting-proxy.js';
import { KubernetesSimulator } from '../../support/kubernetes-simulator/index.js';
import { freePort } from '../../support/ports.js';
import { ServiceProcess } from '../../support/service-process.js';
import { createMysqlDatabase, type TestApp } from '../../support/test-app.js';
import { agentArgs, expectNoSecretsLogged, LOGIN, PodFiles, RENEW, sleep } from './agent-support.js';

/**
 * zerokey-agent across a restart of the service (a real process from dist/, on SQLite or, with
 * DB_TYPE=mysql, MariaDB): while the service is down the agent backs off and keeps the still-valid
 * token in its sink; once the service is back it renews (the token's row survived) without a login.
 */
describe('zerokey-agent across a service restart', () => {
  let sim: KubernetesSimulator;
  let proxy: CountingProxy;
  let service: ServiceProcess | undefined;
  let env: Record<string, string>;
  let dropDatabase: (() => Promise<void>) | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'zerokey-agent-restart-'));

  beforeAll(async () => {
    await ensureBuilt();
    sim = await KubernetesSimulator.start();
    sim.createServiceAccount('shop', 'checkout');
    sim.createPod('shop', 'checkout-7d9f', 'checkout');
    env = { ENCRYPTION_KEY: randomBytes(32).toString('base64'), DATA_DIR: dir, LOG_LEVEL: 'warn', KUBERNETES_TIMEOUT_MS: '3000' };
    if (process.env.DB_TYPE === 'mysql') {
      const db = await createMysqlDatabase();
      Object.assign(env, { DB_TYPE: 'mysql', DB_URL: db.url });
      dropDatabase = db.drop;
    } else {
      Object.assign(env, { DB_TYPE: 'sqlite', DB_PATH: join(dir, 'zerokey.sqlite') });
    }
    service = await ServiceProcess.spawn('zerokey', env);
    await service.waitReady(60_000);
    proxy = await CountingProxy.start(service.url);
  }, 120_000);

  afterAll(async () => {
    if (service?.alive()) {
      service.child.kill('SIGTERM');
      await new Promise((done) => service!.child.once('exit', done));
    }
    await proxy?.close();
    await sim?.stop();
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs off while the service is down and renews the same token once it is back', async () => {
    const admin = await bootstrap({ url: service!.url } as TestApp);
    const created = await request(service!.url).post('/api/v1/identities').set(auth(admin.token)).send({ name: 'agent-restart', organizationId: admin.orgId });
    expect(created.status).toBe(201);
    const identityId = created.body.identity.id as string;
    const attached = await request(service!.url)
      .post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`)
      .set(auth(admin.token))
      .send({ kubernetesHost: sim.url, caCert: sim.caPem, tokenReviewerJwt: sim.createReviewer(), allowedNamespaces: 'shop', allowedAudience: 'zerokey', accessTokenTTL: 30, accessTokenMaxTTL: 600 });
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);

    const files = new PodFiles();
    files.writeToken(sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' }));
    const port = await freePort();
    const agent = AgentProcess.spawn(agentArgs(proxy.url, identityId, files, ['--listen', `127.0.0.1:${port}`]));
    try {
      await waitFor(() => existsSync(files.sink), 10_000, () => agent.output());
      const held = files.readSink();

      // Down: SIGTERM (graceful), and the proxy drops every connection until the new process is up.
      proxy.down = true;
      service!.child.kill('SIGTERM');
      await new Promise((done) => service!.child.once('exit', done));
      const downSince = Date.now();
      // The new process starts at once but stays unreachable until two seconds past the renewal
      // point (2/3 of 30 s), so the agent meets the outage with a due renewal: a slow start-up
      // on a loaded machine only shortens the wait.
      const { iat, exp } = decodeJwt(held) as { iat: number; exp: number };
      const renewalFailing = iat * 1000 + ((exp - iat) * 1000 * 2) / 3 + 2000;
      service = await ServiceProcess.spawn('zerokey (restarted)', env);
      await service.waitReady(60_000);
      await sleep(Math.max(0, renewalFailing - Date.now()));
      const tries = proxy.times(RENEW, downSince).length + proxy.times(LOGIN, downSince).length;
      expect(tries, agent.output()).toBeGreaterThanOrEqual(1);
      expect(tries).toBeLessThanOrEqual(12);
      expect(files.readSink()).toBe(held);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(agent.logs().some((l) => l.msg === 'renewal failed' && typeof l.retryInMs === 'number')).toBe(true);

      proxy.target = service.url;
      proxy.down = false;
      const upSince = Date.now();
      await waitFor(() => files.readSink() !== held, 8000, () => agent.output());
      const renewed = files.readSink();
      const self = await request(service.url).get('/api/v1/auth/token/self').set(auth(renewed));
      expect(self.status, JSON.stringify(self.body)).toBe(200);
      expect(Date.now(), 'the restart took so long that the token expired').toBeLessThan(exp * 1000);
      // The token row survived the restart: a renewal, not a new login.
      expect(proxy.count(LOGIN, upSince)).toBe(0);
      expect(proxy.hits.filter((h) => h.at >= upSince && h.path === RENEW && h.status === 200).length).toBeGreaterThanOrEqual(1);
      expectNoSecretsLogged(agent, [...files.written, held, renewed]);
    } finally {
      await agent.stop('SIGKILL');
      files.remove();
    }
  }, 120_000);
});
