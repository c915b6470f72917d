import { request as httpRequest } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';

export interface Answer {
  status: number;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** CA for https URLs (the simulator's). */
  ca?: string;
  /** A keep-alive agent; without it every request has its own connection. */
  agent?: Agent;
  timeoutMs?: number;
}

/** One request over http or https; JSON bodies are serialized. Never throws on a status. */
export function send(url: string, options: RequestOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const https = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const common = { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, timeout: options.timeoutMs ?? 10_000 };
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = https
      ? httpsRequest(target, { ...common, ca: options.ca, agent: options.agent ?? false }, onResponse)
      : httpRequest(target, { ...common, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${common.method} ${target.pathname}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Like send(), but expects `status` and returns the parsed JSON body. */
export async function sendJson<T>(url: string, options: RequestOptions, status = 200): Promise<T> {
  const answer = await send(url, options);
  if (answer.status !== status) {
    throw new Error(`${options.method ?? 'GET'} ${new URL(url).pathname} answered ${answer.status}, expected ${status}: ${answer.text.slice(0, 500)}`);
  }
  return JSON.parse(answer.text) as T;
}
