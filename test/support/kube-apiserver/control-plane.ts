import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../kubernetes-simulator/pki.js';
import { freePort } from '../ports.js';
import { findKubeBinaries } from './binaries.js';
import { KubeEndpoint, kubeRequest } from './http.js';

export const KUBE_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;

export interface ControlPlaneOptions {
  /** --api-audiences; default [issuer]. */
  apiAudiences?: string[];
  /** More --token-auth-file users besides the admin (no RBAC unless a test grants it). */
  staticTokens?: Array<{ token: string; username: string; uid: string; groups?: string[] }>;
}

/** Every child this module started and has not reaped: killed on process exit, whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * etcd + kube-apiserver on loopback, as controller-runtime's envtest runs them (no kubelet, no
 * controller manager, no scheduler): a fresh data dir, CA and serving certificate, service-account
 * signing key, RBAC authorization and a static admin token (group system:masters).
 */
export class ControlPlane implements KubeEndpoint {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly url: string,
    readonly caPem: string,
    /** A CA that signed nothing here (for wrong-CA tests). */
    readonly otherCaPem: string,
    /** Bearer of the static user `zerokey-admin` in `system:masters`. */
    readonly adminToken: string,
    readonly issuer: string,
    /** The service-account signing key (to forge tokens the server's own validator must judge). */
    readonly signingKey: KeyObject,
    private readonly dir: string,
    private readonly children: ChildProcess[],
  ) {}

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const binaries = findKubeBinaries();
    const dir = mkdtempSync(join(tmpdir(), 'zerokey-kube-'));
    const children: ChildProcess[] = [];
    try {
      const pki = await createPki();
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const adminToken = randomBytes(24).toString('base64url');
      const file = (name: string, content: string): string => {
        const path = join(dir, name);
        writeFileSync(path, content, { mode: 0o600 });
        return path;
      };
      const [etcdClient, etcdPeer, securePort] = await distinctFreePorts(3);
      children.push(spawnLogged(binaries.etcd, etcdArgs(dir, etcdClient, etcdPeer), join(dir, 'etcd.log')));
      await waitFor(`etcd on 127.0.0.1:${etcdClient}`, join(dir, 'etcd.log'), children, async () => {
        const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      });
      const args = [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--tls-cert-file=${file('serving.pem', pki.serverCertPem)}`,
        `--tls-private-key-file=${file('serving-key.pem', pki.serverKeyPem)}`,
        `--client-ca-file=${file('ca.pem', pki.caPem)}`,
        `--token-auth-file=${file('tokens.csv', tokenFile(adminToken, options))}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=${KUBE_ISSUER}`,
        `--service-account-key-file=${file('sa.pub', publicKey.export({ type: 'spki', format: 'pem' }).toString())}`,
        `--service-account-signing-key-file=${file('sa.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())}`,
        `--api-audiences=${(options.apiAudiences ?? [KUBE_ISSUER]).join(',')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=0',
      ];
      const log = join(dir, 'kube-apiserver.log');
      children.push(spawnLogged(binaries.kubeApiserver, args, log));
      const plane = new ControlPlane(`https://127.0.0.1:${securePort}`, pki.caPem, pki.otherCaPem, adminToken, KUBE_ISSUER, privateKey, dir, children);
      await waitFor(`kube-apiserver on 127.0.0.1:${securePort}`, log, children, async () => {
        const res = await kubeRequest(plane, 'GET', '/readyz', { bearer: adminToken });
        return res.status === 200;
      });
      return plane;
    } catch (error) {
      await stopChildren(children);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Process ids of etcd and kube-apiserver. */
  pids(): number[] {
    return this.children.map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** The last lines of a component's log, for failure messages. */
  logTail(component: 'etcd' | 'kube-apiserver', lines = 40): string {
    return tail(join(this.dir, `${component}.log`), lines);
  }

  /** Stops kube-apiserver, then etcd (SIGTERM, SIGKILL after 5 s) and removes the data dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await stopChildren([...this.children].reverse());
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}

/** token,user,uid,"group1,group2" lines, as --token-auth-file reads them. */
function tokenFile(adminToken: string, options: ControlPlaneOptions): string {
  const users = [{ token: adminToken, username: 'zerokey-admin', uid: 'zerokey-admin-uid', groups: ['system:masters'] }, ...(options.staticTokens ?? [])];
  return users.map((u) => `${u.token},${u.username},${u.uid}${u.groups?.length ? `,"${u.groups.join(',')}"` : ''}\n`).join('');
}

function etcdArgs(dir: string, client: number, peer: number): string[] {
  return [
    '--name=zerokey-test',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=zerokey-test=http://127.0.0.1:${peer}`,
    // A throw-away store: durability buys nothing and fsync costs seconds on a shared disk.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function spawnLogged(binary: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  if (child.pid !== undefined) watchdog(child.pid);
  return child;
}

/**
 * A test worker killed with SIGKILL runs no exit hook: a detached shell then kills the child once
 * this process is gone, and ends by itself as soon as the child has exited.
 */
function watchdog(childPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; kill -9 ${childPid} 2>/dev/null; exit 0`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

async function waitFor(what: string, logFile: string, children: ChildProcess[], ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const dead = children.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead) throw new Error(`${what}: a process exited (${dead.exitCode ?? dead.signalCode}) while starting:\n${tail(logFile, 40)}`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${START_TIMEOUT_MS / 1000} s:\n${tail(logFile, 40)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
