import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/database/migrate.js';
import { MIGRATIONS } from '../../src/database/data-source.js';
import { bootstrap } from '../support/api-client.js';
import { schemaDiff as schemaDiffOf } from '../support/schema.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const TABLES = ['organizations', 'users', 'org_memberships', 'identities', 'kubernetes_auth_configs', 'kubernetes_clusters', 'access_tokens', 'signing_keys', 'audit_logs', 'instance_state'];

let t: TestApp;
let ds: DataSource;
const schemaDiff = (): Promise<string[]> => schemaDiffOf(ds);

beforeAll(async () => {
  t = await startTestApp();
  ds = t.app.get(DataSource);
});

afterAll(async () => {
  await t?.close();
});

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
    expect(await schemaDiff(), 'the entities need what the last migration adds').not.toEqual([]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual([MIGRATIONS.at(-1)!.name]);
    expect(await existingTables()).toEqual(TABLES);
    expect(await schemaDiff()).toEqual([]);
  });

  it('every migration reverts, newest first, down to an empty database, and they all re-apply', async () => {
    for (let left = MIGRATIONS.length; left > 0; left--) await ds.undoLastMigration({ transaction: 'each' });
    expect(await existingTables()).toEqual([]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await schemaDiff()).toEqual([]);
  });

  it('the app answers on the re-created schema (empty again: bootstrap is open)', async () => {
    expect((await request(t.url).get('/api/status/ready')).status).toBe(200);
    const res = await request(t.url).post('/api/v1/admin/bootstrap').send({ email: 'again@example.com', password: 'a long enough password', organization: 'Again' });
    expect(res.status).toBe(200);
  });
});
