import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/database/migrate';
import { MIGRATIONS } from '../../src/database/data-source';
import { bootstrap } from '../support/api-client';
import { startTestApp, type TestApp } from '../support/test-app';

const TABLES = ['organizations', 'users', 'org_memberships', 'identities', 'kubernetes_auth_configs', 'access_tokens', 'signing_keys', 'audit_logs', 'instance_state'];

let t: TestApp;
let ds: DataSource;

beforeAll(async () => {
  t = await startTestApp();
  ds = t.app.get(DataSource);
});

afterAll(async () => {
  await t?.close();
});

/**
 * The SQL TypeORM would run to make the database match the entities; empty when they agree.
 * Against MariaDB, TypeORM's `mysql` driver misreads nullable columns' defaults (MariaDB reports
 * the text `NULL`), so the comparison runs through its `mariadb` driver on the same database. That
 * one reads BOOLEAN back as tinyint(1) and compares the width, which entities never declare:
 * tell it the width MariaDB reports for BOOLEAN.
 */
async function schemaDiff(): Promise<string[]> {
  let source = ds;
  if (ds.options.type === 'mysql') {
    const [{ version }] = (await ds.query('SELECT VERSION() AS version')) as { version: string }[];
    if (/mariadb/i.test(version)) {
      source = await new DataSource({ ...ds.options, type: 'mariadb' } as DataSourceOptions).initialize();
      for (const column of source.entityMetadatas.flatMap((m) => m.columns)) if (column.type === 'boolean') column.width = 1;
    }
  }
  try {
    const log = await source.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    if (source !== ds) await source.destroy();
  }
}

async function existingTables(): Promise<string[]> {
  const runner = ds.createQueryRunner();
  try {
    const found: string[] = [];
    for (const table of TABLES) if (await runner.hasTable(table)) found.push(table);
    return found;
  } finally {
    await runner.release();
  }
}

describe('migrations', () => {
  it('ran at start: every table of the data model exists and every migration is recorded', async () => {
    expect(await existingTables()).toEqual(TABLES);
    const applied = (await ds.query(`SELECT name FROM ${ds.driver.escape('migrations')}`)) as { name: string }[];
    expect(applied.map((m) => m.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    expect(ds.options.synchronize).toBe(false);
  });

  it('the migrated schema matches the entities (no pending schema change)', async () => {
    const diff = await schemaDiff();
    expect(diff, `entities and migrations disagree:\n${diff.join(';\n')}`).toEqual([]);
  });

  it('running the migrations again is a no-op', async () => {
    expect(await runMigrations(ds)).toEqual([]);
  });

  it('the last migration reverts and re-applies cleanly, leaving the same schema', async () => {
    await bootstrap(t);
    await ds.undoLastMigration({ transaction: 'each' });
    if (MIGRATIONS.length === 1) expect(await existingTables()).toEqual([]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual([MIGRATIONS.at(-1)!.name]);
    expect(await existingTables()).toEqual(TABLES);
    expect(await schemaDiff()).toEqual([]);
  });

  it('the app answers on the re-created schema (empty again: bootstrap is open)', async () => {
    expect((await request(t.url).get('/api/status/ready')).status).toBe(200);
    const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'again@example.com', password: 'a long enough password', organization: 'Again' });
    expect(res.status).toBe(200);
  });
});
