import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * docs/api.md "JWKS verification": how a connection verifies service-account tokens
 * (`token-review`, the default and what every existing row did, or `jwks`), for configs and
 * clusters, and the issuer of a config's own cluster (clusters already have theirs).
 */
export class JwksVerification1796169800000 implements MigrationInterface {
  name = 'JwksVerification1796169800000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['kubernetes_auth_configs', 'kubernetes_clusters']) {
      await q.addColumn(table, new TableColumn({ name: 'verification', type: 'varchar', length: '16', default: "'token-review'" }));
    }
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'issuer', type: 'varchar', length: '2048', default: "''" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('kubernetes_auth_configs', 'issuer');
    for (const table of ['kubernetes_clusters', 'kubernetes_auth_configs']) await q.dropColumn(table, 'verification');
  }
}
