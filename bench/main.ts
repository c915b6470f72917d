import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLUSTER_POOL_SIZE } from '../src/kubernetes-auth/token-review.service.js';
import { cannon, type CannonRun, directTokenReview, type LoadStats } from './load.js';
import { type Child, rssMb, stop, stopAll } from './processes.js';
import { type CpuComparison, evaluate, type Figures, machine, render } from './report.js';
import { AUDIENCE, type Bare, type Cluster, createDatabase, createScenario, type Scenario, simCounters, startBare, startSimulator, startZerokey, type Zerokey } from './setup.js';

/**
 * `npm run bench`: the Kubernetes simulator and Zerokey (production build) as two processes, load
 * from this one. See bench/README.md for what each figure means.
 *
 *   BENCH_DURATION_S  seconds per measured run (default 10)
 *   BENCH_LOGINS      logins per RSS run (default 10000)
 *   BENCH_DB_URL      mysql://user:pass@host:3306/base — MariaDB/MySQL in a fresh database base_<hex>
 *   BENCH_CPU_PROF    a directory: run Zerokey under `node --cpu-prof` and write the profile there
 *   BENCH_ZEROKEY_NODE_FLAGS  node flags for Zerokey instead of production's (scripts/runtime.json);
 *                     set but empty: none
 *   --smoke / BENCH_SMOKE=1   everything in about five seconds (CI)
 */
interface Options {
  smoke: boolean;
  seconds: number;
  logins: number;
  dbUrl: string | undefined;
  cpuProfDir: string | undefined;
  nodeFlags: string[];
}

function options(): Options {
  const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  const number = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  return {
    smoke,
    seconds: number('BENCH_DURATION_S', smoke ? 0.2 : 10),
    logins: Math.round(number('BENCH_LOGINS', smoke ? 50 : 10_000)),
    dbUrl: process.env.BENCH_DB_URL || undefined,
    cpuProfDir: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
    nodeFlags: process.env.BENCH_ZEROKEY_NODE_FLAGS === undefined ? production.nodeFlags : process.env.BENCH_ZEROKEY_NODE_FLAGS.split(/\s+/).filter(Boolean),
  };
}

const root = resolve(import.meta.dirname, '..', '..');
/** Zerokey starts as production starts it (npm start, the Dockerfile). */
const production = JSON.parse(readFileSync(join(root, 'scripts/runtime.json'), 'utf8')) as { nodeFlags: string[]; env: Record<string, string> };
const started: Child[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

async function cleanup(): Promise<void> {
  await stopAll();
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`);
    }
  }
}

async function zerokeyEnv(opts: Options, tmp: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    ...production.env,
    NODE_ENV: 'production',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    LOGIN_RATE_LIMIT: '0',
    DATA_DIR: tmp,
    DB_TYPE: 'sqlite',
    DB_PATH: join(tmp, 'zerokey.sqlite'),
  };
  if (!opts.dbUrl) return env;
  const db = await createDatabase(opts.dbUrl);
  cleanups.push(db.drop);
  return { ...env, DB_TYPE: 'mysql', DB_URL: db.url };
}

async function loginRuns(opts: Options, zk: Zerokey, scenario: Scenario): Promise<{ c1: LoadStats; c16: LoadStats }> {
  const login = { url: `${zk.url}/api/v1/auth/kubernetes-auth/login`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: scenario.loginBody, pid: zk.child.proc.pid };
  await cannon({ ...login, connections: 16, seconds: opts.smoke ? 0.1 : 2 }); // JIT warm-up
  return { c1: await cannon({ ...login, connections: 1, seconds: opts.seconds }), c16: await cannon({ ...login, connections: 16, seconds: opts.seconds }) };
}

/** The login of an identity whose config verifies tokens with the cluster's keys: no call per login. */
async function jwksRuns(opts: Options, zk: Zerokey, scenario: Scenario, cluster: Cluster): Promise<Figures['jwks']> {
  const login = { url: `${zk.url}/api/v1/auth/kubernetes-auth/login`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: scenario.jwksLoginBody, pid: zk.child.proc.pid };
  await cannon({ ...login, connections: 16, seconds: opts.smoke ? 0.1 : 2 }); // JIT warm-up
  const before = await simCounters(cluster);
  const c16 = await cannon({ ...login, connections: 16, seconds: opts.seconds });
  const after = await simCounters(cluster);
  return { c16, tokenReviews: after.tokenReviews - before.tokenReviews, jwksFetches: after.jwksFetches - before.jwksFetches };
}

async function rssRuns(opts: Options, zk: Zerokey, scenario: Scenario): Promise<Figures['rss']> {
  const pid = zk.child.proc.pid!;
  const login = { url: `${zk.url}/api/v1/auth/kubernetes-auth/login`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: scenario.loginBody, pid: zk.child.proc.pid };
  const baselineMb = rssMb(pid);
  const first = await cannon({ ...login, connections: 16, amount: opts.logins });
  const afterFirstMb = rssMb(pid);
  const second = await cannon({ ...login, connections: 16, amount: opts.logins });
  const afterSecondMb = rssMb(pid);
  if (first.errors + second.errors > 0) throw new Error(`${first.errors + second.errors} logins failed during the RSS runs`);
  return { logins: opts.logins, baselineMb, afterFirstMb, afterSecondMb, growthMb: Math.round((afterSecondMb - afterFirstMb) * 10) / 10 };
}

async function guardRuns(opts: Options, zk: Zerokey, scenario: Scenario): Promise<Figures['guard']> {
  const pid = zk.child.proc.pid;
  const self = { url: `${zk.url}/api/v1/auth/token/self`, headers: { authorization: `Bearer ${scenario.accessToken}` }, connections: 16, pid };
  const status = { url: `${zk.url}/api/status`, connections: 16, pid };
  const warm = opts.smoke ? 0.1 : 1;
  await cannon({ ...self, seconds: warm });
  await cannon({ ...status, seconds: warm });
  const tokenSelf = await cannon({ ...self, seconds: opts.seconds });
  const plain = await cannon({ ...status, seconds: opts.seconds });
  return { tokenSelf, status: plain, ratio: Math.round((tokenSelf.rps / plain.rps) * 1000) / 1000 };
}

/**
 * Zerokey against the bare baseline, c=16, server CPU per request: the two alternate (Zerokey,
 * bare, Zerokey, bare) so that a neighbour's load on the shared machine falls on both alike.
 */
async function bareRuns(opts: Options, zk: Zerokey, bare: Bare, scenario: Scenario): Promise<Figures['bare']> {
  const compare = async (zerokeyRun: CannonRun, bareRun: CannonRun): Promise<CpuComparison> => {
    const total = { zerokey: { cpuUs: 0, requests: 0 }, bare: { cpuUs: 0, requests: 0 } };
    let failed = 0;
    await cannon({ ...bareRun, seconds: opts.smoke ? 0.1 : 1 }); // JIT warm-up of the bare server
    for (let round = 0; round < 2; round++) {
      for (const [side, run] of [['zerokey', zerokeyRun], ['bare', bareRun]] as const) {
        const stats = await cannon(run);
        total[side].cpuUs += (stats.cpuUsPerRequest ?? 0) * stats.requests;
        total[side].requests += stats.requests;
        failed += stats.errors;
      }
    }
    if (failed > 0) throw new Error(`${failed} requests failed during the bare-baseline comparison`);
    const zerokeyUs = Math.round(total.zerokey.cpuUs / Math.max(1, total.zerokey.requests));
    const bareUs = Math.round(total.bare.cpuUs / Math.max(1, total.bare.requests));
    return { zerokeyUs, bareUs, ratio: bareUs > 0 ? Math.round((zerokeyUs / bareUs) * 100) / 100 : 0 };
  };
  const seconds = opts.seconds / 2;
  const json = { 'content-type': 'application/json' };
  const login = await compare(
    { url: `${zk.url}/api/v1/auth/kubernetes-auth/login`, method: 'POST', headers: json, body: scenario.loginBody, connections: 16, seconds, pid: zk.child.proc.pid },
    { url: `${bare.url}/login`, method: 'POST', headers: json, body: scenario.loginBody, connections: 16, seconds, pid: bare.child.proc.pid },
  );
  const guard = await compare(
    { url: `${zk.url}/api/v1/auth/token/self`, headers: { authorization: `Bearer ${scenario.accessToken}` }, connections: 16, seconds, pid: zk.child.proc.pid },
    { url: `${bare.url}/self`, headers: { authorization: `Bearer ${bare.accessToken}` }, connections: 16, seconds, pid: bare.child.proc.pid },
  );
  return { login, guard };
}

/**
 * Back to back at concurrency 1 and 16, then at concurrency 1 paced like the login run: the
 * cluster idles between reviews for as long as Zerokey works between them, which on some
 * machines (idle CPUs waking up slowly) makes each review slower than back to back.
 */
async function directRuns(opts: Options, cluster: Cluster, jwt: string, loginC1: LoadStats): Promise<Figures['direct']> {
  const run = { clusterUrl: cluster.url, ca: cluster.ca, reviewerToken: cluster.reviewerToken, token: jwt, audience: AUDIENCE, seconds: opts.seconds, pid: cluster.child.proc.pid };
  await directTokenReview({ ...run, connections: 16, seconds: opts.smoke ? 0.1 : 2 }); // warm-up
  const c1 = await directTokenReview({ ...run, connections: 1 });
  const c16 = await directTokenReview({ ...run, connections: 16 });
  const gapMs = loginC1.rps > 0 ? Math.max(0, 1000 / loginC1.rps - c1.p50) : 0;
  const paced = await directTokenReview({ ...run, connections: 1, gapMs });
  return { c1, c16, paced: { ...paced, gapMs: Math.round(gapMs * 100) / 100 } };
}

async function main(): Promise<void> {
  const opts = options();
  const tmp = mkdtempSync(join(tmpdir(), 'zerokey-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const env = await zerokeyEnv(opts, tmp);
  const cluster = await startSimulator(root, tmp);
  started.push(cluster.child);
  const nodeArgs = [...opts.nodeFlags, ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
  const zk = await startZerokey(root, env, nodeArgs);
  started.push(zk.child);

  // Counters are taken around everything Zerokey does with the cluster; each counters call and
  // the one mint open a connection of their own, which are subtracted.
  const before = await simCounters(cluster);
  const scenario = await createScenario(zk.url, cluster);
  const login = await loginRuns(opts, zk, scenario);
  const rss = await rssRuns(opts, zk, scenario);
  const after = await simCounters(cluster);
  const guard = await guardRuns(opts, zk, scenario);
  const jwks = await jwksRuns(opts, zk, scenario, cluster);
  const direct = await directRuns(opts, cluster, scenario.serviceAccountJwt, login.c1);
  const bare = await startBare(root, cluster, tmp, scenario.loginBody);
  started.push(bare.child);
  const baseline = await bareRuns(opts, zk, bare, scenario);

  const figures: Figures = {
    date: new Date().toISOString(),
    machine: machine(),
    database: opts.dbUrl ? 'mysql' : 'sqlite',
    smoke: opts.smoke,
    zerokeyNodeFlags: opts.nodeFlags,
    secondsPerRun: opts.seconds,
    readyMs: zk.readyMs,
    direct,
    login,
    jwks,
    guard,
    tls: {
      sessions: after.tlsSessions - before.tlsSessions - 2,
      tcpConnections: after.tcpConnections - before.tcpConnections - 2,
      tokenReviews: after.tokenReviews - before.tokenReviews,
      poolSize: CLUSTER_POOL_SIZE,
    },
    rss,
    bare: baseline,
  };
  await stop(zk.child);
  await stop(bare.child);
  const targets = evaluate(figures);
  process.stdout.write(`${render(figures, targets)}\n\n`);
  process.stdout.write(`${JSON.stringify({ ...figures, targets: Object.fromEntries(targets.map((t) => [t.name, { value: t.value, limit: t.limit, met: t.met }])) })}\n`);
  const errors = [direct.c1, direct.c16, direct.paced, login.c1, login.c16, jwks.c16, guard.tokenSelf, guard.status].reduce((sum, s) => sum + s.errors, 0);
  if (errors > 0) throw new Error(`${errors} requests failed during the load runs`);
}

async function fail(error: unknown): Promise<never> {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  for (const child of started) {
    const { exitCode, signalCode } = child.proc;
    if (exitCode !== null || signalCode !== null) process.stderr.write(`bench: ${child.name} had exited (${exitCode ?? signalCode}):\n${child.output.join('')}\n`);
  }
  await cleanup();
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}
// A reader that goes away (`npm run bench | head`) must not skip the clean-up.
process.stdout.on('error', () => undefined);
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));

main().then(cleanup, fail);
