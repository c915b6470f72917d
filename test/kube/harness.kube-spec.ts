import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, ETCD_VERSION, findKubeBinaries, KUBE_ISSUER, KubeCluster, KUBERNETES_VERSION, kubeBinariesDir, kubeRequest } from '../support/kube-apiserver/index.js';

// vitest runs from the repository root.
const root = process.cwd();

describe('kube-apiserver harness: pins and binaries', () => {
  it('pins the same versions as the Go modules the build script builds', () => {
    expect(readFileSync(join(root, 'tools/kube/apiserver/go.mod'), 'utf8')).toMatch(new RegExp(`^\\s*k8s\\.io/kubernetes ${KUBERNETES_VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(readFileSync(join(root, 'tools/kube/etcd/go.mod'), 'utf8')).toContain(`go.etcd.io/etcd/server/v3 ${ETCD_VERSION}`);
    const minor = KUBERNETES_VERSION.split('.')[1];
    for (const line of readFileSync(join(root, 'tools/kube/apiserver/go.mod'), 'utf8').split('\n').filter((l) => l.includes('=>'))) {
      expect(line, 'every staging module is replaced by its matching release').toMatch(new RegExp(`=> k8s\\.io/[a-z-]+ v0\\.${minor}\\.`));
    }
  });

  it('agrees with the build script on the cache folder', () => {
    const printed = execFileSync('bash', ['scripts/kube-binaries.sh', '--check'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    expect(printed).toBe(kubeBinariesDir());
  });

  it('fails with the command to run when the binaries are missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'zerokey-no-kube-'));
    try {
      expect(() => findKubeBinaries({ ZEROKEY_CACHE_DIR: empty })).toThrow(/is missing: run `bash scripts\/kube-binaries\.sh`/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('kube-apiserver harness: the control plane', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await ControlPlane.start();
  });
  afterAll(async () => plane?.stop());

  it('serves the pinned version over TLS signed by its own CA, to anyone', async () => {
    const res = await kubeRequest(plane, 'GET', '/version');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ major: '1', minor: KUBERNETES_VERSION.split('.')[1], gitVersion: KUBERNETES_VERSION });
    await expect(kubeRequest({ url: plane.url, caPem: plane.otherCaPem }, 'GET', '/version')).rejects.toThrow(/certificate/);
  });

  it('authorizes with RBAC: the admin may list namespaces, anonymous may not', async () => {
    expect((await kubeRequest(plane, 'GET', '/api/v1/namespaces', { bearer: plane.adminToken })).status).toBe(200);
    const anonymous = await kubeRequest(plane, 'GET', '/api/v1/namespaces');
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', message: 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope' });
    expect((await kubeRequest(plane, 'GET', '/api/v1/namespaces', { bearer: 'not-a-token' })).status).toBe(401);
  });

  it('mints TokenRequest tokens with the asked audiences, expiry and pod binding', async () => {
    const cluster = new KubeCluster(plane);
    await cluster.createNamespace('mint', { team: 'a' });
    const { uid } = await cluster.createServiceAccount('mint', 'app');
    const pod = await cluster.createPod('mint', 'app-1', 'app');
    const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    const plain = claims(await cluster.requestToken('mint', 'app'));
    expect(plain).toMatchObject({ aud: [KUBE_ISSUER], iss: KUBE_ISSUER, sub: 'system:serviceaccount:mint:app', 'kubernetes.io': { namespace: 'mint', serviceaccount: { name: 'app', uid } } });
    expect(plain.exp - plain.iat).toBe(3600);
    const bound = claims(await cluster.requestToken('mint', 'app', { audiences: ['zerokey', 'vault'], expirationSeconds: 600, pod: { name: 'app-1', uid: pod.uid } }));
    expect(bound.aud).toEqual(['zerokey', 'vault']);
    expect(bound.exp - bound.iat).toBe(600);
    expect(bound['kubernetes.io'].pod).toEqual({ name: 'app-1', uid: pod.uid });
    // The pod stays Pending: no scheduler, no kubelet.
    const status = await cluster.call('GET', '/api/v1/namespaces/mint/pods/app-1');
    expect((status.body as { status: { phase: string } }).status.phase).toBe('Pending');
    await expect(cluster.requestToken('mint', 'app', { expirationSeconds: 599 })).rejects.toThrow(/422|less than 10 minutes/);
  });

  it('stops every process it started', async () => {
    const other = await ControlPlane.start();
    const pids = other.pids();
    expect(pids).toHaveLength(2);
    await other.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
