import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { AccessToken } from '../access-tokens/access-token.entity.js';
import { SigningKey } from '../access-tokens/signing-key.entity.js';
import { AuditLog } from '../audit/audit-log.entity.js';
import { Identity } from '../identities/identity.entity.js';
import { KubernetesAuthConfig } from '../kubernetes-auth/kubernetes-auth-config.entity.js';
import { KubernetesCluster } from '../kubernetes-auth/kubernetes-cluster.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { OrgMembership } from '../organizations/org-membership.entity.js';
import { InstanceState } from '../users/instance-state.entity.js';
import { User } from '../users/user.entity.js';
import { InitialSchema1764460800000 } from './migrations/1764460800000-initial-schema.js';
import { TokenTrustedIps1796169600000 } from './migrations/1796169600000-token-trusted-ips.js';
import { KubernetesClustersAndBindings1796169700000 } from './migrations/1796169700000-kubernetes-clusters-and-bindings.js';

export const ENTITIES = [Organization, User, OrgMembership, Identity, KubernetesAuthConfig, KubernetesCluster, AccessToken, SigningKey, AuditLog, InstanceState];
export const MIGRATIONS = [InitialSchema1764460800000, TokenTrustedIps1796169600000, KubernetesClustersAndBindings1796169700000];

/** How every SQLite connection of the service is opened (also the database module's specs). */
export const SQLITE_CONNECTION = {
  enableWAL: true,
  // Never wait for another process's lock inside the event loop: a locked file fails the
  // statement at once (SQLITE_BUSY) and the UnitOfWork retries it asynchronously until
  // DB_QUERY_TIMEOUT_MS.
  timeout: 0,
  prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 0');
    db.pragma('foreign_keys = ON');
  },
} as const;

/**
 * The one data source definition, shared by the app, the migration CLI (ormconfig.ts) and the
 * tests. `synchronize` is never on: the schema comes from the committed migrations.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  if (config.dbType === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: config.dbUrl,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      poolSize: config.dbPoolSize,
      connectTimeout: 5000,
      // mysql2 otherwise captures a stack trace (new Error) on every query, for errors that are
      // mapped to DatabaseUnavailable or logged by code anyway: ~3.5 % of a login's CPU.
      trace: false,
      // Fail fast when the pool is exhausted or the server is gone instead of queueing forever
      // (a full queue is 503 DatabaseUnavailable; a wait in it is bounded by DB_QUERY_TIMEOUT_MS).
      extra: { connectionLimit: config.dbPoolSize, queueLimit: 200, enableKeepAlive: true, maxIdle: config.dbPoolSize },
      migrationsTransactionMode: 'each',
    };
  }
  if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.dbPath,
    ...SQLITE_CONNECTION,
    migrationsTransactionMode: 'each',
  };
}
