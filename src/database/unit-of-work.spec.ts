import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { UnitOfWork } from './unit-of-work.js';

/** TypeORM's better-sqlite3 driver shares one connection: these are the ways that goes wrong without the UnitOfWork. */
describe('UnitOfWork on SQLite', () => {
  let dir: string;
  let ds: DataSource;
  let uow: UnitOfWork;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zk-uow-'));
    ds = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite') }).initialize();
    uow = new UnitOfWork(ds);
    await ds.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await ds.query('DELETE FROM t');
  });

  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
  const keys = async (): Promise<string[]> => ((await ds.query('SELECT k FROM t ORDER BY k')) as { k: string }[]).map((r) => r.k);
  /** Inserts 'in-tx', stays open for two ticks, then rolls back. */
  const transactionThatRollsBack = (): Promise<unknown> =>
    uow.transaction(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('in-tx')");
      await tick();
      await tick();
      throw new Error('roll back');
    });

  it('a statement issued while a transaction is open waits for it, so its rollback does not take the statement along', async () => {
    const failing = transactionThatRollsBack();
    await tick();
    const outside = uow.run((m) => m.query("INSERT INTO t (k) VALUES ('outside')"));
    await expect(failing).rejects.toThrow('roll back');
    await outside;
    expect(await keys()).toEqual(['outside']);
  });

  it('concurrent transactions run one after the other, not nested as savepoints', async () => {
    const order: string[] = [];
    const run = (name: string): Promise<unknown> =>
      uow.transaction(async (m) => {
        order.push(`${name}:start`);
        await tick();
        await m.query('INSERT INTO t (k) VALUES (?)', [name]);
        order.push(`${name}:end`);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    // The second of two equal inserts fails alone: the first one's transaction is not rolled back with it.
    const results = await Promise.allSettled([run('d'), run('d')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a transaction waits for statements already running, and statements that arrive later wait behind it', async () => {
    const order: string[] = [];
    const slowStatement = uow.run(async (m) => {
      await tick();
      await m.query("INSERT INTO t (k) VALUES ('early')");
      order.push('early');
    });
    const tx = uow.transaction(async (m) => {
      order.push('tx:start');
      await m.query("INSERT INTO t (k) VALUES ('tx')");
      await tick();
      order.push('tx:end');
    });
    const late = uow.run(async (m) => {
      await m.query("INSERT INTO t (k) VALUES ('late')");
      order.push('late');
    });
    await Promise.all([slowStatement, tx, late]);
    expect(order).toEqual(['early', 'tx:start', 'tx:end', 'late']);
  });

  it('run() and transaction() inside a transaction join it: its rollback takes them along', async () => {
    const failing = uow.transaction(async () => {
      await uow.run((m) => m.query("INSERT INTO t (k) VALUES ('joined-run')"));
      await uow.transaction((m) => m.query("INSERT INTO t (k) VALUES ('joined-tx')"));
      throw new Error('roll back');
    });
    await expect(failing).rejects.toThrow('roll back');
    expect(await keys()).toEqual([]);
    await uow.transaction(async () => {
      await uow.run((m) => m.query("INSERT INTO t (k) VALUES ('kept')"));
    });
    expect(await keys()).toEqual(['kept']);
  });
});
