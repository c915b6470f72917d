import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error.js';
import type { ConsoleAsset } from './console-assets.js';
import { ConsoleController } from './console.controller.js';

const asset = (body: string, immutable = false): ConsoleAsset => ({ body: Buffer.from(body), contentType: 'text/plain', etag: `"${body}"`, immutable });

/** A reply that records what the controller sent. */
function reply() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const self = {
    headers(values: Record<string, string>) {
      Object.assign(sent.headers, Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v])));
      return self;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return self;
    },
    code(status: number) {
      sent.status = status;
      return self;
    },
    send(body?: unknown) {
      sent.body = body;
      return self;
    },
  };
  return { sent, reply: self as never };
}

describe('ConsoleController', () => {
  const controller = new ConsoleController(new Map([['index.html', asset('index')], ['assets/app-1.js', asset('app', true)]]));
  const serve = (path: string, ifNoneMatch?: string) => {
    const { sent, reply: r } = reply();
    controller.serve(path, { headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {} } as never, r);
    return sent;
  };

  it('answers a file by its exact path, and index.html for the app’s own routes', () => {
    expect(serve('assets/app-1.js')).toMatchObject({ status: 200, body: Buffer.from('app'), headers: { 'cache-control': 'public, max-age=31536000, immutable' } });
    expect(serve('orgs/1/identities')).toMatchObject({ status: 200, body: Buffer.from('index'), headers: { 'cache-control': 'no-cache' } });
    expect(serve('')).toMatchObject({ status: 200, body: Buffer.from('index') });
    expect(serve('assets/app-1.js').headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('answers 304 to a matching If-None-Match', () => {
    expect(serve('assets/app-1.js', '"app"')).toMatchObject({ status: 304, body: undefined });
  });

  it('is a 404 for a missing file, and for everything when the console was not built', () => {
    expect(() => serve('assets/app-2.js')).toThrow(DomainError);
    expect(() => serve('../../etc/passwd.txt')).toThrow(/no console file/);
    const unbuilt = new ConsoleController(new Map());
    const { reply: r } = reply();
    expect(() => unbuilt.serve('', { headers: {} } as never, r)).toThrow(/not built/);
  });
});
