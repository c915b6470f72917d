import { type MigrationInterface, type QueryRunner, Table, TableIndex, type TableColumnOptions } from 'typeorm';

// Self-contained on purpose: a migration must keep meaning what it meant when it was merged,
// whatever later happens to the entity helpers.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const uuid = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable });
const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });
const int = (name: string, defaultValue?: number): TableColumnOptions => ({ name, type: 'integer', default: defaultValue });
// Defaults as 0/1, the form TypeORM writes for boolean entity defaults: SQLite keeps the literal text
// (`DEFAULT (false)`), and the schema diff would then never be empty.
const bool = (name: string, defaultValue: boolean): TableColumnOptions => ({ name, type: 'boolean', default: defaultValue ? 1 : 0 });

export class InitialSchema1764460800000 implements MigrationInterface {
  name = 'InitialSchema1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'organizations',
        columns: [id(), str('name', 255), str('slug', 80), time('createdAt')],
        indices: [new TableIndex({ name: 'UQ_organizations_slug', columnNames: ['slug'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'users',
        columns: [id(), str('email', 320), str('passwordHash', 255), bool('superAdmin', false), time('createdAt')],
        indices: [new TableIndex({ name: 'UQ_users_email', columnNames: ['email'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'org_memberships',
        columns: [id(), uuid('orgId'), uuid('userId'), str('role', 16), time('createdAt')],
        indices: [
          new TableIndex({ name: 'UQ_org_memberships_org_user', columnNames: ['orgId', 'userId'], isUnique: true }),
          new TableIndex({ name: 'IDX_org_memberships_user', columnNames: ['userId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'identities',
        columns: [id(), uuid('orgId'), str('name', 255), str('role', 16), text('metadata'), time('lastLoginAt', true), time('createdAt'), time('updatedAt')],
        indices: [new TableIndex({ name: 'UQ_identities_org_name', columnNames: ['orgId', 'name'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'kubernetes_auth_configs',
        columns: [
          id(),
          uuid('identityId'),
          str('kubernetesHost', 2048),
          text('caCert'),
          bool('verifyTlsCertificate', true),
          str('tokenReviewerSource', 16),
          text('tokenReviewerJwtEncrypted', true),
          text('allowedNamespaces'),
          text('allowedNames'),
          text('allowedServiceAccounts'),
          str('allowedAudience', 255),
          int('accessTokenTTL'),
          int('accessTokenMaxTTL'),
          int('accessTokenNumUsesLimit'),
          text('accessTokenTrustedIps'),
          int('version'),
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [new TableIndex({ name: 'UQ_kubernetes_auth_configs_identity', columnNames: ['identityId'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'access_tokens',
        columns: [
          id(),
          uuid('identityId', true),
          uuid('userId', true),
          uuid('orgId', true),
          uuid('authConfigId', true),
          str('authMethod', 32),
          int('ttl'),
          int('maxTtl'),
          int('numUses', 0),
          int('numUsesLimit', 0),
          time('createdAt'),
          time('expiresAt'),
          time('maxExpiresAt'),
          time('lastRenewedAt', true),
          time('lastUsedAt', true),
          time('revokedAt', true),
          str('clientIp', 64, true),
          text('subject', true),
        ],
        indices: [
          new TableIndex({ name: 'IDX_access_tokens_identity', columnNames: ['identityId'] }),
          new TableIndex({ name: 'IDX_access_tokens_user', columnNames: ['userId'] }),
          new TableIndex({ name: 'IDX_access_tokens_max_expires', columnNames: ['maxExpiresAt'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          str('algorithm', 16),
          text('publicJwk'),
          text('privateKeyEncrypted'),
          time('createdAt'),
          time('retiredAt', true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_logs',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          uuid('orgId', true),
          str('actorType', 16),
          uuid('actorId', true),
          uuid('identityId', true),
          str('event', 64),
          str('outcome', 16),
          str('errorCode', 64, true),
          str('ip', 64, true),
          str('userAgent', 512, true),
          text('metadata'),
          time('createdAt'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_logs_org_created', columnNames: ['orgId', 'createdAt'] }),
          new TableIndex({ name: 'IDX_audit_logs_created', columnNames: ['createdAt'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'instance_state',
        columns: [{ name: 'key', type: 'varchar', length: '64', isPrimary: true }, text('value'), time('createdAt')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['instance_state', 'audit_logs', 'signing_keys', 'access_tokens', 'kubernetes_auth_configs', 'identities', 'org_memberships', 'users', 'organizations']) {
      await q.dropTable(table);
    }
  }
}
