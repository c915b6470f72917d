import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, VARIABLES } from '../../src/config/config.schema.js';
import { HealthController } from '../../src/health/health.controller.js';
import { parseOptions } from '../../agent/options.js';

/**
 * The Kubernetes manifests, the example workload and the Dockerfile against the app itself: every
 * manifest parses, has the kinds and fields Kubernetes needs, and its probe paths, port, env names
 * and image agree with the routes, the configuration schema and the Dockerfile.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const productionRuntime = JSON.parse(readFileSync(join(ROOT, 'scripts/runtime.json'), 'utf8')) as { nodeVersion: string; nodeFlags: string[]; env: Record<string, string> };
const DIR = join(ROOT, 'deploy/kubernetes');

type Obj = Record<string, any>;  

function load(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const objects: Obj[] = [];
  for (const doc of list) {
    expect(doc.errors.map((e: Error) => e.message), `${file} must parse as YAML`).toEqual([]);
    const value = doc.toJS() as Obj | null;
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

function one(file: string, kind: string): Obj {
  const matches = load(file).filter((o) => o.kind === kind);
  expect(matches, `${file} must hold exactly one ${kind}`).toHaveLength(1);
  return matches[0]!;
}

const EXPECTED_KINDS: Record<string, string[]> = {
  'namespace.yaml': ['Namespace'],
  'serviceaccount.yaml': ['ServiceAccount'],
  'clusterrolebinding.yaml': ['ClusterRoleBinding'],
  'secret.yaml': ['Secret'],
  'tls.yaml': ['Issuer', 'Certificate', 'Issuer', 'Certificate'],
  'deployment.yaml': ['Deployment'],
  'pdb.yaml': ['PodDisruptionBudget'],
  'service.yaml': ['Service'],
  'example-workload.yaml': ['Namespace', 'ServiceAccount', 'Pod'],
  'agent-sidecar.yaml': ['Deployment'],
  'agent-init.yaml': ['Job'],
};

/** Examples applied on their own, in the workload's namespace, not through kustomization.yaml. */
const EXAMPLES = new Set(['example-workload.yaml', 'agent-sidecar.yaml', 'agent-init.yaml']);

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Pod: 'v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  Job: 'batch/v1',
  Issuer: 'cert-manager.io/v1',
  Certificate: 'cert-manager.io/v1',
};

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRoleBinding']);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const defaults = loadConfig({});
const variableNames = new Set(VARIABLES.map((v) => v.name));

function routePath(...parts: (string | undefined)[]): string {
  return `/${parts.filter((p) => p && p !== '/').map((p) => p!.replace(/^\/+|\/+$/g, '')).join('/')}`;
}

// The routes the probes must hit, read from the controller itself.
const statusBase = Reflect.getMetadata(PATH_METADATA, HealthController) as string;
const LIVENESS_PATH = routePath(statusBase, Reflect.getMetadata(PATH_METADATA, HealthController.prototype.live) as string);
const READINESS_PATH = routePath(statusBase, Reflect.getMetadata(PATH_METADATA, HealthController.prototype.ready) as string);

/** The CA file a client is given lies on a read-only mount of the zerokey-ca ConfigMap (key ca.crt, tls.yaml). */
function expectCaMount(pod: Obj, container: Obj, file: string): void {
  const mount = (container.volumeMounts as Obj[]).find((m) => file.startsWith(`${m.mountPath}/`));
  expect(mount, `${file} is on a mounted volume`).toBeDefined();
  expect(mount!.readOnly).toBe(true);
  const volume = (pod.volumes as Obj[]).find((v) => v.name === mount!.name)!;
  expect(volume.configMap?.name).toBe('zerokey-ca');
  expect(file).toBe(`${mount!.mountPath}/ca.crt`);
}

function matchesSelector(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

describe('deploy/kubernetes manifests', () => {
  const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');

  it('holds exactly the expected manifests', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED_KINDS).sort());
  });

  it.each(Object.entries(EXPECTED_KINDS))('%s parses, has the expected kinds and the required fields', (file, kinds) => {
    const objects = load(file);
    expect(objects.map((o) => o.kind)).toEqual(kinds);
    for (const o of objects) {
      expect(o.apiVersion, `${file} ${o.kind}`).toBe(API_VERSIONS[o.kind]);
      expect(o.metadata?.name, `${file} ${o.kind} metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${file} ${o.kind} is cluster-scoped`).toBeUndefined();
      else expect(o.metadata.namespace, `${file} ${o.kind} metadata.namespace`).toMatch(DNS_LABEL);
    }
  });

  it('puts every Zerokey object in the Namespace of namespace.yaml', () => {
    const namespace = one('namespace.yaml', 'Namespace').metadata.name;
    for (const file of Object.keys(EXPECTED_KINDS).filter((f) => !EXAMPLES.has(f))) {
      for (const o of load(file)) {
        if (!CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${file} ${o.kind}`).toBe(namespace);
      }
    }
  });

  it('kustomization.yaml lists every Zerokey manifest, Namespace first, and not the example workload', () => {
    const [kustomization] = load('kustomization.yaml');
    expect(kustomization!.kind).toBe('Kustomization');
    const resources = kustomization!.resources as string[];
    expect([...resources].sort()).toEqual(Object.keys(EXPECTED_KINDS).filter((f) => !EXAMPLES.has(f)).sort());
    expect(resources[0]).toBe('namespace.yaml');
    for (const r of resources) expect(existsSync(join(DIR, r)), r).toBe(true);
  });

  it('binds the Deployment’s service account to system:auth-delegator (in-cluster reviewer)', () => {
    const sa = one('serviceaccount.yaml', 'ServiceAccount');
    const crb = one('clusterrolebinding.yaml', 'ClusterRoleBinding');
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' });
    expect(crb.subjects).toContainEqual({ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace });
    const pod = one('deployment.yaml', 'Deployment').spec.template.spec;
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    // The in-cluster reviewer reads the mounted token: it must not be switched off.
    expect(sa.automountServiceAccountToken).not.toBe(false);
    expect(pod.automountServiceAccountToken).not.toBe(false);
    expect(defaults.kubernetesSaTokenPath.startsWith('/var/run/secrets/kubernetes.io/serviceaccount/')).toBe(true);
  });

  it('the Secret holds ENCRYPTION_KEY and DB_URL placeholders', () => {
    const secret = one('secret.yaml', 'Secret');
    expect(secret.type).toBe('Opaque');
    const data = { ...(secret.stringData ?? {}), ...(secret.data ?? {}) };
    expect(Object.keys(data).sort()).toEqual(['DB_URL', 'ENCRYPTION_KEY']);
    // Placeholders, never a usable key checked into the repository.
    expect(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: secret.stringData.ENCRYPTION_KEY })).toThrow(/ENCRYPTION_KEY/);
    expect(secret.stringData.DB_URL).toMatch(/^mysql:\/\/.*REPLACE-ME/);
  });

  describe('the Deployment', () => {
    const deployment = one('deployment.yaml', 'Deployment');
    const pod = deployment.spec.template.spec;
    const containers = pod.containers as Obj[];
    const container = containers[0]!;

    it('runs 2 replicas whose pods its selector matches', () => {
      expect(deployment.spec.replicas).toBe(2);
      expect(containers).toHaveLength(1);
      expect(matchesSelector(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    });

    const envValue = (name: string) => (container.env as Obj[]).find((e) => e.name === name)?.value as string | undefined;

    it('listens on the default PORT of the configuration, and serves /metrics on METRICS_PORT where the scrape annotations point', () => {
      const ports = container.ports as Obj[];
      expect(ports.map((p) => p.name)).toEqual(['https', 'metrics']);
      expect(ports[0]!.containerPort).toBe(defaults.port);
      for (const port of ports) expect(port.protocol ?? 'TCP').toBe('TCP');
      const portEnv = envValue('PORT');
      if (portEnv !== undefined) expect(Number(portEnv)).toBe(ports[0]!.containerPort);
      expect(Number(envValue('METRICS_PORT'))).toBe(ports[1]!.containerPort);
      const annotations = deployment.spec.template.metadata.annotations;
      expect(Number(annotations['prometheus.io/port'])).toBe(ports[1]!.containerPort);
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      // The metrics server is plain HTTP even when the API port is HTTPS.
      expect(annotations['prometheus.io/scheme']).toBe('http');
    });

    it('serves HTTPS from the cert-manager Secret of tls.yaml, mounted read-only as a directory', () => {
      const certFile = envValue('TLS_CERT_FILE')!;
      const keyFile = envValue('TLS_KEY_FILE')!;
      expect(certFile).toBeDefined();
      expect(keyFile).toBeDefined();
      const mounts = container.volumeMounts as Obj[];
      const mount = mounts.find((m) => certFile.startsWith(`${m.mountPath}/`))!;
      expect(mount, 'TLS_CERT_FILE is on a mounted volume').toBeDefined();
      expect(keyFile.startsWith(`${mount.mountPath}/`)).toBe(true);
      expect(mount.readOnly).toBe(true);
      // A subPath mount never sees the kubelet's update of the Secret: renewals would be missed.
      expect(mount.subPath).toBeUndefined();
      const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name)!;
      const serving = load('tls.yaml').filter((o) => o.kind === 'Certificate' && !o.spec.isCA);
      expect(serving).toHaveLength(1);
      expect(volume.secret.secretName).toBe(serving[0]!.spec.secretName);
      // The Secret keys cert-manager (and `kubectl create secret tls`) write.
      const files = Object.fromEntries((volume.secret.items as Obj[]).map((i) => [i.key, `${mount.mountPath}/${i.path}`]));
      expect(files).toEqual({ 'tls.crt': certFile, 'tls.key': keyFile });
      // Readable by the container's group only (fsGroup), never world-readable.
      expect(volume.secret.defaultMode & 0o007).toBe(0);
      expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(probe.httpGet.scheme).toBe('HTTPS');
    });

    it('does not trust X-Forwarded-For: behind a ClusterIP Service any pod could forge it', () => {
      expect(envValue('TRUST_PROXY')).toBeUndefined();
      expect(defaults.trustProxy).toBe(false);
      expect(one('service.yaml', 'Service').spec.type ?? 'ClusterIP').toBe('ClusterIP');
    });

    it('gives the process its shutdown grace, after the preStop pause, within the pod’s termination grace', () => {
      const command = container.lifecycle.preStop.exec.command as string[];
      expect(command[0]).toBe('sleep');
      const graceMs = envValue('SHUTDOWN_GRACE_MS') === undefined ? defaults.shutdownGraceMs : Number(envValue('SHUTDOWN_GRACE_MS'));
      expect(Number(command[1]) * 1000 + graceMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
    });

    it('probes liveness on /api/status and readiness on /api/status/ready, on the API port', () => {
      expect([LIVENESS_PATH, READINESS_PATH]).toEqual(['/api/status', '/api/status/ready']);
      expect(container.livenessProbe.httpGet.path).toBe(LIVENESS_PATH);
      expect(container.readinessProbe.httpGet.path).toBe(READINESS_PATH);
      if (container.startupProbe) expect(container.startupProbe.httpGet.path).toBe(LIVENESS_PATH);
      const port = container.ports[0];
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe].filter(Boolean)) {
        expect([port.name, port.containerPort]).toContain(probe.httpGet.port);
      }
    });

    it('uses only environment variables the configuration knows, with valid values', () => {
      const env = container.env as Obj[];
      const names = env.map((e) => e.name as string);
      expect(new Set(names).size, 'no variable twice').toBe(names.length);
      for (const name of names) expect(variableNames.has(name) || name === 'NODE_ENV', `${name} is not in VARIABLES`).toBe(true);
      expect(container.envFrom, 'env names must be explicit, so this test can check them').toBeUndefined();

      const value = (name: string) => env.find((e) => e.name === name)?.value as string | undefined;
      expect(value('NODE_ENV')).toBe('production');
      expect(value('DB_TYPE')).toBe('mysql');
      expect(value('PUBLIC_URL')).toMatch(/^https:\/\//);

      const secret = one('secret.yaml', 'Secret');
      const fromSecret = env.filter((e) => e.valueFrom?.secretKeyRef);
      expect(fromSecret.map((e) => e.name).sort()).toEqual(['DB_URL', 'ENCRYPTION_KEY']);
      for (const e of fromSecret) {
        expect(e.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
        expect(Object.keys(secret.stringData)).toContain(e.valueFrom.secretKeyRef.key);
      }

      // The environment as the pod gets it (secrets replaced by valid values) passes the schema.
      const sample: Record<string, string> = { ENCRYPTION_KEY: randomBytes(32).toString('base64'), DB_URL: 'mysql://zerokey:pw@mysql:3306/zerokey' };
      const podEnv = Object.fromEntries(env.map((e) => [e.name, e.value ?? sample[e.name]]));
      const config = loadConfig(podEnv);
      expect(config.production).toBe(true);
      expect(config.dbType).toBe('mysql');
      expect(config.port).toBe(container.ports[0].containerPort);
      expect(config.trustProxy).toBe(false);
      expect(config.metricsPort).toBe(container.ports[1].containerPort);
      expect([config.tlsCertFile, config.tlsKeyFile]).toEqual([value('TLS_CERT_FILE'), value('TLS_KEY_FILE')]);
    });

    it('runs the image the Dockerfile documents, tagged with the package version', () => {
      const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
      const documented = /docker build -t (\S+) \./.exec(dockerfile)?.[1];
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(documented).toBe(`zerokey:${version}`);
      expect(container.image).toBe(documented);
      expect(deployment.metadata.labels['app.kubernetes.io/version']).toBe(version);
    });

    it('sets resource requests and limits', () => {
      for (const key of ['requests', 'limits']) {
        expect(container.resources?.[key]?.memory, `${key}.memory`).toMatch(/^\d+(Mi|Gi)$/);
      }
      expect(container.resources.requests.cpu).toBeDefined();
    });

    it('runs as non-root on a read-only root filesystem, with no privileges, /tmp an emptyDir', () => {
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile?.type).toBe('RuntimeDefault');
      const sc = container.securityContext;
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.capabilities.drop).toEqual(['ALL']);
      expect(sc.privileged ?? false).toBe(false);
      const tmp = (container.volumeMounts as Obj[]).find((m) => m.mountPath === '/tmp');
      expect(tmp).toBeDefined();
      const volume = (pod.volumes as Obj[]).find((v) => v.name === tmp!.name);
      expect(volume?.emptyDir).toBeDefined();
      // Anything the app may write (the dev key in DATA_DIR) must be on the writable volume.
      const dataDir = (container.env as Obj[]).find((e) => e.name === 'DATA_DIR')?.value as string | undefined;
      if (dataDir) expect(dataDir.startsWith('/tmp')).toBe(true);
    });
  });

  it('the PodDisruptionBudget keeps at least one of the Deployment’s pods', () => {
    const pdb = one('pdb.yaml', 'PodDisruptionBudget');
    const deployment = one('deployment.yaml', 'Deployment');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(matchesSelector(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it('the Service selects the pods and targets the container port', () => {
    const service = one('service.yaml', 'Service');
    const deployment = one('deployment.yaml', 'Deployment');
    const port = deployment.spec.template.spec.containers[0].ports[0];
    expect(matchesSelector(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(443);
    expect([port.name, port.containerPort]).toContain(service.spec.ports[0].targetPort);
  });

  describe('tls.yaml (cert-manager)', () => {
    const objects = load('tls.yaml');
    const issuers = new Map(objects.filter((o) => o.kind === 'Issuer').map((o) => [o.metadata.name as string, o]));
    const certificates = objects.filter((o) => o.kind === 'Certificate');
    const ca = certificates.find((c) => c.spec.isCA === true)!;
    const serving = certificates.find((c) => c.spec.isCA !== true)!;

    it('issues the serving certificate from a private CA rooted in a self-signed issuer', () => {
      expect(issuers.get(ca.spec.issuerRef.name)?.spec.selfSigned).toEqual({});
      expect(ca.spec.issuerRef.kind).toBe('Issuer');
      const servingIssuer = issuers.get(serving.spec.issuerRef.name)!;
      expect(serving.spec.issuerRef.kind).toBe('Issuer');
      expect(servingIssuer.spec.ca.secretName).toBe(ca.spec.secretName);
      expect(serving.spec.usages).toContain('server auth');
      expect(serving.spec.secretName).not.toBe(ca.spec.secretName);
    });

    it('names every in-cluster name of the Service, and is renewed before it expires', () => {
      const service = one('service.yaml', 'Service');
      const { name, namespace } = service.metadata;
      expect(serving.spec.dnsNames).toEqual(expect.arrayContaining([name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`]));
      const hours = (d: string) => Number(/^(\d+)h$/.exec(d)![1]);
      expect(hours(serving.spec.renewBefore)).toBeLessThan(hours(serving.spec.duration));
    });
  });

  describe('example-workload.yaml', () => {
    const sa = one('example-workload.yaml', 'ServiceAccount');
    const pod = one('example-workload.yaml', 'Pod');
    const container = pod.spec.containers[0];

    it('mounts a projected token for audience zerokey that expires after 10 minutes', () => {
      expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
      expect(pod.metadata.namespace).toBe(sa.metadata.namespace);
      const projected = (pod.spec.volumes as Obj[]).filter((v) => v.projected);
      expect(projected).toHaveLength(1);
      const source = (projected[0]!.projected.sources as Obj[]).find((s) => s.serviceAccountToken)!.serviceAccountToken;
      expect(source.audience).toBe('zerokey');
      expect(source.expirationSeconds).toBe(600);
      const mount = (container.volumeMounts as Obj[]).find((m) => m.name === projected[0]!.name);
      expect(mount).toBeDefined();
      const tokenFile = (container.env as Obj[]).find((e) => e.name === 'TOKEN_FILE')?.value;
      expect(tokenFile).toBe(`${mount!.mountPath}/${source.path}`);
    });

    it('logs in with curl: reads the token file, POSTs identityId from the environment to the login route', () => {
      const script = [...(container.command ?? []), ...(container.args ?? [])].join('\n');
      expect(script).toMatch(/\bcurl\b/);
      expect(script).toContain('/api/v1/auth/kubernetes-auth/login');
      expect(script).toContain('$TOKEN_FILE');
      expect(script).toMatch(/identityId.*\$ZEROKEY_IDENTITY_ID/);
      const env = (container.env as Obj[]).map((e) => e.name);
      expect(env).toEqual(expect.arrayContaining(['ZEROKEY_URL', 'ZEROKEY_IDENTITY_ID', 'TOKEN_FILE']));
      // The service name and namespace of the Zerokey manifests.
      const service = one('service.yaml', 'Service');
      const url = (container.env as Obj[]).find((e) => e.name === 'ZEROKEY_URL')?.value;
      expect(url).toBe(`https://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
      // curl verifies the service with the CA of tls.yaml, mounted from the zerokey-ca ConfigMap.
      const cacert = /--cacert (\S+)/.exec(script)?.[1];
      expect(cacert).toBeDefined();
      expect(script).not.toMatch(/\s(-k|--insecure)\b/);
      expectCaMount(pod.spec, container, cacert!);
    });

    it('runs non-root without privileges', () => {
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    });
  });
});

describe.each([
  ['agent-sidecar.yaml', 'Deployment', 'sidecar'],
  ['agent-init.yaml', 'Job', 'init'],
] as const)('%s (zerokey-agent, docs/agent.md)', (file, kind, mode) => {
  const workload = one(file, kind);
  const pod = workload.spec.template.spec as Obj;
  const agent = (pod.initContainers as Obj[])[0]!;
  const env = Object.fromEntries((agent.env as Obj[]).map((e) => [e.name, e.value]));
  const options = parseOptions(agent.args as string[], env);
  if (options === 'help') throw new Error('--help in the manifest');
  const mountOf = (container: Obj, path: string): Obj | undefined => (container.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));

  it('runs the agent of the service image, with flags and environment the agent accepts', () => {
    const deployment = one('deployment.yaml', 'Deployment');
    expect(agent.image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(agent.command).toEqual(['node', 'dist/agent/main.js']);
    expect(existsSync(join(ROOT, 'agent/main.ts'))).toBe(true);
    expect(Object.keys(env).sort()).toEqual(['ZEROKEY_IDENTITY_ID', 'ZEROKEY_URL']);
    const service = one('service.yaml', 'Service');
    expect(options.url.href).toBe(`https://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local/`);
    expect(options.caCert, 'the agent verifies the service with the CA of tls.yaml').toBeDefined();
    expectCaMount(pod, agent, options.caCert!);
    expect(options.once).toBe(mode === 'init');
    expect(agent.restartPolicy).toBe(mode === 'sidecar' ? 'Always' : undefined);
    expect(workload.metadata.namespace).toBe(one('example-workload.yaml', 'ServiceAccount').metadata.namespace);
    expect(pod.serviceAccountName).toBe(one('example-workload.yaml', 'ServiceAccount').metadata.name);
  });

  it('logs in with a projected token for audience zerokey, not the default service-account token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    const mount = mountOf(agent, options.tokenPath)!;
    expect(mount, 'the --token-path is on a mounted volume').toBeDefined();
    const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name)!;
    const source = (volume.projected.sources as Obj[]).find((s) => s.serviceAccountToken)!.serviceAccountToken;
    expect(source.audience).toBe('zerokey');
    expect(`${mount.mountPath}/${source.path}`).toBe(options.tokenPath);
    expect(source.expirationSeconds).toBeGreaterThanOrEqual(600);
  });

  it('writes the sink to an in-memory volume that the application mounts read-only', () => {
    const agentMount = mountOf(agent, options.sink)!;
    expect(agentMount.readOnly).not.toBe(true);
    const volume = (pod.volumes as Obj[]).find((v) => v.name === agentMount.name)!;
    expect(volume.emptyDir.medium).toBe('Memory');
    const app = (pod.containers as Obj[])[0]!;
    const appMount = (app.volumeMounts as Obj[]).find((m) => m.name === agentMount.name)!;
    expect(appMount).toMatchObject({ mountPath: agentMount.mountPath, readOnly: true });
  });

  it('probes the agent on /healthz of its --listen port (sidecar), and runs non-root without privileges', () => {
    if (mode === 'sidecar') {
      expect(options.listen?.port).toBe(9090);
      expect(options.revokeOnExit).toBe(true);
      for (const probe of [agent.startupProbe, agent.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/healthz', port: options.listen!.port });
    } else {
      expect(options.listen).toBeUndefined();
      expect(pod.restartPolicy).toBe('Never');
    }
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    for (const container of [agent, ...(pod.containers as Obj[])]) {
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(container.resources.limits.memory).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const runtime = instructions.slice(instructions.findLastIndex((l) => /^FROM\s/i.test(l)));

  it('is multi-stage on the pinned Node 24 slim image, builds with npm ci and drops dev dependencies', () => {
    expect(productionRuntime.nodeVersion).toMatch(/^24\.\d+\.\d+$/);
    expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${productionRuntime.nodeVersion}-bookworm-slim`);
    expect(instructions.filter((l) => /^FROM\s/i.test(l))).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm prune --omit=dev|npm ci[^\n]*--omit=dev/);
    expect(dockerfile).toMatch(/python3.*make.*g\+\+/);
  });

  it('ships zerokey-agent (dist/agent, the package bin) in the same image', () => {
    expect(runtime).toContain('COPY --from=build /app/dist/agent ./dist/agent');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.bin['zerokey-agent']).toBe('dist/agent/main.js');
    expect(pkg.scripts.agent).toContain('node dist/agent/main.js');
  });

  it('ships the admin console (dist/console, built by npm run build) where the service looks for it', () => {
    expect(runtime).toContain('COPY --from=build /app/dist/console ./dist/console');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('npm run build:console');
    expect(readFileSync(join(ROOT, 'console/vite.config.ts'), 'utf8')).toContain("'../dist/console'");
  });

  it('runs as a non-root user, exposes the default port and starts dist/src/main.js', () => {
    const user = runtime.find((l) => /^USER\s/i.test(l));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/i);
    expect(runtime).toContain(`EXPOSE ${defaults.port}`);
    expect(runtime.find((l) => /^CMD\s/i.test(l))).toBe(`CMD ${JSON.stringify(['node', ...productionRuntime.nodeFlags, 'dist/src/main.js']).replaceAll('","', '", "')}`);
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
    expect(runtime.some((l) => /^WORKDIR\s+\/app$/.test(l))).toBe(true);
  });

  it('runs the Node release that package.json engines, scripts/node24.sh and the running tests agree on', () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${productionRuntime.nodeVersion.split('.')[0]}`);
    expect(readFileSync(join(ROOT, 'scripts/node24.sh'), 'utf8')).toContain(`NODE_VERSION=${productionRuntime.nodeVersion}\n`);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('starts Node as scripts/runtime.json says, like npm start does', () => {
    for (const [name, value] of Object.entries(productionRuntime.env)) expect(runtime).toContain(`ENV ${name}=${value}`);
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    const env = Object.entries(productionRuntime.env).map(([name, value]) => `${name}=${value} `).join('');
    expect(start).toContain(`&& ${env}node ${productionRuntime.nodeFlags.join(' ')} dist/src/main.js`);
  });

  it('has a HEALTHCHECK on the liveness route without curl', () => {
    const healthcheck = runtime.find((l) => /^HEALTHCHECK\s/i.test(l));
    expect(healthcheck).toBeDefined();
    expect(healthcheck).toContain(LIVENESS_PATH);
    expect(healthcheck).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('.dockerignore keeps node_modules, dist and local data out of the context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'data', '.git', '.env']) expect(ignored).toContain(entry);
  });
});
