import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../../src/app.factory.js';
import { auth, expectError } from '../../support/api-client.js';
import { identityWithConfig, type KubernetesWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/*
 * Transport-level hostility: body and header limits, broken HTTP framing, request smuggling
 * attempts, and clients that stall. Raw sockets, so that nothing a well-behaved client library
 * would fix up on the way reaches the server fixed.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (rather than our own timeout ending the wait). */
  closedByServer: boolean;
  ms: number;
}

/** Writes `data` on a fresh connection and reads until the server closes it or `waitMs` passes. */
function raw(url: string, data: Buffer | string, waitMs = 3000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(data));
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8'), closedByServer, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error) => (chunks.length ? finish(true) : reject(error)));
  });
}

/** The API's error shape on a raw answer (the body is the whole rest of the stream, one response). */
function expectRawError(answer: RawAnswer, status: number, code: string): Record<string, unknown> {
  expect(answer.status, answer.body).toBe(status);
  const body = JSON.parse(answer.headers['content-length'] ? answer.body.slice(0, Number(answer.headers['content-length'])) : answer.body) as Record<string, unknown>;
  expect(body).toMatchObject({ statusCode: status, error: code, message: expect.any(String), reqId: answer.headers['x-request-id'] });
  return body;
}

const HOST = 'Host: zerokey.test\r\n';

let w: KubernetesWorld;
let identityId: string;

beforeAll(async () => {
  w = await startKubernetesWorld();
  identityId = await identityWithConfig(w);
});

afterAll(async () => {
  await w?.close();
});

/** Every route that takes a body, with ids that exist. */
function bodyRoutes(): [string, string][] {
  const k8s = `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
  return [
    ['post', '/api/v1/admin/bootstrap'],
    ['post', '/api/v1/auth/login'],
    ['post', '/api/v1/auth/kubernetes-auth/login'],
    ['post', '/api/v1/auth/token/renew'],
    ['post', '/api/v1/auth/token/revoke'],
    ['post', '/api/v1/users/me/password'],
    ['post', '/api/v1/organizations'],
    ['post', `/api/v1/organizations/${w.admin.orgId}/memberships`],
    ['patch', `/api/v1/organizations/${w.admin.orgId}/memberships/${randomUUID()}`],
    ['post', '/api/v1/identities'],
    ['patch', `/api/v1/identities/${identityId}`],
    ['post', k8s],
    ['patch', k8s],
  ];
}

describe('body limit (64 KiB)', () => {
  it('a body over 64 KiB answers 413 PayloadTooLarge on every route that takes one, with or without a bearer', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT_BYTES) });
    for (const [method, path] of bodyRoutes()) {
      for (const headers of [{}, auth(w.admin.token)]) {
        const res = await (request(w.t.url) as unknown as Record<string, (p: string) => request.Test>)[method](path).set(headers).set('Content-Type', 'application/json').send(big);
        expectError(res, 413, 'PayloadTooLarge');
      }
    }
  });

  it('the limit is on bytes, not characters: 22k three-byte characters are over it', async () => {
    const res = await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).send({ name: '中'.repeat(22_000), organizationId: w.admin.orgId });
    expectError(res, 413, 'PayloadTooLarge');
  });

  it('a declared Content-Length of 10 GiB is refused at once, without waiting for the body', async () => {
    const answer = await raw(w.t.url, `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n`);
    expectRawError(answer, 413, 'PayloadTooLarge');
    expect(answer.ms).toBeLessThan(2000);
  });

  it('a chunked body that grows past 64 KiB is cut off with 413', async () => {
    const chunk = `4000\r\n${'a'.repeat(0x4000)}\r\n`;
    const answer = await raw(w.t.url, `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(5)}0\r\n\r\n`);
    expectRawError(answer, 413, 'PayloadTooLarge');
  });
});

describe('header limits', () => {
  it('a 20 KB header answers 400 BadRequest in the error shape and closes the connection; the server keeps serving', async () => {
    for (const [name, value] of [
      ['X-Big', 'a'.repeat(20_000)],
      ['Authorization', `Bearer ${'a'.repeat(20_000)}`],
      ['Cookie', 'c=1; '.repeat(4000)],
    ]) {
      const answer = await raw(w.t.url, `GET /api/v1/organizations HTTP/1.1\r\n${HOST}${name}: ${value}\r\n\r\n`);
      expect(answer.status, `${name}: ${answer.body}`).toBeLessThan(500);
      expect([400, 431]).toContain(answer.status);
      expectRawError(answer, 400, 'BadRequest');
      expect(answer.headers.connection).toBe('close');
      expect(answer.closedByServer).toBe(true);
    }
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    const answer = await raw(w.t.url, `GET /api/status HTTP/1.1\r\n${HOST}${many}\r\n\r\n`);
    expectRawError(answer, 400, 'BadRequest');
    expect((await request(w.t.url).get('/api/status')).status).toBe(200);
  });

  it('a 15 KB bearer (under the header limit) is read and refused by the guard', async () => {
    expectError(await request(w.t.url).get('/api/v1/organizations').set('Authorization', `Bearer ${'a'.repeat(15_000)}`), 401, 'InvalidAccessToken');
  });
});

describe('broken HTTP framing', () => {
  it.each([
    ['a raw non-ASCII byte in the path', Buffer.concat([Buffer.from('GET /api/v1/identities/'), Buffer.from([0xff, 0xfe]), Buffer.from(` HTTP/1.1\r\n${HOST}\r\n`)])],
    ['a space in the path', `GET /api/v1/identities/a b HTTP/1.1\r\n${HOST}\r\n`],
    ['an unknown method', `BREW /api/status HTTP/1.1\r\n${HOST}\r\n`],
    ['an unknown HTTP version', `GET /api/status HTTP/9.9\r\n${HOST}\r\n`],
    ['a NUL in a header value', `GET /api/status HTTP/1.1\r\n${HOST}X-A: a\u0000b\r\n\r\n`],
    ['a bare LF line ending inside a header', `GET /api/status HTTP/1.1\r\n${HOST}X-A: a\nX-B: b\r\n\r\n`],
    ['an obsolete folded header', `GET /api/status HTTP/1.1\r\n${HOST}X-A: a\r\n b\r\n\r\n`],
    ['a negative Content-Length', `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n`],
    ['two different Content-Lengths', `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`],
    ['Content-Length with Transfer-Encoding (smuggling)', `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['a bad chunk size', `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
  ])('%s answers 400 BadRequest in the error shape and closes', async (_label, data) => {
    const answer = await raw(w.t.url, data);
    expectRawError(answer, 400, 'BadRequest');
    expect(answer.headers.connection).toBe('close');
    expect(answer.closedByServer).toBe(true);
  });

  it('a request without Host (HTTP/1.1) is refused by Node itself with 400 and a closed connection', async () => {
    // Node answers this one before Fastify or the error handler run: an empty body, not the shape.
    const answer = await raw(w.t.url, 'GET /api/status HTTP/1.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.closedByServer).toBe(true);
  });

  it('a smuggled second request after a short Content-Length is never executed as a request of its own', async () => {
    const smuggled = `POST /api/v1/organizations HTTP/1.1\r\n${HOST}Authorization: Bearer ${w.admin.token}\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"name":"smuggled"}`;
    const answer = await raw(w.t.url, `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`);
    expect(answer.status).toBe(400);
    const orgs = (await request(w.t.url).get('/api/v1/organizations').set(auth(w.admin.token))).body.organizations as { name: string }[];
    expect(orgs.map((o) => o.name)).not.toContain('smuggled');
  });

  it('pipelined requests are answered, and garbage after them ends the connection in the error shape', async () => {
    const { hostname, port } = new URL(w.t.url);
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`GET /api/status HTTP/1.1\r\n${HOST}\r\nGET /api/status/ready HTTP/1.1\r\n${HOST}\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    socket.write('GARBAGE\r\n\r\n');
    const closedByServer = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
    socket.destroy();
    expect(text.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(2);
    expect(text).toContain('{"status":"ok"}');
    expect(text).toContain('"status":"ready"');
    expect(text).toMatch(/HTTP\/1\.1 400 Bad Request[\s\S]*"error":"BadRequest"/);
    expect(closedByServer).toBe(true);
  });
});

describe('slow and stalled clients', () => {
  it('the server bounds how long a request may take to arrive (requestTimeout 30 s, headersTimeout ≤ 60 s, idle sockets 35 s: past the 30 s answer deadline)', () => {
    // The 30 s cut-off itself is not waited for here (too slow for the suite); these are the
    // values Node enforces, read from the listening server.
    const server = w.t.app.getHttpServer() as { requestTimeout: number; headersTimeout: number; timeout: number; keepAliveTimeout: number };
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(60_000);
    // Longer than REQUEST_TIMEOUT_MS, so a slow handler gets its 503 RequestTimeout before the socket could close unanswered.
    expect(server.timeout).toBe(35_000);
    expect(server.keepAliveTimeout).toBeGreaterThan(0);
  });

  it('clients that send headers and half a body, or half the headers, then stall do not hold up anyone else', async () => {
    const { hostname, port } = new URL(w.t.url);
    const stalled = Array.from({ length: 20 }, (_, i) => {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => undefined);
      socket.write(
        i % 2
          ? `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"slow@example.com","pass`
          : `GET /api/v1/organizations HTTP/1.1\r\n${HOST}Authorization: Bearer ${w.admin.token.slice(0, 40)}`,
      );
      return socket;
    });
    try {
      let answered = false;
      for (const socket of stalled) socket.once('data', () => (answered = true));
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 20 }, () => request(w.t.url).get('/api/v1/organizations').set(auth(w.admin.token)).timeout(5000)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 300));
      expect(answered, 'a stalled request must not be answered before it is complete').toBe(false);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });

  it('a client that disconnects mid-body leaves no half-written state: the next requests work', async () => {
    const { hostname, port } = new URL(w.t.url);
    for (let i = 0; i < 10; i++) {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => undefined);
      socket.write(`POST /api/v1/identities HTTP/1.1\r\n${HOST}Authorization: Bearer ${w.admin.token}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"name":"half-${i}","organizationId":"${w.admin.orgId}"`);
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    const list = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities?search=half-`).set(auth(w.admin.token));
    expect(list.status).toBe(200);
    expect(list.body.totalCount).toBe(0);
  });
});

describe('pagination bounds', () => {
  it.each(['1e20', '99999999999999999999', '9223372036854775807', '9007199254740993'])('offset=%s answers 422, not a 500', async (offset) => {
    for (const path of [`/api/v1/organizations/${w.admin.orgId}/identities`, `/api/v1/organizations/${w.admin.orgId}/memberships`, `/api/v1/identities/${identityId}/access-tokens`, `/api/v1/organizations/${w.admin.orgId}/audit-logs`, '/api/v1/admin/audit-logs']) {
      const body = expectError(await request(w.t.url).get(`${path}?offset=${offset}`).set(auth(w.admin.token)), 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['offset']);
    }
  });

  it('the largest exact integer offset is accepted (an empty page)', async () => {
    const res = await request(w.t.url).get(`/api/v1/admin/audit-logs?offset=${Number.MAX_SAFE_INTEGER}`).set(auth(w.admin.token));
    expect(res.status).toBe(200);
    expect(res.body.auditLogs).toEqual([]);
  });
});
