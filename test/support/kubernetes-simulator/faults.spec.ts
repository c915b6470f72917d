import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSimulator } from './index.js';
import { call, tokenReviewBody } from './test-client.js';

describe('KubernetesSimulator faults', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;
  let token: string;
  let checkoutUid: string;
  const review = (timeoutMs?: number) => call(sim.url, sim.caPem, { bearer: reviewer, body: tokenReviewBody(token), timeoutMs });

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewer = sim.createReviewer();
    checkoutUid = sim.createServiceAccount('shop', 'checkout').uid;
    token = sim.mint({ namespace: 'shop', serviceAccount: 'checkout' });
  });
  afterEach(() => {
    sim.setFault(null);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('latency delays TokenReviews and /version, then answers normally', async () => {
    sim.setFault({ kind: 'latency', ms: 250 });

    let started = performance.now();
    const res = await review();
    const reviewMs = performance.now() - started;
    started = performance.now();
    const version = await call(sim.url, sim.caPem, { path: '/version' });
    const versionMs = performance.now() - started;

    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)['status']['authenticated']).toBe(true);
    expect(reviewMs).toBeGreaterThanOrEqual(240);
    expect(version.status).toBe(200);
    expect(versionMs).toBeGreaterThanOrEqual(240);
  });

  it('hang never answers, so a client-side timeout fires', async () => {
    sim.setFault({ kind: 'hang' });
    const before = sim.counters.tokenReviews;

    await expect(review(300)).rejects.toThrow('client timeout');
    expect(sim.counters.tokenReviews).toBe(before + 1);
  });

  it('status500 answers an InternalError Status', async () => {
    sim.setFault({ kind: 'status500' });

    const res = await review();

    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.text)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: simulated fault',
      reason: 'InternalError',
      details: { causes: [{ message: 'simulated fault' }] },
      code: 500,
    });
  });

  it('truncated-json answers 201 JSON that does not parse, and spares /version', async () => {
    sim.setFault({ kind: 'truncated-json' });

    const res = await review();
    const version = await call(sim.url, sim.caPem, { path: '/version' });

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text.startsWith('{"kind":"TokenReview"')).toBe(true);
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError);
    expect(JSON.parse(version.text)['gitVersion']).toBe('v1.31.0');
  });

  it('connection-reset drops the connection after reading the request', async () => {
    sim.setFault({ kind: 'connection-reset' });
    const before = sim.counters.tokenReviews;

    await expect(review()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(sim.counters.tokenReviews).toBe(before + 1);
  });

  it('not-a-service-account authenticates the token as a human user', async () => {
    sim.setFault({ kind: 'not-a-service-account' });

    const body = JSON.parse((await review()).text);

    expect(body['status']['authenticated']).toBe(true);
    expect(body['status']['user']).toMatchObject({ username: 'jane@example.com', groups: ['system:authenticated'] });
  });

  it('wrong-service-account names another account in the same namespace', async () => {
    sim.setFault({ kind: 'wrong-service-account' });

    const body = JSON.parse((await review()).text);

    expect(body['status']['authenticated']).toBe(true);
    expect(body['status']['user']['username']).toBe('system:serviceaccount:shop:impostor');
    expect(body['status']['user']['uid']).not.toBe(checkoutUid);
  });

  it('answers honestly again once the fault is cleared', async () => {
    sim.setFault({ kind: 'not-a-service-account' });
    sim.setFault(null);

    const body = JSON.parse((await review()).text);

    expect(body['status']['user']['username']).toBe('system:serviceaccount:shop:checkout');
  });
});

describe('KubernetesSimulator stop() with a hung request', () => {
  it('destroys the hung socket and resolves', async () => {
    const sim = await KubernetesSimulator.start();
    sim.setFault({ kind: 'hang' });
    const pending = call(sim.url, sim.caPem, { bearer: 'whatever', body: tokenReviewBody('x') });
    const outcome = pending.then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await expect.poll(() => sim.counters.tokenReviews, { timeout: 2000 }).toBe(1);

    await expect(sim.stop()).resolves.toBeUndefined();
    await expect(sim.stop()).resolves.toBeUndefined();
    await expect(outcome).resolves.toBe('ECONNRESET');
  });
});

describe('KubernetesSimulator TLS and counters', () => {
  let sim: KubernetesSimulator;
  let reviewer: string;
  let token: string;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewer = sim.createReviewer();
    sim.createServiceAccount('shop', 'checkout');
    token = sim.mint({ namespace: 'shop', serviceAccount: 'checkout' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('fails the handshake for a client that trusts another CA', async () => {
    sim.resetCounters();

    await expect(call(sim.url, sim.otherCaPem, { path: '/version' })).rejects.toMatchObject({
      code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/),
    });
    expect(sim.counters).toMatchObject({ tcpConnections: 1, tlsSessions: 0 });
  });

  it('presents a certificate valid for localhost as well as 127.0.0.1', async () => {
    const before = sim.counters.tlsSessions;
    const socket = connect({ host: '127.0.0.1', port: sim.port, servername: 'localhost', ca: sim.caPem });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      expect(socket.authorized).toBe(true);
      // The server completes its side of the handshake after the client; wait so later counts stay clean.
      await expect.poll(() => sim.counters.tlsSessions, { timeout: 2000 }).toBe(before + 1);
    } finally {
      socket.destroy();
    }
  });

  it('reuses one TLS session for many reviews over a keep-alive agent and counts refused reviews', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: sim.caPem });
    sim.resetCounters();
    try {
      for (let i = 0; i < 5; i++) {
        const res = await call(sim.url, sim.caPem, { agent, bearer: reviewer, body: tokenReviewBody(token) });
        expect(res.status).toBe(201);
      }
      expect(sim.counters).toEqual({ tokenReviews: 5, jwksFetches: 0, tcpConnections: 1, tlsSessions: 1 });

      const refused = await call(sim.url, sim.caPem, { agent, bearer: 'nope', body: tokenReviewBody(token) });
      const anonymous = await call(sim.url, sim.caPem, { agent, body: tokenReviewBody(token) });
      await call(sim.url, sim.caPem, { agent, path: '/version' });

      expect([refused.status, anonymous.status]).toEqual([401, 403]);
      expect(sim.counters).toEqual({ tokenReviews: 7, jwksFetches: 0, tcpConnections: 1, tlsSessions: 1 });
    } finally {
      agent.destroy();
    }
  });
});
