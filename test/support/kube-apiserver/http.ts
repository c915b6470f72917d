import { request } from 'node:https';

export interface KubeEndpoint {
  /** https://127.0.0.1:port */
  url: string;
  caPem: string;
}

export interface KubeResponse {
  status: number;
  contentType: string;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
  text: string;
}

export interface KubeRequestOptions {
  bearer?: string;
  body?: unknown;
  contentType?: string;
  /** Default `application/json, *\/*`; null sends no Accept header. */
  accept?: string | null;
  /** Default none (the server's field manager is then "unknown"). */
  userAgent?: string;
}

/**
 * One plain HTTPS call to an API server (real or simulated), trusting only its CA, without keep-alive,
 * so tests see exactly what the server answers. `bearer` undefined sends no Authorization header.
 */
export function kubeRequest(endpoint: KubeEndpoint, method: string, path: string, options: KubeRequestOptions = {}): Promise<KubeResponse> {
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {};
  // kube-apiserver answers 406 to the JWKS asked for as plain application/json.
  if (options.accept !== null) headers.Accept = options.accept ?? 'application/json, */*';
  if (options.userAgent) headers['User-Agent'] = options.userAgent;
  if (options.bearer !== undefined) headers.Authorization = `Bearer ${options.bearer}`;
  if (payload !== undefined) {
    headers['Content-Type'] = options.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const url = new URL(path, endpoint.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: endpoint.caPem, agent: false, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let body: unknown = text;
        if (contentType.includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, contentType, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 20 s`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
