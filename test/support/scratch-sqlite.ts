import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SQLITE_CONNECTION } from '../../src/database/data-source.js';
import { UnitOfWork } from '../../src/database/unit-of-work.js';

export interface ScratchSqlite {
  ds: DataSource;
  uow: UnitOfWork;
  /** The keys of table `t`, sorted. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** A throw-away SQLite file with one table `t (k TEXT PRIMARY KEY)` and a UnitOfWork on it, for the database module's specs. */
export async function scratchSqlite(dbQueryTimeoutMs = 5000): Promise<ScratchSqlite> {
  const dir = mkdtempSync(join(tmpdir(), 'zk-scratch-'));
  const ds = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite'), ...SQLITE_CONNECTION }).initialize();
  await ds.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
  return {
    ds,
    uow: new UnitOfWork(ds, { dbQueryTimeoutMs }),
    keys: async () => ((await ds.query('SELECT k FROM t ORDER BY k')) as { k: string }[]).map((r) => r.k),
    async close() {
      await ds.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
