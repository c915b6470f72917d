import { isIPv6 } from 'node:net';
import { parseCidr } from '../common/net/cidr.js';
import type { AppConfig, DbType, LogLevel } from './app-config.js';

/** A configuration error: one line naming the variable and the rule it breaks. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** One documented variable: its default and the rule, used by the parser and by the docs. */
export interface VariableSpec {
  name: string;
  default: string;
  meaning: string;
}

export const VARIABLES: VariableSpec[] = [
  { name: 'NODE_ENV', default: 'development', meaning: '`production` requires ENCRYPTION_KEY' },
  { name: 'PORT', default: '8080', meaning: 'listen port, integer 1-65535' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'listen address' },
  { name: 'DB_TYPE', default: 'sqlite', meaning: '`sqlite` (embedded) or `mysql` (MySQL 8 / MariaDB 10.11+)' },
  { name: 'DB_PATH', default: 'data/zerokey.sqlite', meaning: 'SQLite file when DB_TYPE=sqlite (`:memory:` allowed)' },
  { name: 'DB_URL', default: '', meaning: 'mysql://user:pass@host:3306/db, required when DB_TYPE=mysql' },
  { name: 'DB_MIGRATIONS_RUN', default: 'true', meaning: 'run pending migrations at start-up' },
  { name: 'DB_POOL_SIZE', default: '10', meaning: 'MySQL connection pool size, integer 1-1000' },
  { name: 'DB_QUERY_TIMEOUT_MS', default: '5000', meaning: 'a database call (or a wait for a pooled connection or for a locked SQLite file) taking longer fails its request with 503 DatabaseUnavailable, integer 100-600000' },
  { name: 'REQUEST_TIMEOUT_MS', default: '30000', meaning: 'a request still unanswered after this many milliseconds gets 503 RequestTimeout (never a dropped connection), integer 1000-600000' },
  { name: 'SHUTDOWN_GRACE_MS', default: '10000', meaning: 'on SIGTERM/SIGINT: in-flight requests finish, coalesced writes are flushed, pools close; the process exits within this time even if the database hangs, integer 1000-600000' },
  { name: 'DATA_DIR', default: 'data', meaning: 'local state of the embedded default (SQLite file, dev encryption key)' },
  { name: 'ENCRYPTION_KEY', default: '', meaning: '32 bytes, base64: root key for secrets at rest (generated into DATA_DIR outside production)' },
  { name: 'ENCRYPTION_KEY_PREVIOUS', default: '', meaning: 'the previous root key (32 bytes, base64) during a key rotation: still decrypts, never encrypts' },
  { name: 'AUDIT_RETENTION_DAYS', default: '90', meaning: 'audit rows older than this many days are deleted by housekeeping, integer 1-36500' },
  { name: 'PUBLIC_URL', default: 'http://localhost:8080', meaning: 'issuer (iss) of access tokens, an http(s) URL' },
  { name: 'KUBERNETES_TIMEOUT_MS', default: '5000', meaning: 'TokenReview timeout in milliseconds, integer 100-120000' },
  { name: 'KUBERNETES_KEYS_CACHE_S', default: '600', meaning: 'how long a cluster\'s service-account signing keys (JWKS verification) are kept, in seconds, integer 1-86400; an unknown kid fetches them again, at most once per 10 s' },
  { name: 'KUBERNETES_NAMESPACE_CACHE_S', default: '60', meaning: 'how long a namespace\'s labels, read for namespace selectors, are kept, in seconds, integer 0-86400 (0: read on every login)' },
  { name: 'KUBERNETES_SA_TOKEN_PATH', default: '/var/run/secrets/kubernetes.io/serviceaccount/token', meaning: 'reviewer token file for tokenReviewerSource in-cluster' },
  { name: 'KUBERNETES_SA_CA_PATH', default: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', meaning: 'cluster CA file for tokenReviewerSource in-cluster' },
  { name: 'KUBERNETES_SERVICE_HOST', default: 'kubernetes.default.svc', meaning: 'API server of the cluster Zerokey runs in, for tokenReviewerSource in-cluster (Kubernetes sets it in every pod)' },
  { name: 'KUBERNETES_SERVICE_PORT', default: '443', meaning: 'its port, integer 1-65535 (Kubernetes sets it in every pod)' },
  { name: 'ALLOW_PRIVATE_KUBERNETES_HOSTS', default: 'true', meaning: 'when false, refuse Kubernetes hosts resolving to loopback/private/link-local addresses' },
  { name: 'TRUST_PROXY', default: 'false', meaning: 'honour X-Forwarded-For for the client IP: true (every hop; only when the proxy overwrites the header), a hop count, or the proxies\' IPs/CIDRs, comma-separated' },
  { name: 'CORS_ORIGINS', default: '', meaning: 'comma-separated browser origins allowed by CORS (e.g. the dashboard https://zerokey.example.com); none when empty' },
  { name: 'LOGIN_RATE_LIMIT', default: '1200', meaning: 'login/renew/revoke requests per minute per client IP; 0 disables' },
  { name: 'REDIS_URL', default: '', meaning: 'redis://host:6379: shared rate-limit counters for all replicas (in memory when unset; while Redis is unavailable each replica counts in memory, readiness says rateLimits memory-fallback)' },
  { name: 'BOOTSTRAP_EMAIL', default: '', meaning: 'with BOOTSTRAP_PASSWORD and BOOTSTRAP_ORGANIZATION: create the first admin at start if no user exists' },
  { name: 'BOOTSTRAP_PASSWORD', default: '', meaning: 'password of the bootstrap admin, 12-256 characters' },
  { name: 'BOOTSTRAP_ORGANIZATION', default: '', meaning: 'name of the bootstrap organization' },
  { name: 'BOOTSTRAP_TOKEN', default: '', meaning: 'when set, POST /api/v1/admin/bootstrap needs it in the x-bootstrap-token header (16-256 characters); when unset, bootstrap is accepted only from loopback clients or with the one-time token the service logs at start' },
  { name: 'AUDIT_LOG_STDOUT', default: 'false', meaning: 'also write every audit event as one JSON line to stdout (for a SIEM)' },
  { name: 'TLS_CERT_FILE', default: '', meaning: 'with TLS_KEY_FILE: serve HTTPS with this PEM certificate chain; both files are re-read when they change (cert-manager rotation)' },
  { name: 'TLS_KEY_FILE', default: '', meaning: 'the PEM private key of TLS_CERT_FILE' },
  { name: 'METRICS_PORT', default: '', meaning: 'serve /metrics on this port only (bound to HOST), not on the API port; integer 1-65535, not PORT' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent; JSON logs on stdout' },
];

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function raw(env: Env, name: string): string {
  const value = env[name];
  if (value !== undefined && value.trim() !== '') return value.trim();
  return VARIABLES.find((v) => v.name === name)?.default ?? '';
}

function integer(env: Env, name: string, min: number, max: number): number {
  const value = raw(env, name);
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(`${name} must be an integer ${min}-${max} (got "${value}")`);
  }
  return parsed;
}

function boolean(env: Env, name: string): boolean {
  const value = raw(env, name).toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false (got "${value}")`);
}

function optional(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  return value === '' ? undefined : value;
}

function httpUrl(env: Env, name: string): string {
  const value = raw(env, name);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL (got "${value}")`);
  }
  return value.replace(/\/+$/, '');
}

function base64Key(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  if (value !== undefined && (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || Buffer.from(value, 'base64').length !== 32)) {
    throw new ConfigError(`${name} must be 32 bytes encoded as base64 (openssl rand -base64 32)`);
  }
  return value;
}

function encryptionKey(env: Env, production: boolean): string | undefined {
  const value = base64Key(env, 'ENCRYPTION_KEY');
  if (value === undefined) {
    if (production) throw new ConfigError('ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)');
    return undefined;
  }
  return value;
}

function dbSettings(env: Env): Pick<AppConfig, 'dbType' | 'dbUrl' | 'dbPath'> {
  const dbType = raw(env, 'DB_TYPE') as DbType;
  if (dbType !== 'sqlite' && dbType !== 'mysql') {
    throw new ConfigError(`DB_TYPE must be sqlite or mysql (got "${dbType}")`);
  }
  const dbUrl = optional(env, 'DB_URL');
  if (dbType === 'mysql') {
    if (!dbUrl) throw new ConfigError('DB_URL is required when DB_TYPE=mysql (mysql://user:pass@host:3306/db)');
    let url: URL | undefined;
    try {
      url = new URL(dbUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') || url.pathname.length < 2) {
      throw new ConfigError('DB_URL must look like mysql://user:pass@host:3306/db');
    }
  }
  return { dbType, dbUrl, dbPath: raw(env, 'DB_PATH') };
}

function bootstrapSettings(env: Env): Pick<AppConfig, 'bootstrapEmail' | 'bootstrapPassword' | 'bootstrapOrganization'> {
  const email = optional(env, 'BOOTSTRAP_EMAIL');
  const password = optional(env, 'BOOTSTRAP_PASSWORD');
  const organization = optional(env, 'BOOTSTRAP_ORGANIZATION');
  const given = [email, password, organization].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new ConfigError('BOOTSTRAP_EMAIL, BOOTSTRAP_PASSWORD and BOOTSTRAP_ORGANIZATION must be set together');
  }
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ConfigError('BOOTSTRAP_EMAIL must be an email address');
  }
  if (password !== undefined && (password.length < 12 || password.length > 256)) {
    throw new ConfigError('BOOTSTRAP_PASSWORD must be 12-256 characters');
  }
  return { bootstrapEmail: email?.toLowerCase(), bootstrapPassword: password, bootstrapOrganization: organization };
}

function bootstrapToken(env: Env): string | undefined {
  const value = optional(env, 'BOOTSTRAP_TOKEN');
  if (value !== undefined && (value.length < 16 || value.length > 256 || !/^[\x21-\x7e]+$/.test(value))) {
    throw new ConfigError('BOOTSTRAP_TOKEN must be 16-256 visible ASCII characters (openssl rand -base64 24)');
  }
  return value;
}

function tlsFiles(env: Env): Pick<AppConfig, 'tlsCertFile' | 'tlsKeyFile'> {
  const cert = optional(env, 'TLS_CERT_FILE');
  const key = optional(env, 'TLS_KEY_FILE');
  if (cert !== undefined && key === undefined) throw new ConfigError('TLS_KEY_FILE is required when TLS_CERT_FILE is set');
  if (key !== undefined && cert === undefined) throw new ConfigError('TLS_CERT_FILE is required when TLS_KEY_FILE is set');
  return { tlsCertFile: cert, tlsKeyFile: key };
}

function metricsPort(env: Env, port: number): number | undefined {
  if (optional(env, 'METRICS_PORT') === undefined) return undefined;
  const value = integer(env, 'METRICS_PORT', 1, 65535);
  if (value === port) throw new ConfigError(`METRICS_PORT must differ from PORT (both ${port})`);
  return value;
}

function inClusterUrl(env: Env): string {
  const host = raw(env, 'KUBERNETES_SERVICE_HOST');
  const port = integer(env, 'KUBERNETES_SERVICE_PORT', 1, 65535);
  const url = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`KUBERNETES_SERVICE_HOST must be a host name or IP address (got "${host}")`);
  }
  return url;
}

/** `true`/`false`, a number of proxy hops (1-10), or the proxies' addresses/CIDRs (Fastify's trustProxy forms). */
function trustProxy(env: Env): boolean | number | string[] {
  const value = raw(env, 'TRUST_PROXY');
  if (/^(true|false|1|0|yes|no)$/i.test(value) && !/^[01]$/.test(value)) return boolean(env, 'TRUST_PROXY');
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops === 0) return false;
    if (hops <= 10) return hops;
  }
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length && entries.every((e) => parseCidr(e) !== null)) return entries;
  throw new ConfigError(`TRUST_PROXY must be true, false, a hop count 1-10, or proxy IPs/CIDRs (got "${value}")`);
}

function corsOrigins(env: Env): string[] {
  const origins = raw(env, 'CORS_ORIGINS')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(`CORS_ORIGINS must list origins like https://dashboard.example.com (got "${origin}")`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

function redisUrl(env: Env): string | undefined {
  const value = optional(env, 'REDIS_URL');
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) throw new ConfigError('REDIS_URL must look like redis://host:6379');
  return value;
}

/** Parses and validates the environment. Throws `ConfigError` on the first bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = raw(env, 'NODE_ENV');
  const production = nodeEnv === 'production';
  const logLevel = raw(env, 'LOG_LEVEL').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const port = integer(env, 'PORT', 1, 65535);
  return {
    nodeEnv,
    production,
    port,
    host: raw(env, 'HOST'),
    ...dbSettings(env),
    dbMigrationsRun: boolean(env, 'DB_MIGRATIONS_RUN'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 1, 1000),
    dbQueryTimeoutMs: integer(env, 'DB_QUERY_TIMEOUT_MS', 100, 600000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 1000, 600000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 1000, 600000),
    dataDir: raw(env, 'DATA_DIR'),
    encryptionKey: encryptionKey(env, production),
    encryptionKeyPrevious: base64Key(env, 'ENCRYPTION_KEY_PREVIOUS'),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 1, 36500),
    publicUrl: httpUrl(env, 'PUBLIC_URL'),
    kubernetesTimeoutMs: integer(env, 'KUBERNETES_TIMEOUT_MS', 100, 120000),
    kubernetesNamespaceCacheS: integer(env, 'KUBERNETES_NAMESPACE_CACHE_S', 0, 86400),
    kubernetesKeysCacheS: integer(env, 'KUBERNETES_KEYS_CACHE_S', 1, 86400),
    kubernetesSaTokenPath: raw(env, 'KUBERNETES_SA_TOKEN_PATH'),
    kubernetesSaCaPath: raw(env, 'KUBERNETES_SA_CA_PATH'),
    kubernetesInClusterUrl: inClusterUrl(env),
    allowPrivateKubernetesHosts: boolean(env, 'ALLOW_PRIVATE_KUBERNETES_HOSTS'),
    trustProxy: trustProxy(env),
    loginRateLimit: integer(env, 'LOGIN_RATE_LIMIT', 0, 1000000),
    redisUrl: redisUrl(env),
    corsOrigins: corsOrigins(env),
    ...bootstrapSettings(env),
    bootstrapToken: bootstrapToken(env),
    auditLogStdout: boolean(env, 'AUDIT_LOG_STDOUT'),
    ...tlsFiles(env),
    metricsPort: metricsPort(env, port),
    logLevel,
  };
}
