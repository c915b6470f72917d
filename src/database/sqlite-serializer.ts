import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';

/** Per data source: null when a query may run now, else a promise of the open transaction's end. */
const gates = new WeakMap<DataSource, () => Promise<void> | null>();

/**
 * Resolves when `dataSource` may run a query outside TypeORM (straight on its connection) without
 * joining someone else's transaction; at once when none is open or the caller is inside it.
 */
export async function sqliteTurn(dataSource: DataSource): Promise<void> {
  const gate = gates.get(dataSource);
  if (!gate) return;
  for (let wait = gate(); wait; wait = gate()) await wait;
}

/**
 * TypeORM's better-sqlite3 driver shares ONE connection between all callers. Without this, two
 * concurrent transactions nest as savepoints of each other, and any query issued while a
 * transaction is open silently joins it (and is lost if it rolls back). This gate lets one
 * transaction run at a time and holds every other query until it ends; the transaction's own
 * queries are recognised through AsyncLocalStorage.
 */
export function serializeSqliteAccess(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const context = new AsyncLocalStorage<symbol>();
  let owner: symbol | null = null;
  let ended: Promise<void> = Promise.resolve();
  gates.set(dataSource, () => (owner === null || context.getStore() === owner ? null : ended));

  const runner = dataSource.driver.createQueryRunner('master') as QueryRunner;
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  (runner as { query: unknown }).query = async (...args: unknown[]) => {
    while (owner !== null && context.getStore() !== owner) await ended;
    return query(...args);
  };

  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  (manager as { transaction: unknown }).transaction = async (...args: unknown[]) => {
    if (owner !== null && context.getStore() === owner) return transaction(...args);
    // Check and take the gate in one synchronous step, so two waiters woken together cannot both enter.
    while (owner !== null) await ended;
    const mine = Symbol('sqlite-transaction');
    owner = mine;
    let finish!: () => void;
    ended = new Promise<void>((resolve) => (finish = resolve));
    try {
      return await context.run(mine, () => transaction(...args));
    } finally {
      owner = null;
      finish();
    }
  };
}
