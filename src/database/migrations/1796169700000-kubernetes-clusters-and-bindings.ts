import { type MigrationInterface, type QueryRunner, Table, TableColumn, type TableColumnOptions, TableIndex } from 'typeorm';

// Self-contained on purpose (see the initial schema).
const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
const time = (name: string): TableColumnOptions => ({ name, type: 'datetime', precision: 3 });

/**
 * docs/api.md "Kubernetes clusters", "JWKS verification" and "Kubernetes auth config fields":
 * shared cluster connections, the configs' `clusterIds` (default `[]`: the config's own
 * connection), how a connection verifies tokens (`verification`, default `token-review`, what
 * every existing row did) and a config's own `issuer`, and two bindings, `allowedPodNames`
 * (empty: any pod, or none) and `namespaceSelector` (null: none). Existing configs keep what they
 * admitted.
 */
export class KubernetesClustersAndBindings1796169700000 implements MigrationInterface {
  name = 'KubernetesClustersAndBindings1796169700000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'kubernetes_clusters',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          str('orgId', 36),
          str('name', 255),
          str('kubernetesHost', 2048),
          text('caCert'),
          { name: 'verifyTlsCertificate', type: 'boolean', default: 1 },
          str('tokenReviewerSource', 16),
          text('tokenReviewerJwtEncrypted', true),
          str('issuer', 2048),
          { name: 'verification', type: 'varchar', length: '16', default: "'token-review'" },
          { name: 'version', type: 'integer' },
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [new TableIndex({ name: 'UQ_kubernetes_clusters_org_name', columnNames: ['orgId', 'name'], isUnique: true })],
      }),
    );
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'allowedPodNames', type: 'varchar', length: '4096', default: "''" }));
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'namespaceSelector', type: 'text', isNullable: true }));
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'clusterIds', type: 'varchar', length: '1024', default: "'[]'" }));
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'verification', type: 'varchar', length: '16', default: "'token-review'" }));
    await q.addColumn('kubernetes_auth_configs', new TableColumn({ name: 'issuer', type: 'varchar', length: '2048', default: "''" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('kubernetes_auth_configs', 'issuer');
    await q.dropColumn('kubernetes_auth_configs', 'verification');
    await q.dropColumn('kubernetes_auth_configs', 'clusterIds');
    await q.dropColumn('kubernetes_auth_configs', 'namespaceSelector');
    await q.dropColumn('kubernetes_auth_configs', 'allowedPodNames');
    await q.dropTable('kubernetes_clusters');
  }
}
