import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { AccessToken } from '../access-tokens/access-token.entity';
import { SigningKey } from '../access-tokens/signing-key.entity';
import { AuditLog } from '../audit/audit-log.entity';
import { Identity } from '../identities/identity.entity';
import { KubernetesAuthConfig } from '../kubernetes-auth/kubernetes-auth-config.entity';
import { Organization } from '../organizations/organization.entity';
import { OrgMembership } from '../organizations/org-membership.entity';
import { InstanceState } from '../users/instance-state.entity';
import { User } from '../users/user.entity';
import { InitialSchema1764460800000 } from './migrations/1764460800000-initial-schema';

export const ENTITIES = [Organization, User, OrgMembership, Identity, KubernetesAuthConfig, AccessToken, SigningKey, AuditLog, InstanceState];
export const MIGRATIONS = [InitialSchema1764460800000];

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
      // Fail fast when the pool is exhausted or the server is gone instead of queueing forever.
      extra: { connectionLimit: config.dbPoolSize, queueLimit: 200, enableKeepAlive: true, maxIdle: config.dbPoolSize },
      migrationsTransactionMode: 'each',
    };
  }
  if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.dbPath,
    enableWAL: true,
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
    migrationsTransactionMode: 'each',
  };
}
