import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { scratchSqlite, type ScratchSqlite } from '../../test/support/scratch-sqlite.js';
import { GroupCommit } from './group-commit.js';
import type { UnitOfWork } from './unit-of-work.js';

describe('GroupCommit', () => {
  let db: ScratchSqlite;
  let uow: UnitOfWork;
  let commits: GroupCommit;
  beforeAll(async () => {
    db = await scratchSqlite();
    uow = db.uow;
    commits = new GroupCommit(uow);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.ds.query('DELETE FROM t');
    vi.restoreAllMocks();
  });

  const insert = (k: string) => () => uow.run((m) => m.query('INSERT INTO t (k) VALUES (?)', [k])).then(() => k);
  const keys = (): Promise<string[]> => db.keys();

  it('units submitted in the same turn share one transaction; each gets its own result after the commit', async () => {
    const transactions = vi.spyOn(uow, 'transaction');
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => commits.submit(insert(k)));
    expect(await Promise.all(all)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(transactions).toHaveBeenCalledTimes(1);
  });

  it('units submitted while a batch commits wait for it and share the next transaction', async () => {
    const transactions = vi.spyOn(uow, 'transaction');
    const later: Promise<string>[] = [];
    const first = commits.submit(async () => {
      later.push(...['b', 'c', 'd'].map((k) => commits.submit(insert(k))));
      return insert('a')();
    });
    expect(await first).toBe('a');
    // 'a' committed alone, before any later unit ran.
    expect(await keys()).toEqual(['a']);
    expect(await Promise.all(later)).toEqual(['b', 'c', 'd']);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd']);
    expect(transactions).toHaveBeenCalledTimes(2);
  });

  it('the rows the units of a batch insert through the unit of work go in one multi-row INSERT', async () => {
    const statements: number[] = [];
    const table = {};
    const write = async (rows: string[]): Promise<void> => {
      statements.push(rows.length);
      await uow.run((m) => m.query(`INSERT INTO t (k) VALUES ${rows.map(() => '(?)').join(', ')}`, rows));
    };
    await Promise.all(['p', 'q', 'r', 's'].map((k) => commits.submit(() => uow.insert(table, k, write))));
    expect(statements).toEqual([4]);
    expect(await keys()).toEqual(['p', 'q', 'r', 's']);
  });

  it('a unit that fails spoils only its own request: the others of its batch commit', async () => {
    await db.ds.query("INSERT INTO t (k) VALUES ('taken')");
    const first = commits.submit(insert('x'));
    const batch = ['y', 'taken', 'z'].map((k) => commits.submit(insert(k)));
    const results = await Promise.allSettled([first, ...batch]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await keys()).toEqual(['taken', 'x', 'y', 'z']);
  });
});
