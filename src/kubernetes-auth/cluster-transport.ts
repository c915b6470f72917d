import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type HttpLibrary, type RequestContext, ResponseContext, SelfDecodingBody, wrapHttpLibrary } from '@kubernetes/client-node';
import { publicOnlyLookup } from '../common/net/private-address.js';

/** Sockets kept per cluster client; the TLS sessions to one cluster never exceed it. */
export const CLUSTER_POOL_SIZE = 16;
/** A TokenReview answer echoes an ≤ 8 KiB token; nothing a cluster sends us is near this. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface ClusterEndpoint {
  /** `https://…` (or `http://…` when TLS verification is off). */
  server: string;
  /** PEM; empty means Node's system trust store, never "no verification". */
  ca: string;
  verifyTls: boolean;
  /** Refuse private addresses on every connect (ALLOW_PRIVATE_KUBERNETES_HOSTS=false). */
  publicOnly: boolean;
}

/**
 * client-node's HTTP layer for one cluster, given to it as its `httpApi` (docs/architecture.md "The login path"):
 * Node's own http(s) client over one keep-alive agent that carries the CA and the private-host
 * guard, a timeout on the whole exchange, the bearer of the call, and no redirects followed
 * (a 3xx reaches client-node as an unexpected status, hence KubernetesBadResponse).
 */
export class ClusterTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;

  constructor(
    endpoint: ClusterEndpoint,
    private readonly timeoutMs: number,
  ) {
    this.secure = new URL(endpoint.server).protocol === 'https:';
    const pool = { keepAlive: true, maxSockets: CLUSTER_POOL_SIZE, maxFreeSockets: CLUSTER_POOL_SIZE, scheduling: 'lifo' as const, ...(endpoint.publicOnly ? { lookup: publicOnlyLookup } : {}) };
    this.agent = this.secure ? new HttpsAgent({ ...pool, rejectUnauthorized: endpoint.verifyTls, ...(endpoint.ca ? { ca: endpoint.ca } : {}) }) : new HttpAgent(pool);
  }

  /**
   * The HttpLibrary of one call, sending `bearer` (none: anonymous, as GET /version allows) and
   * asking for `accept` only: JSON, whatever client-node would accept (never protobuf or YAML).
   */
  library(bearer: string | null, accept = 'application/json'): HttpLibrary {
    return wrapHttpLibrary({ send: (context) => this.send(context, bearer, accept) });
  }

  /** Closes the pooled sockets; calls still running fail with a connection error. */
  close(): void {
    this.agent.destroy();
  }

  private send(context: RequestContext, bearer: string | null, accept: string): Promise<ResponseContext> {
    const body = context.getBody();
    if (body !== undefined && typeof body !== 'string') return Promise.reject(new TypeError('only JSON bodies are sent to a cluster'));
    const headers: Record<string, string | number> = Object.fromEntries(Object.entries(context.getHeaders()).filter(([name]) => name.toLowerCase() !== 'accept'));
    headers.accept = accept;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const send = this.secure ? httpsRequest : httpRequest;
    return new Promise<ResponseContext>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, response?: ResponseContext): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(response!);
      };
      const request = send(context.getUrl(), { method: context.getHttpMethod(), headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) finish(new SyntaxError('the cluster answer is larger than 1 MiB'));
          else chunks.push(chunk);
        });
        response.on('end', () => finish(null, new ResponseContext(response.statusCode ?? 0, flatten(response.headers), new SelfDecodingBody(Promise.resolve(Buffer.concat(chunks))))));
        response.on('error', (error) => finish(error));
        response.on('aborted', () => finish(Object.assign(new Error('the cluster closed the connection mid-answer'), { code: 'ECONNRESET' })));
      });
      const timer = setTimeout(() => finish(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { name: 'TimeoutError' })), this.timeoutMs);
      request.on('error', (error) => finish(error));
      request.end(body);
    });
  }
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
