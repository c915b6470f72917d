export type DbType = 'sqlite' | 'mysql';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Typed, validated configuration. Built once from the environment by `loadConfig`. */
export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  dbType: DbType;
  dbPath: string;
  dbUrl: string | undefined;
  dbMigrationsRun: boolean;
  dbPoolSize: number;
  /** Bound of every database call, pooled-connection wait and SQLite lock wait (503 DatabaseUnavailable past it). */
  dbQueryTimeoutMs: number;
  /** A request unanswered after this gets 503 RequestTimeout. */
  requestTimeoutMs: number;
  /** SIGTERM to exit, at most. */
  shutdownGraceMs: number;
  dataDir: string;
  /** Raw base64 value of ENCRYPTION_KEY; the key itself is resolved by `resolveEncryptionKey`. */
  encryptionKey: string | undefined;
  /** Previous root key during a rotation: decrypts only. */
  encryptionKeyPrevious: string | undefined;
  auditRetentionDays: number;
  publicUrl: string;
  kubernetesTimeoutMs: number;
  /** KUBERNETES_NAMESPACE_CACHE_S: seconds a namespace's labels are kept (namespace selectors). */
  kubernetesNamespaceCacheS: number;
  /** KUBERNETES_KEYS_CACHE_S: seconds a cluster's signing keys are kept (JWKS verification). */
  kubernetesKeysCacheS: number;
  kubernetesSaTokenPath: string;
  kubernetesSaCaPath: string;
  /** https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, the API server for in-cluster reviews. */
  kubernetesInClusterUrl: string;
  allowPrivateKubernetesHosts: boolean;
  /** Fastify's trustProxy: all hops, a hop count, or the proxies' addresses. */
  trustProxy: boolean | number | string[];
  loginRateLimit: number;
  redisUrl: string | undefined;
  corsOrigins: string[];
  bootstrapEmail: string | undefined;
  bootstrapPassword: string | undefined;
  bootstrapOrganization: string | undefined;
  /** Required in x-bootstrap-token for POST /api/v1/admin/bootstrap when set. */
  bootstrapToken: string | undefined;
  /** Every audit event also as a JSON line on stdout. */
  auditLogStdout: boolean;
  /** HTTPS when both are set (PEM files, re-read on change). */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** /metrics on this port only, when set. */
  metricsPort: number | undefined;
  logLevel: LogLevel;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
