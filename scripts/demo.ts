#!/usr/bin/env node
/**
 * `npm run demo`: the whole Zerokey flow on one machine, nothing else needed.
 *
 * Starts the Kubernetes API simulator and Zerokey (from dist/, on a temporary SQLite database with a
 * random ENCRYPTION_KEY, both on free ports), then walks through bootstrap, identity, Kubernetes auth,
 * a workload login, the access token, renewal, revocation and a refused login, printing every step as
 * the curl command a user would type plus the answer. Exits 0 when every answer is the expected one,
 * 1 otherwise; always stops both processes and removes its temporary files (also on Ctrl-C).
 *
 *   node dist/scripts/demo.js [--short]      (DEMO_SHORT=1 = --short: one line per step, for CI)
 *   node dist/scripts/demo.js cluster --port N --ca-out FILE
 *        the simulator as the demo runs it: the project's standalone simulator (test/support) with
 *        --control, plus a second service account web/frontend (pod frontend-5c8b) for the refusal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, randomBytes, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { freePort } from '../test/support/ports.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runStandalone } from '../test/support/kubernetes-simulator/main.js';

// dist/scripts/demo.js → the repository root.
const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const SELF = join(ROOT, 'dist', 'scripts', 'demo.js');
const READY_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 15_000;

const ADMIN = { email: 'admin@example.com', password: 'change-me-please-123', organization: 'Acme' };
const NAMESPACE = 'shop';
const AUDIENCE = 'zerokey';

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const useColor = process.stdout.isTTY === true && !process.env['NO_COLOR'];
const paint = (code: string) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');

let short = false;
function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Secrets and long values as a person would show them: `eyJhbGciOiJF…`. */
function shorten(value: string): string {
  if (/^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(value)) return `${value.slice(0, 12)}…`;
  if (value.startsWith('-----BEGIN')) return `${value.slice(0, value.indexOf('\n') + 1)}MII…`;
  if (value.length > 90) return `${value.slice(0, 80)}…`;
  return value;
}

function shortenDeep(value: unknown): unknown {
  if (typeof value === 'string') return shorten(value);
  if (Array.isArray(value)) return value.map(shortenDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shortenDeep(v)]));
  }
  return value;
}

/** Pretty JSON, secrets shortened, at most `maxLines` lines. */
function pretty(value: unknown, maxLines = 40): string {
  const lines = JSON.stringify(shortenDeep(value), null, 2).split('\n');
  if (lines.length <= maxLines) return lines.join('\n');
  return [...lines.slice(0, maxLines - 1), `  … (${lines.length - maxLines + 1} more lines)`].join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;  
  text: string;
}

interface Call {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  bearer?: string;
  /** PEM to trust (the simulator's HTTPS). */
  ca?: string;
}

function send(call: Call): Promise<Answer> {
  const url = new URL(call.url);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (call.bearer) headers['authorization'] = `Bearer ${call.bearer}`;
  const options = { method: call.method, headers, agent: false as const, timeout: REQUEST_TIMEOUT_MS, ...(call.ca ? { ca: call.ca } : {}) };
  return new Promise((done, fail) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', fail);
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${call.method} ${call.url} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', fail);
    req.end(payload);
  });
}

/** The curl command a user would type for `call` (URLs through $ZK / $K8S, secrets shortened). */
function curl(call: Call, vars: Record<string, string>): string {
  let url = call.url;
  for (const [name, base] of Object.entries(vars)) {
    if (url.startsWith(base)) url = `$${name}${url.slice(base.length)}`;
  }
  const parts = ['curl -s'];
  if (call.ca) parts.push(`--cacert "$K8S_CA"`);
  if (call.method !== 'GET') parts.push(`-X ${call.method}`);
  parts.push(`"${url}"`);
  const lines = [parts.join(' ')];
  if (call.bearer) lines.push(`-H "Authorization: Bearer ${shorten(call.bearer)}"`);
  if (call.body !== undefined) {
    if (!call.ca) lines.push(`-H 'Content-Type: application/json'`);
    lines.push(`-d '${JSON.stringify(shortenDeep(call.body))}'`);
  }
  return lines.join(' \\\n    ');
}

// ---------------------------------------------------------------------------------------------
// Processes and clean-up
// ---------------------------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  isRunning: () => boolean;
}

const processes: Proc[] = [];
let tempDir: string | undefined;
let cleaning: Promise<void> | undefined;

function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-64 * 1024);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  let running = true;
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => {
      running = false;
      setImmediate(() => done(code));
    });
    child.once('error', (error) => {
      keep(`${error.message}\n`);
      running = false;
      done(null);
    });
  });
  const proc: Proc = { name, child, output: () => output, exited, isRunning: () => running };
  processes.push(proc);
  return proc;
}

async function stopProcess(proc: Proc): Promise<void> {
  if (!proc.isRunning()) return;
  try {
    proc.child.kill('SIGTERM');
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    if (proc.isRunning()) proc.child.kill('SIGKILL');
  }, 5000);
  await proc.exited;
  clearTimeout(timer);
}

function removeTemp(): void {
  if (tempDir) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = undefined;
  }
}

function cleanup(): Promise<void> {
  cleaning ??= Promise.all(processes.map(stopProcess)).then(removeTemp, removeTemp);
  return cleaning;
}

// Last resort when the process exits without going through cleanup().
process.on('exit', () => {
  for (const proc of processes) {
    if (proc.isRunning()) proc.child.kill('SIGKILL');
  }
  removeTemp();
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\ndemo: ${signal}, stopping the simulator and Zerokey\n`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

class DemoFailure extends Error {
  constructor(
    message: string,
    readonly answer?: Answer,
  ) {
    super(message);
  }
}

function expect(condition: unknown, message: string, answer?: Answer): asserts condition {
  if (!condition) throw new DemoFailure(message, answer);
}

let stepNumber = 0;
let vars: Record<string, string> = {};

function heading(title: string): void {
  stepNumber += 1;
  if (!short) {
    out();
    out(bold(cyan(`── ${stepNumber}. ${title} `.padEnd(100, '─'))));
  }
}

function note(text: string): void {
  if (!short) out(dim(text));
}

/** Runs one request, prints it as curl + answer, and checks the status. */
async function step(title: string, call: Call, expectedStatus: number, show?: (body: any) => unknown): Promise<Answer> {
  heading(title);
  if (!short) out(`$ ${curl(call, vars)}`);
  const answer = await send(call);
  const shown = show && answer.status === expectedStatus ? show(answer.body) : answer.body;
  if (short) {
    const mark = answer.status === expectedStatus ? green('ok ') : red('ERR');
    out(`${mark} ${String(stepNumber).padStart(2)}. ${title.padEnd(64)} ${call.method} ${new URL(call.url).pathname.replace(/[0-9a-f-]{36}/g, '…')} → ${answer.status}`);
  } else {
    const status = answer.status === expectedStatus ? green(`HTTP ${answer.status}`) : red(`HTTP ${answer.status} (expected ${expectedStatus})`);
    out(status);
    if (shown !== undefined) out(pretty(shown));
  }
  expect(answer.status === expectedStatus, `${title}: expected HTTP ${expectedStatus}, got ${answer.status}`, answer);
  return answer;
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, any>; signature: Buffer; signed: string } {
  const parts = token.split('.');
  expect(parts.length === 3, 'an access token must be a JWT with three parts');
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: json(parts[0]!), claims: json(parts[1]!), signature: Buffer.from(parts[2]!, 'base64url'), signed: `${parts[0]}.${parts[1]}` };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function walkthrough(zk: string, k8s: string, caPem: string, caFile: string, reviewerToken: string): Promise<void> {
  vars = { ZK: zk, K8S: k8s };
  if (!short) {
    out();
    out(bold('The walkthrough (every command as you would type it; secrets shortened):'));
    out(`$ ZK=${zk}`);
    out(`$ K8S=${k8s} K8S_CA=${caFile}`);
  }

  // 1. Bootstrap: the first user (super admin) and organization, with a session token.
  const boot = await step('Bootstrap the instance (first admin + organization)', { method: 'POST', url: `${zk}/api/v1/admin/bootstrap`, body: ADMIN }, 200);
  const adminToken: string = boot.body?.accessToken;
  const orgId: string = boot.body?.organization?.id;
  expect(typeof adminToken === 'string' && UUID.test(orgId ?? ''), 'bootstrap must return an accessToken and an organization id', boot);
  note('→ ADMIN_TOKEN=<accessToken>, ORG_ID=<organization.id>');

  // 2. An identity for the checkout service.
  const created = await step('Create the identity "checkout"', { method: 'POST', url: `${zk}/api/v1/identities`, bearer: adminToken, body: { name: 'checkout', organizationId: orgId } }, 201);
  const identityId: string = created.body?.identity?.id;
  expect(UUID.test(identityId ?? '') && created.body.identity.name === 'checkout', 'the identity must come back with an id and its name', created);
  note('→ IDENTITY_ID=<identity.id>');

  // 3. Kubernetes auth: which cluster, which reviewer, which service accounts.
  const attach = await step(
    'Attach Kubernetes auth (reviewer token, CA, audience, namespace)',
    {
      method: 'POST',
      url: `${zk}/api/v1/auth/kubernetes-auth/identities/${identityId}`,
      bearer: adminToken,
      body: {
        kubernetesHost: k8s,
        caCert: caPem,
        tokenReviewerJwt: reviewerToken,
        allowedNamespaces: NAMESPACE,
        allowedAudience: AUDIENCE,
        accessTokenTTL: 600,
        accessTokenMaxTTL: 3600,
      },
    },
    201,
  );
  const config = attach.body?.identityKubernetesAuth;
  expect(config?.tokenReviewerSource === 'stored' && config?.tokenReviewerJwtSet === true && !('tokenReviewerJwt' in config), 'the config must use the stored reviewer and never return its token', attach);
  expect(Array.isArray(attach.body?.warnings) && attach.body.warnings.length === 0, 'a complete config must produce no warnings', attach);
  note('The reviewer token is write-only: the answer says tokenReviewerJwtSet: true and never returns it.');

  // 4. The workload's projected service-account token (in a pod: the mounted file).
  const mint = await step(
    'Mint a projected service-account token for shop/checkout',
    { method: 'POST', url: `${k8s}/_sim/mint`, ca: caPem, body: { namespace: NAMESPACE, serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: AUDIENCE, lifetimeSeconds: 600 } },
    200,
  );
  const saJwt: string = mint.body?.token;
  expect(typeof saJwt === 'string' && saJwt.startsWith('eyJ'), 'the simulator must mint a JWT', mint);
  const sa = decodeJwt(saJwt);
  expect(sa.claims['kubernetes.io']?.namespace === NAMESPACE, 'the minted token must be for namespace shop');
  if (!short) {
    note('In a pod this is the file of a projected token volume (see deploy/kubernetes/example-workload.yaml). Its claims:');
    out(pretty({ aud: sa.claims.aud, sub: sa.claims.sub, iss: sa.claims.iss, 'kubernetes.io': sa.claims['kubernetes.io'] }));
  }

  // 5. The workload logs in.
  const login = await step('Log in as the workload (Kubernetes auth)', { method: 'POST', url: `${zk}/api/v1/auth/kubernetes-auth/login`, body: { identityId, jwt: saJwt } }, 200);
  const accessToken: string = login.body?.accessToken;
  expect(typeof accessToken === 'string' && login.body.tokenType === 'Bearer' && login.body.expiresIn === 600 && login.body.accessTokenMaxTTL === 3600, 'login must answer { accessToken, expiresIn: 600, accessTokenMaxTTL: 3600, tokenType: "Bearer" }', login);
  note('→ ACCESS_TOKEN=<accessToken>');

  // 6. What is inside the access token, and its signature checked against the JWKS.
  heading('Decode the access token (header + claims)');
  const decoded = decodeJwt(accessToken);
  if (!short) {
    out(`$ jq -R 'split(".")[0,1] | gsub("-";"+") | gsub("_";"/") | @base64d | fromjson' <<<"$ACCESS_TOKEN"`);
    out(pretty(decoded.header));
    out(pretty(decoded.claims));
  }
  const claims = decoded.claims;
  expect(decoded.header['alg'] === 'ES256' && typeof decoded.header['kid'] === 'string', 'the access token must be ES256 with a kid');
  expect(claims.sub === identityId && claims.org === orgId && claims.iss === zk && UUID.test(claims.jti ?? ''), 'the claims must name the identity (sub), organization (org), issuer and token id (jti)');
  expect(claims.kubernetes?.namespace === NAMESPACE && claims.kubernetes?.serviceAccountName === 'checkout', 'the claims must carry the Kubernetes subject');
  const jwks = await send({ method: 'GET', url: `${zk}/.well-known/jwks.json` });
  const jwk = (jwks.body?.keys ?? []).find((k: { kid?: string }) => k.kid === decoded.header['kid']) as JsonWebKey | undefined;
  expect(jwk, 'the token kid must be published at /.well-known/jwks.json', jwks);
  const valid = verifySignature('sha256', Buffer.from(decoded.signed), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, decoded.signature);
  expect(valid, 'the access token signature must verify with the published key');
  if (short) out(`${green('ok ')} ${String(stepNumber).padStart(2)}. ${'Decode the access token (header + claims)'.padEnd(64)} ES256, sub = identity, signature verified via JWKS`);
  else note(`Signature verified offline with the key "${String(decoded.header['kid'])}" from $ZK/.well-known/jwks.json, as a downstream service would.`);

  // 7. Use it.
  const self = await step('Who am I? GET token/self (counts as one use)', { method: 'GET', url: `${zk}/api/v1/auth/token/self`, bearer: accessToken }, 200);
  expect(self.body?.type === 'identity' && self.body?.identity?.id === identityId && self.body?.authMethod === 'kubernetes', 'token/self must describe the identity', self);

  // 8. Renew: a new JWT with the same jti.
  const renew = await step('Renew the access token (same jti, new exp)', { method: 'POST', url: `${zk}/api/v1/auth/token/renew`, body: { accessToken } }, 200);
  const renewed: string = renew.body?.accessToken;
  expect(typeof renewed === 'string' && decodeJwt(renewed).claims.jti === claims.jti, 'the renewed token must keep the jti', renew);
  note(`→ ACCESS_TOKEN=<accessToken>   (jti still ${String(claims.jti)})`);

  // 9. Revoke, then the token is refused.
  const revoke = await step('Revoke the access token', { method: 'POST', url: `${zk}/api/v1/auth/token/revoke`, body: { accessToken: renewed } }, 200);
  expect(revoke.body?.message === 'Successfully revoked access token', 'revoke must confirm', revoke);
  const after = await step('GET token/self after the revocation → 401', { method: 'GET', url: `${zk}/api/v1/auth/token/self`, bearer: renewed }, 401);
  expect(after.body?.error === 'AccessTokenRevoked', 'a revoked token must answer 401 AccessTokenRevoked', after);
  note('Revocation ends every JWT of the jti (the one from the login too), on every replica.');

  // 10. A workload of another namespace cannot log in as checkout.
  const other = await step(
    'Mint a token for web/frontend (another namespace)',
    { method: 'POST', url: `${k8s}/_sim/mint`, ca: caPem, body: { namespace: 'web', serviceAccount: 'frontend', pod: 'frontend-5c8b', audience: AUDIENCE, lifetimeSeconds: 600 } },
    200,
  );
  const otherJwt: string = other.body?.token;
  expect(typeof otherJwt === 'string', 'the simulator must mint the web/frontend token', other);
  const refused = await step('Log in with it → 403 NamespaceNotAllowed', { method: 'POST', url: `${zk}/api/v1/auth/kubernetes-auth/login`, body: { identityId, jwt: otherJwt } }, 403);
  expect(refused.body?.error === 'NamespaceNotAllowed' && refused.body?.reqId === refused.headers['x-request-id'], 'the refusal must be 403 NamespaceNotAllowed with the request id', refused);
  note('Refused locally from the claims before the cluster is asked; the attempt is in the audit log with its error code.');
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function waitForReady(proc: Proc, url: string): Promise<Answer> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) throw new DemoFailure(`${proc.name} exited before it was ready`);
    try {
      const answer = await send({ method: 'GET', url });
      if (answer.status === 200) return answer;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new DemoFailure(`${proc.name} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

/** Reads the simulator's one JSON line from its stdout. */
function clusterInfo(proc: Proc): Promise<{ url: string; caFile: string; reviewerToken: string }> {
  return new Promise((done, fail) => {
    let buffer = '';
    const onData = (chunk: string): void => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      proc.child.stdout!.off('data', onData);
      try {
        done(JSON.parse(buffer.slice(0, newline)));
      } catch {
        fail(new DemoFailure(`the simulator printed no JSON line: ${buffer.slice(0, 200)}`));
      }
    };
    proc.child.stdout!.on('data', onData);
    void proc.exited.then(() => fail(new DemoFailure('the simulator exited before printing its address')));
    setTimeout(() => fail(new DemoFailure('the simulator did not start within 30 s')), 30_000).unref();
  });
}

async function demo(): Promise<void> {
  const started = Date.now();
  for (const file of [MAIN, SELF]) {
    try {
      readFileSync(file);
    } catch {
      throw new DemoFailure(`${file} is missing: run npm run build (npm run demo does it for you)`);
    }
  }
  tempDir = mkdtempSync(join(tmpdir(), 'zerokey-demo-'));
  const caFile = join(tempDir, 'k8s-ca.pem');
  const [simPort, zkPort] = [await freePort(), await freePort()];
  const baseEnv = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env['HOME'] ?? tempDir };

  out(bold(short ? 'Zerokey demo (short)' : 'Zerokey demo: a Kubernetes workload gets an access token, no secret zero'));
  if (!short) {
    out();
    out(bold('Start a "cluster": the Kubernetes API simulator (knows shop/checkout, web/frontend and a reviewer bound to system:auth-delegator)'));
    out(`$ node dist/scripts/demo.js cluster --port ${simPort} --ca-out ${caFile} &`);
  }
  const sim = startProcess('the Kubernetes API simulator', [SELF, 'cluster', '--port', String(simPort), '--ca-out', caFile], { ...baseEnv, ZEROKEY_DEMO_CHILD: '1' });
  const info = await clusterInfo(sim);
  const caPem = readFileSync(info.caFile, 'utf8');
  if (!short) out(pretty(info));
  else out(`${green('ok ')}   · simulator on ${info.url}`);

  const encryptionKey = randomBytes(32).toString('base64');
  const zk = `http://127.0.0.1:${zkPort}`;
  const env = {
    ...baseEnv,
    NODE_ENV: 'development',
    PORT: String(zkPort),
    HOST: '127.0.0.1',
    DB_TYPE: 'sqlite',
    DATA_DIR: tempDir,
    DB_PATH: join(tempDir, 'zerokey.sqlite'),
    ENCRYPTION_KEY: encryptionKey,
    PUBLIC_URL: zk,
    LOG_LEVEL: 'warn',
  };
  if (!short) {
    out();
    out(bold('Start Zerokey on a fresh SQLite database'));
    out(`$ ENCRYPTION_KEY=$(openssl rand -base64 32) DATA_DIR=${tempDir} DB_PATH=${env.DB_PATH} \\`);
    out(`    HOST=127.0.0.1 PORT=${zkPort} PUBLIC_URL=${zk} LOG_LEVEL=warn node dist/src/main.js &`);
  }
  const zerokey = startProcess('Zerokey', [MAIN], env);
  const ready = await waitForReady(zerokey, `${zk}/api/status/ready`);
  if (!short) {
    out(`$ curl -s ${zk}/api/status/ready`);
    out(pretty(ready.body));
  } else out(`${green('ok ')}   · Zerokey ready on ${zk} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  await walkthrough(zk, info.url, caPem, info.caFile, info.reviewerToken);

  out();
  out(green(bold(`Demo passed: ${stepNumber} steps, every answer as expected (${((Date.now() - started) / 1000).toFixed(1)} s).`)));
  if (!short) out(dim('Next: docs/quickstart.md, docs/kubernetes-auth.md (a real cluster), deploy/kubernetes/ (running it there).'));
}

async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { short: { type: 'boolean' } }, strict: true });
  short = values.short === true || ['1', 'true', 'yes'].includes((process.env['DEMO_SHORT'] ?? '').toLowerCase());
  let exitCode = 0;
  try {
    await demo();
  } catch (error) {
    exitCode = 1;
    out();
    out(red(bold(`Demo FAILED: ${error instanceof Error ? error.message : String(error)}`)));
    if (error instanceof DemoFailure && error.answer) {
      out(red(`HTTP ${error.answer.status}`));
      out(pretty(error.answer.body ?? error.answer.text, 60));
    } else if (!(error instanceof DemoFailure) && error instanceof Error && error.stack) {
      out(dim(error.stack));
    }
    for (const proc of processes) {
      const log = proc.output().trim();
      if (log) {
        out(dim(`--- last output of ${proc.name} ---`));
        out(dim(log.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, shorten).split('\n').slice(-30).join('\n')));
      }
    }
  }
  await cleanup();
  process.exit(exitCode);
}

/** `demo.js cluster`: the standalone simulator plus the demo's second namespace. */
async function runCluster(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, 'ca-out': { type: 'string' } }, strict: true });
  const args = ['--control', '--port', values.port ?? '6443', ...(values['ca-out'] ? ['--ca-out', values['ca-out']] : [])];
  const { simulator, info } = await runStandalone(args);
  simulator.createServiceAccount('web', 'frontend');
  simulator.createPod('web', 'frontend-5c8b', 'frontend', 'node-b');
  process.stdout.write(`${JSON.stringify(info)}\n`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGHUP');
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.once('SIGHUP', shutdown);
  // Started by the demo with a pipe on stdin: when the demo dies (even by SIGKILL), stop too.
  if (process.env['ZEROKEY_DEMO_CHILD'] === '1' && !process.stdin.isTTY) {
    process.stdin.on('end', shutdown).on('close', shutdown).resume();
  }
}

if (import.meta.main) {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'cluster') {
    runCluster(rest).catch((error: unknown) => {
      process.stderr.write(`demo cluster: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  } else {
    runDemo(process.argv.slice(2)).catch((error: unknown) => {
      process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
      void cleanup().finally(() => process.exit(1));
    });
  }
}
