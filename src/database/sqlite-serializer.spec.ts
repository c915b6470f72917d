import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { serializeSqliteAccess, sqliteTurn } from './sqlite-serializer.js';

describe('serializeSqliteAccess', () => {
  let dir: string;
  let ds: DataSource;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zk-sqlite-'));
    ds = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite') }).initialize();
    serializeSqliteAccess(ds);
    await ds.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
  /** Inserts 'in-tx', stays open for two ticks, then rolls back. */
  const transactionThatRollsBack = (): Promise<unknown> =>
    ds.transaction(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('in-tx')");
      await tick();
      await tick();
      throw new Error('roll back');
    });

  it('a query issued while another transaction is open is not swallowed by its rollback', async () => {
    const failing = transactionThatRollsBack();
    await tick();
    const outside = ds.query("INSERT INTO t (k) VALUES ('outside')");
    await expect(failing).rejects.toThrow('roll back');
    await outside;
    expect(await ds.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'outside' }]);
  });

  it('concurrent transactions run one after the other, not nested', async () => {
    const order: string[] = [];
    const run = (name: string): Promise<unknown> =>
      ds.transaction(async (m) => {
        order.push(`${name}:start`);
        await tick();
        await m.query('INSERT INTO t (k) VALUES (?)', [name]);
        order.push(`${name}:end`);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    const duplicate = Promise.all([run('d'), run('d')]);
    await expect(duplicate).rejects.toThrow();
    expect(await ds.query("SELECT k FROM t WHERE k = 'd'")).toEqual([{ k: 'd' }]);
  });

  it('sqliteTurn holds a statement run straight on the connection until the open transaction ends', async () => {
    await ds.query('DELETE FROM t');
    const failing = transactionThatRollsBack();
    await tick();
    const connection = (ds.driver as unknown as { databaseConnection: { prepare(sql: string): { run(): unknown } } }).databaseConnection;
    const direct = (async () => {
      await sqliteTurn(ds);
      connection.prepare("INSERT INTO t (k) VALUES ('direct')").run();
    })();
    await expect(failing).rejects.toThrow('roll back');
    await direct;
    expect(await ds.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'direct' }]);
  });
});
