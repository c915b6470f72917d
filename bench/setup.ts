import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createConnection } from 'mysql2/promise';
import { send, sendJson } from './http.js';
import { type Child, firstJsonLine, freePort, spawnNode } from './processes.js';

export interface Cluster {
  child: Child;
  url: string;
  ca: string;
  reviewerToken: string;
}

export async function startSimulator(root: string, tmp: string): Promise<Cluster> {
  const caFile = join(tmp, 'cluster-ca.pem');
  const main = join(root, 'dist/test/support/kubernetes-simulator/main.js');
  const child = spawnNode('kubernetes simulator', [main, '--port', '0', '--ca-out', caFile, '--control'], { ...process.env, NODE_ENV: 'production' }, root);
  const info = await firstJsonLine<{ url: string; reviewerToken: string }>(child, 30_000);
  return { child, url: info.url, ca: readFileSync(caFile, 'utf8'), reviewerToken: info.reviewerToken };
}

export interface Zerokey {
  child: Child;
  url: string;
  readyMs: number;
}

/** Starts the production build and measures spawn → first 200 from /api/status/ready. */
export async function startZerokey(root: string, env: Record<string, string>, nodeArgs: string[]): Promise<Zerokey> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawnNode('zerokey', [...nodeArgs, join(root, 'dist/src/main.js')], { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, root);
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`zerokey exited (${child.proc.exitCode}) before it was ready:\n${child.output.join('')}`);
    const answer = await send(`${url}/api/status/ready`, { timeoutMs: 2000 }).catch(() => undefined);
    if (answer?.status === 200) return { child, url, readyMs: Math.round(performance.now() - started) };
    if (performance.now() - started > 60_000) throw new Error(`zerokey was not ready within 60 s:\n${child.output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Scenario {
  identityId: string;
  serviceAccountJwt: string;
  loginBody: string;
  /** An unlimited access token of the identity, for the guard run. */
  accessToken: string;
  /** The same login for a second identity whose config verifies with the cluster's keys (jwks); not logged in yet, so its key fetch falls outside the TokenReview runs. */
  jwksLoginBody: string;
}

export const AUDIENCE = 'zerokey';

/** Bootstrap, an identity, its Kubernetes auth config (stored reviewer, CA, audience, namespace shop), one login. */
export async function createScenario(zerokey: string, cluster: Cluster): Promise<Scenario> {
  const password = randomBytes(18).toString('base64url');
  const boot = await sendJson<{ organization: { id: string }; accessToken: string }>(`${zerokey}/api/v1/admin/bootstrap`, {
    body: { email: 'bench@example.com', password, organization: 'Bench' },
  });
  const admin = { authorization: `Bearer ${boot.accessToken}` };
  const identityWith = async (name: string, verification: 'token-review' | 'jwks'): Promise<{ id: string }> => {
    const { identity } = await sendJson<{ identity: { id: string } }>(`${zerokey}/api/v1/identities`, { headers: admin, body: { name, organizationId: boot.organization.id } }, 201);
    await sendJson(
      `${zerokey}/api/v1/auth/kubernetes-auth/identities/${identity.id}`,
      {
        headers: admin,
        body: {
          kubernetesHost: cluster.url,
          caCert: cluster.ca,
          tokenReviewerJwt: cluster.reviewerToken,
          verification,
          allowedNamespaces: 'shop',
          allowedAudience: AUDIENCE,
          accessTokenTTL: 3600,
          accessTokenMaxTTL: 86400,
        },
      },
      201,
    );
    return identity;
  };
  const identity = await identityWith('checkout', 'token-review');
  const jwksIdentity = await identityWith('checkout-jwks', 'jwks');
  const mint = { namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: AUDIENCE, lifetimeSeconds: 7200 };
  const { token } = await sendJson<{ token: string }>(`${cluster.url}/_sim/mint`, { body: mint, ca: cluster.ca });
  const loginBody = JSON.stringify({ identityId: identity.id, jwt: token });
  const login = await sendJson<{ accessToken: string }>(`${zerokey}/api/v1/auth/kubernetes-auth/login`, { body: loginBody });
  const jwksLoginBody = JSON.stringify({ identityId: jwksIdentity.id, jwt: token });
  return { identityId: identity.id, serviceAccountJwt: token, loginBody, accessToken: login.accessToken, jwksLoginBody };
}

export interface SimCounters {
  tokenReviews: number;
  jwksFetches: number;
  tcpConnections: number;
  tlsSessions: number;
}

/** Each call opens (and counts) one connection of its own. */
export function simCounters(cluster: Cluster): Promise<SimCounters> {
  return sendJson<SimCounters>(`${cluster.url}/_sim/counters`, { ca: cluster.ca });
}

/** A fresh MariaDB/MySQL database next to the one BENCH_DB_URL names; drop() removes it. */
export async function createDatabase(baseUrl: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const parsed = new URL(baseUrl);
  const name = `${parsed.pathname.replace(/^\//, '') || 'zerokey_bench'}_${randomBytes(4).toString('hex')}`;
  const connect = (): ReturnType<typeof createConnection> =>
    createConnection({ host: parsed.hostname, port: Number(parsed.port || 3306), user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) });
  const admin = await connect();
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  parsed.pathname = `/${name}`;
  const drop = async (): Promise<void> => {
    const conn = await connect();
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await conn.end();
    }
  };
  return { url: parsed.toString(), name, drop };
}

export interface Bare {
  child: Child;
  url: string;
  /** An access token the bare server issued, for its guard run. */
  accessToken: string;
}

/** The framework-free baseline (bench/bare.ts) against the same simulator, with one login done. */
export async function startBare(root: string, cluster: Cluster, tmp: string, loginBody: string): Promise<Bare> {
  const caFile = join(tmp, 'bare-ca.pem');
  writeFileSync(caFile, cluster.ca);
  const child = spawnNode('bare baseline', [join(root, 'dist/bench/bare.js'), '--cluster', cluster.url, '--ca-file', caFile, '--reviewer-token', cluster.reviewerToken], { ...process.env, NODE_ENV: 'production' }, root);
  const { url } = await firstJsonLine<{ url: string }>(child, 30_000);
  const login = await sendJson<{ accessToken: string }>(`${url}/login`, { body: loginBody });
  return { child, url, accessToken: login.accessToken };
}
