import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { ConfigError, loadConfig } from '../../src/config/config.schema.js';
import { expectError } from '../support/api-client.js';
import { freePort } from '../support/ports.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 14, transport: HTTPS from TLS_CERT_FILE/TLS_KEY_FILE, the pair re-read when the files
 * change (as cert-manager renews a mounted Secret) without a restart, a broken replacement
 * ignored, and /metrics on a port of its own with METRICS_PORT.
 */

const dir = mkdtempSync(join(tmpdir(), 'zerokey-tls-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');

/** A fresh self-signed P-256 certificate for 127.0.0.1 (openssl, as an operator would make one). */
function makePair(name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** Installs a pair the way a Secret volume update does: each file replaced whole (rename), never edited in place. */
function install(pair: { cert: string; key: string }): void {
  writeFileSync(`${keyFile}.new`, pair.key);
  writeFileSync(`${certFile}.new`, pair.cert);
  renameSync(`${keyFile}.new`, keyFile);
  renameSync(`${certFile}.new`, certFile);
}

/** GET /api/status over a new TLS connection; the certificate the server presented and the status. */
function fetchOverTls(url: string, ca: string[]): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(`${url}/api/status`, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS with TLS_CERT_FILE / TLS_KEY_FILE', () => {
  const first = makePair('first');
  const second = makePair('second');
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    install(first);
    t = await startTestApp({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    url = t.url.replace('http://', 'https://');
  });
  afterAll(async () => t?.close());

  it('serves HTTPS with the configured certificate (and no plain HTTP on that port)', async () => {
    expect(await fetchOverTls(url, [first.cert])).toEqual({ status: 200, fingerprint: first.fingerprint });
    await expect(request(t.url).get('/api/status').timeout(3000)).rejects.toThrow();
  });

  it('picks up a renewed certificate without a restart; a broken replacement keeps the current one', async () => {
    install(second);
    const deadline = Date.now() + 15_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await fetchOverTls(url, [first.cert, second.cert])).fingerprint;
      if (seen === second.fingerprint) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(seen).toBe(second.fingerprint);

    // A key that does not belong to the certificate (a renewal caught half-way): ignored.
    install({ cert: second.cert, key: first.key });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await fetchOverTls(url, [first.cert, second.cert])).toEqual({ status: 200, fingerprint: second.fingerprint });
  }, 30_000);
});

describe('TLS configuration errors', () => {
  it('one file without the other is refused, naming the missing variable', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: certFile })).toThrow(ConfigError);
    expect(() => loadConfig({ TLS_CERT_FILE: certFile })).toThrow(/TLS_KEY_FILE/);
    expect(() => loadConfig({ TLS_KEY_FILE: keyFile })).toThrow(/TLS_CERT_FILE/);
  });

  it('an unreadable file or a mismatched pair stops the start with a clear message and no key material', async () => {
    const pair = makePair('third');
    const other = makePair('fourth');
    const missing = loadConfig({ TLS_CERT_FILE: join(dir, 'absent.crt'), TLS_KEY_FILE: keyFile, DB_PATH: ':memory:', DATA_DIR: dir });
    await expect(createApp(missing)).rejects.toThrow(/TLS_CERT_FILE .*absent\.crt cannot be read/);
    writeFileSync(join(dir, 'mismatch.crt'), pair.cert);
    writeFileSync(join(dir, 'mismatch.key'), other.key);
    const mismatched = loadConfig({ TLS_CERT_FILE: join(dir, 'mismatch.crt'), TLS_KEY_FILE: join(dir, 'mismatch.key'), DB_PATH: ':memory:', DATA_DIR: dir });
    const error = await createApp(mismatched).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/not a usable PEM certificate and key pair/);
    expect(error?.message).not.toContain('PRIVATE KEY');
  });
});

describe('METRICS_PORT', () => {
  let t: TestApp;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    t = await startTestApp({ METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => t?.close());

  it('serves /metrics on its own port only; the API port answers 404 NotFound for it', async () => {
    const own = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics');
    expect(own.status).toBe(200);
    expect(own.text).toContain('zerokey_http_request_duration_seconds');
    expect((await request(`http://127.0.0.1:${metricsPort}`).get('/api/status')).status).toBe(404);
    expectError(await request(t.url).get('/metrics'), 404, 'NotFound');
  });

  it('METRICS_PORT must be a port other than PORT', () => {
    expect(() => loadConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});
