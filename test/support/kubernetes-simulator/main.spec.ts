import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';
import { runStandalone, StandaloneInfo } from './main.js';
import { call, tokenReviewBody } from './test-client.js';

describe('KubernetesSimulator standalone mode with --control', () => {
  const caFile = join(tmpdir(), `kubernetes-simulator-spec-${process.pid}-ca.pem`);
  let sim: KubernetesSimulator;
  let info: StandaloneInfo;
  const control = (path: string, body?: unknown) => call(info.url, readFileSync(info.caFile, 'utf8'), { path, body });

  beforeAll(async () => {
    ({ simulator: sim, info } = await runStandalone(['--port', '0', '--ca-out', caFile, '--control'], {}));
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(caFile, { force: true });
  });

  it('reports url, CA file, reviewer token and issuer', () => {
    expect(info).toEqual({
      url: sim.url,
      caFile,
      reviewerToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      issuer: 'https://kubernetes.default.svc.cluster.local',
    });
    expect(readFileSync(caFile, 'utf8')).toBe(sim.caPem);
  });

  it('mints demo tokens over /_sim/mint that the reviewer can review', async () => {
    const minted = await control('/_sim/mint', { namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' });
    const { token } = JSON.parse(minted.text) as { token: string };

    const res = await call(info.url, sim.caPem, { bearer: info.reviewerToken, body: tokenReviewBody(token, ['zerokey']) });

    expect(minted.status).toBe(200);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)['status']['user']['extra']['authentication.kubernetes.io/node-name']).toEqual(['node-a']);
  });

  it('sets and clears faults over /_sim/fault and refuses unknown ones', async () => {
    const set = await control('/_sim/fault', { kind: 'status500' });
    const faulted = await call(info.url, sim.caPem, { bearer: info.reviewerToken, body: tokenReviewBody('x') });
    const cleared = await control('/_sim/fault', null);
    const healthy = await call(info.url, sim.caPem, { path: '/version' });
    const unknown = await control('/_sim/fault', { kind: 'meteor' });

    expect(set.status).toBe(200);
    expect(faulted.status).toBe(500);
    expect(cleared.status).toBe(200);
    expect(healthy.status).toBe(200);
    expect(unknown.status).toBe(400);
  });

  it('answers mint errors with 400 and a message', async () => {
    const res = await control('/_sim/mint', { namespace: 'shop', serviceAccount: 'ghost' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ error: 'serviceaccounts "ghost" not found in namespace "shop"' });
  });
});

describe('KubernetesSimulator without --control', () => {
  it('does not expose /_sim endpoints', async () => {
    const sim = await KubernetesSimulator.start();
    try {
      const res = await call(sim.url, sim.caPem, { path: '/_sim/mint', body: { namespace: 'a', serviceAccount: 'b' } });
      // An anonymous caller is refused the unknown path, as by the real server's RBAC.
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({ kind: 'Status', reason: 'Forbidden', message: 'forbidden: User "system:anonymous" cannot post path "/_sim/mint"' });
    } finally {
      await sim.stop();
    }
  });
});
