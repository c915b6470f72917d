import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** An answer the proxy gives instead of forwarding (for faults the real service cannot be made to give on cue). */
export interface InjectedAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a Zerokey, for agent specs: it counts the requests of
 * each path (with their arrival times), can answer a path itself, can play "service down"
 * (the socket is destroyed), and can be pointed at another upstream (a restarted service).
 */
export class CountingProxy {
  readonly hits: { path: string; at: number; status: number }[] = [];
  url!: string;
  target: string;
  down = false;
  private readonly injected = new Map<string, InjectedAnswer>();
  private server!: Server;

  private constructor(target: string) {
    this.target = target;
  }

  /** With `tls`, the proxy itself serves HTTPS with that certificate (to test clients' CA handling). */
  static async start(target: string, tls?: { key: string; cert: string }): Promise<CountingProxy> {
    const proxy = new CountingProxy(target);
    const handler: RequestListener = (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const record = (status: number): void => void proxy.hits.push({ path, at: Date.now(), status });
      if (proxy.down) {
        record(0);
        req.socket.destroy();
        return;
      }
      const answer = proxy.injected.get(path);
      if (answer) {
        req.resume();
        req.on('end', () => {
          record(answer.status);
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
        });
        return;
      }
      const upstream = httpRequest(new URL(req.url ?? '/', proxy.target), { method: req.method, headers: req.headers }, (up) => {
        record(up.statusCode ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => {
        record(0);
        req.socket.destroy();
      });
      req.pipe(upstream);
    };
    proxy.server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    await new Promise<void>((done) => proxy.server.listen(0, '127.0.0.1', done));
    proxy.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** Answers `path` with `answer` until cleared with `inject(path, undefined)`. */
  inject(path: string, answer: InjectedAnswer | undefined): void {
    if (answer) this.injected.set(path, answer);
    else this.injected.delete(path);
  }

  /** Requests to `path` (all of them, or those since `since`). */
  count(path: string, since = 0): number {
    return this.hits.filter((h) => h.path === path && h.at >= since).length;
  }

  times(path: string, since = 0): number[] {
    return this.hits.filter((h) => h.path === path && h.at >= since).map((h) => h.at);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}
