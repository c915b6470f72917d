import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Access tokens carry their auth config's current trusted IPs (docs/architecture.md "The bearer
 * check"), so the check on every request reads one row. Existing tokens get their config's list;
 * tokens whose config is gone were revoked with it and keep none. The index serves the update of
 * a config's tokens when its trusted IPs change (and the revocation when it is deleted).
 */
export class TokenTrustedIps1796169600000 implements MigrationInterface {
  name = 'TokenTrustedIps1796169600000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('access_tokens', new TableColumn({ name: 'trustedIps', type: 'text', isNullable: true }));
    await q.createIndex('access_tokens', new TableIndex({ name: 'IDX_access_tokens_auth_config', columnNames: ['authConfigId'] }));
    const configs = (await q.query('SELECT id, accessTokenTrustedIps FROM kubernetes_auth_configs')) as { id: string; accessTokenTrustedIps: string }[];
    for (const config of configs) {
      const list = (JSON.parse(config.accessTokenTrustedIps) as { ipAddress: string }[]).map((ip) => ip.ipAddress);
      await q.query('UPDATE access_tokens SET trustedIps = ? WHERE authConfigId = ?', [JSON.stringify(list), config.id]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('access_tokens', 'IDX_access_tokens_auth_config');
    await q.dropColumn('access_tokens', 'trustedIps');
  }
}
