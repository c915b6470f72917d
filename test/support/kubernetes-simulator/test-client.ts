import { Agent, request } from 'node:https';
import { IncomingHttpHeaders } from 'node:http';
import { TOKEN_REVIEWS_PATH } from './request-handler.js';

/** A bare HTTPS client for the simulator's own specs: real TLS, no library in between. */
export interface CallOptions {
  method?: string;
  path?: string;
  bearer?: string;
  /** Serialised as JSON unless already a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The CA to trust; default the simulator's. */
  ca?: string;
  agent?: Agent;
  /** Destroys the request with Error('client timeout') after this many ms. */
  timeoutMs?: number;
}

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function call(baseUrl: string, ca: string, options: CallOptions = {}): Promise<CallResult> {
  const url = new URL(options.path ?? TOKEN_REVIEWS_PATH, baseUrl);
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
  return new Promise<CallResult>((resolve, reject) => {
    const req = request(
      url,
      { method, headers, ca: options.ca ?? ca, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

export function tokenReviewBody(token: string, audiences?: string[]): Record<string, unknown> {
  const spec: Record<string, unknown> = { token };
  if (audiences) spec['audiences'] = audiences;
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec };
}

/** The JWT's claims, unverified. */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, any>;
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}
