import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { GroupCommit } from './group-commit.js';
import { UnitOfWork } from './unit-of-work.js';

describe('GroupCommit', () => {
  let dir: string;
  let ds: DataSource;
  let uow: UnitOfWork;
  let commits: GroupCommit;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zk-group-'));
    ds = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite') }).initialize();
    uow = new UnitOfWork(ds);
    commits = new GroupCommit(uow);
    await ds.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await ds.query('DELETE FROM t');
    vi.restoreAllMocks();
  });

  const insert = (k: string) => () => uow.run((m) => m.query('INSERT INTO t (k) VALUES (?)', [k])).then(() => k);
  const keys = async (): Promise<string[]> => ((await ds.query('SELECT k FROM t ORDER BY k')) as { k: string }[]).map((r) => r.k);

  it('units submitted while a batch commits share the next transaction; each gets its own result after the commit', async () => {
    const transactions = vi.spyOn(uow, 'transaction');
    const first = commits.submit(insert('a'));
    const rest = ['b', 'c', 'd', 'e'].map((k) => commits.submit(insert(k)));
    expect(await Promise.all([first, ...rest])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await keys()).toEqual(['a', 'b', 'c', 'd', 'e']);
    // 'a' alone (nothing was waiting), then b–e together.
    expect(transactions).toHaveBeenCalledTimes(2);
  });

  it('a unit that fails spoils only its own request: the others of its batch commit', async () => {
    await ds.query("INSERT INTO t (k) VALUES ('taken')");
    const first = commits.submit(insert('x'));
    const batch = ['y', 'taken', 'z'].map((k) => commits.submit(insert(k)));
    const results = await Promise.allSettled([first, ...batch]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await keys()).toEqual(['taken', 'x', 'y', 'z']);
  });
});
