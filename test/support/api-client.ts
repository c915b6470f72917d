import request from 'supertest';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'correct horse battery staple';

export interface Session {
  token: string;
  userId: string;
  orgId: string;
  email: string;
}

/** Bootstraps the instance and returns the super admin's session and first organization. */
export async function bootstrap(t: Pick<TestApp, 'url'>, email = 'admin@example.com', organization = 'Acme'): Promise<Session> {
  const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email, password: PASSWORD, organization });
  if (res.status !== 200) throw new Error(`bootstrap failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.accessToken, userId: res.body.user.id, orgId: res.body.organization.id, email };
}

export function auth(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Decodes a JWT payload without verifying it (tests only). */
export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Asserts the documented error shape and returns the body. */
export function expectError(res: request.Response, status: number, code: string): Record<string, unknown> {
  const body = res.body as Record<string, unknown>;
  if (res.status !== status || body.error !== code || body.statusCode !== status || typeof body.message !== 'string' || body.reqId !== res.headers['x-request-id']) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(body)}`);
  }
  return body;
}
