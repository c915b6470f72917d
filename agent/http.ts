import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface ApiResponse {
  status: number;
  body: Record<string, unknown> | undefined;
  retryAfter: string | undefined;
}

/** A failure before any HTTP status arrived: refused, reset, DNS, TLS, timeout. */
export class NetworkError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** POSTs JSON to the Zerokey (or Infisical) API over one keep-alive connection pool. */
export class ApiClient {
  private readonly agent: HttpAgent;

  constructor(
    private readonly baseUrl: URL,
    private readonly timeoutMs: number,
    ca: string | undefined,
  ) {
    this.agent = baseUrl.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 2, ...(ca ? { ca } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  }

  post(path: string, body: Record<string, unknown>): Promise<ApiResponse> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.href.endsWith('/') ? this.baseUrl : new URL(`${this.baseUrl.href}/`));
    const payload = Buffer.from(JSON.stringify(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'POST', agent: this.agent, timeout: this.timeoutMs, headers: { 'content-type': 'application/json', 'content-length': payload.length, accept: 'application/json', 'user-agent': 'zerokey-agent' } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new NetworkError('ResponseTooLarge'));
          else chunks.push(chunk);
        });
        res.on('error', (error) => reject(asNetworkError(error)));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: parseObject(Buffer.concat(chunks).toString('utf8')), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
        });
      });
      req.on('timeout', () => req.destroy(new NetworkError('Timeout')));
      req.on('error', (error) => reject(asNetworkError(error)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function asNetworkError(error: Error): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new NetworkError(typeof code === 'string' ? code : 'NetworkError');
}
