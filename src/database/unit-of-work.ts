import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityMetadata, type EntityTarget } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

type Waiter = { exclusive: boolean; wake: () => void };

/** What a query runner of the mysql driver holds: its pooled mysql2 connection (undefined until connected). */
type PooledRunner = { databaseConnection?: { destroy(): void } };

/** Rows of one table held back until the end of a batching transaction, and how to write them. */
type HeldRows = { rows: unknown[]; write: (rows: unknown[]) => Promise<void> };

/**
 * A transaction in progress: its manager, what to do once it has committed, the reads it keeps
 * (`readOnce`) and, when it batches inserts, the rows held back per table.
 */
type Unit = { manager: EntityManager; committed: (() => void)[]; kept: Map<string, Promise<unknown>>; held?: Map<object, HeldRows> };

/** How a transaction runs. */
export interface TransactionOptions {
  /**
   * Rows given to `insert` are written at the end of the work, one multi-row INSERT per table,
   * instead of one statement each (group commit: the rows of N logins in two statements). Only
   * for work that does not read back what it inserts.
   */
  batchInserts?: boolean;
}

function runEffects(effects: (() => void)[]): void {
  for (const effect of effects) {
    try {
      effect();
    } catch {
      // An effect is told after the fact; it cannot undo the commit, nor fail the caller.
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** better-sqlite3's answer when another process holds the file's lock (busy_timeout is 0: it never waits in the event loop). */
function isSqliteBusy(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown })?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * The one way the repositories reach the database: `run` for a statement or a read, `transaction`
 * for writes that must all happen or none. Correct on both drivers:
 *
 * - MySQL: each call takes a pooled connection of its own.
 * - SQLite: TypeORM's better-sqlite3 driver shares ONE connection between every caller, so a
 *   statement issued while a transaction is open would silently join it, and two transactions
 *   would nest as savepoints. Here a transaction waits until no statement is running and holds
 *   the connection alone until it ends; statements wait while a transaction runs (first come,
 *   first served, so neither side starves). better-sqlite3 runs each statement synchronously, so
 *   statements between transactions need no order among themselves.
 *
 * Inside a transaction (same async context), `run` and a nested `transaction` use that
 * transaction's manager: a repository method called from a unit of work joins it.
 *
 * Every call is bounded by DB_QUERY_TIMEOUT_MS (docs/architecture.md "Faults and shutdown"): past
 * it the caller gets DomainError DatabaseUnavailable (503), whatever the database does.
 * - MySQL: a call still waiting then has its connection destroyed (the pool opens a new one for
 *   the next caller, so a thawed server is used again without a restart); a transaction whose
 *   caller was already answered is rolled back instead of committed, and a call that only got its
 *   connection after the deadline runs nothing.
 * - SQLite: another process holding the file's lock makes a statement fail at once with
 *   SQLITE_BUSY (never a wait inside the event loop); the call runs again after a short pause,
 *   with the connection given back meanwhile, until the deadline. So `run` work must be safe to
 *   run again: a read, one write, or idempotent writes; writes that belong together use
 *   `transaction`, which runs again whole.
 */
@Injectable()
export class UnitOfWork {
  private readonly serialized: boolean;
  private readonly timeoutMs: number;
  private readonly current = new AsyncLocalStorage<Unit>();
  private running = 0;
  private exclusive = false;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'dbQueryTimeoutMs'>,
  ) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
    this.timeoutMs = config.dbQueryTimeoutMs;
  }

  /** A read or a single statement, outside any transaction (or inside the caller's own). */
  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const inside = this.current.getStore();
    if (inside) return work(inside.manager);
    return this.serialized ? this.onSqlite(false, work) : this.onPool(false, work);
  }

  /** Writes that commit together or not at all. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const inside = this.current.getStore();
    if (inside) return work(inside.manager);
    return this.serialized ? this.onSqlite(true, work, options) : this.onPool(true, work, options);
  }

  /**
   * Inserts `row` with `write` (which inserts the rows it is given, in one statement): at once, or
   * inside a transaction that batches inserts, together with the other rows of the same `table`
   * at the end of that transaction's work.
   */
  insert<R>(table: object, row: R, write: (rows: R[]) => Promise<void>): Promise<void> {
    const held = this.current.getStore()?.held;
    if (!held) return write([row]);
    const entry = held.get(table) ?? { rows: [], write: write as HeldRows['write'] };
    entry.rows.push(row);
    held.set(table, entry);
    return Promise.resolve();
  }

  /**
   * `read` once per transaction for a given `key`: a second call in the same transaction gets the
   * first one's answer. For a row the transaction has locked (or, on SQLite, reads in its own
   * snapshot) and does not write itself, so that reading it again could only give the same.
   * Outside a transaction, `read` runs every time.
   */
  readOnce<T>(key: string, read: () => Promise<T>): Promise<T> {
    const kept = this.current.getStore()?.kept;
    if (!kept) return read();
    let answer = kept.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = read();
      kept.set(key, answer);
    }
    return answer;
  }

  /**
   * Runs `effect` once the transaction the caller is in has committed (never when it rolls back),
   * or at once outside a transaction: for what must not be told before the rows exist, such as
   * an audit event streamed to stdout.
   */
  afterCommit(effect: () => void): void {
    const inside = this.current.getStore();
    if (inside) inside.committed.push(effect);
    else effect();
  }

  /** `work` as a unit of its own on `manager`; its after-commit effects are returned for the caller to run once it has committed. */
  private async within<T>(manager: EntityManager, work: (manager: EntityManager) => Promise<T>, options: TransactionOptions): Promise<{ result: T; committed: (() => void)[] }> {
    const unit: Unit = { manager, committed: [], kept: new Map(), held: options.batchInserts ? new Map() : undefined };
    const result = await this.current.run(unit, async () => {
      const value = await work(manager);
      const held = unit.held;
      unit.held = undefined;
      for (const { rows, write } of held?.values() ?? []) await write(rows);
      return value;
    });
    return { result, committed: unit.committed };
  }

  private unavailable(what: string): DomainError {
    return new DomainError('DatabaseUnavailable', `the database ${what} within ${this.timeoutMs} ms, try again shortly`);
  }

  private async onSqlite<T>(transactional: boolean, work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (let pause = 2; ; pause = Math.min(2 * pause, 100)) {
      await this.enter(transactional, deadline);
      try {
        if (!transactional) return await work(this.dataSource.manager);
        const { result, committed } = await this.dataSource.transaction((manager) => this.within(manager, work, options));
        runEffects(committed);
        return result;
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        if (Date.now() >= deadline) throw this.unavailable('file stayed locked by another process');
      } finally {
        this.leave(transactional);
      }
      await sleep(Math.min(pause, deadline - Date.now()));
    }
  }

  private async onPool<T>(transactional: boolean, work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let answered = false;
    const attempt = (async () => {
      await runner.connect();
      if (answered) throw this.unavailable('gave no connection');
      if (!transactional) return work(runner.manager);
      await runner.startTransaction();
      try {
        const { result, committed } = await this.within(runner.manager, work, options);
        if (answered) throw this.unavailable('did not answer');
        await runner.commitTransaction();
        runEffects(committed);
        return result;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    })();
    // The connection goes back to the pool (or, destroyed, leaves it) only once the attempt is over.
    void attempt.catch(() => undefined).finally(() => runner.release().catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        answered = true;
        (runner as unknown as PooledRunner).databaseConnection?.destroy();
        reject(this.unavailable('did not answer'));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([attempt, expired]);
    } finally {
      answered = true;
      clearTimeout(timer);
    }
  }

  /**
   * Runs `work` while holding a named lock shared by every replica (MySQL GET_LOCK, on a
   * connection of its own); on SQLite, where replicas cannot share the file, it just runs.
   */
  async withNamedLock<T>(name: string, work: () => Promise<T>, timeoutSeconds = 30): Promise<T> {
    if (this.serialized) return work();
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query('SELECT GET_LOCK(?, ?)', [name, timeoutSeconds]);
      try {
        return await work();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /** An entity's mapping (table, columns, the driver's value conversions), for SQL a repository writes once. */
  metadataOf(entity: EntityTarget<object>): EntityMetadata {
    return this.dataSource.getMetadata(entity);
  }

  /** The database answers a trivial query (readiness). */
  async ping(): Promise<void> {
    await this.run((manager) => manager.query('SELECT 1'));
  }

  private enter(exclusive: boolean, deadline: number): Promise<void> {
    if (this.waiting.length === 0 && this.admits(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        exclusive,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      // Not admitted in time (a transaction holds the connection that long): give up the place in line.
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        this.wakeAdmitted();
        reject(this.unavailable('connection stayed busy'));
      }, Math.max(0, deadline - Date.now()));
      this.waiting.push(waiter);
    });
  }

  private leave(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.running--;
    this.wakeAdmitted();
  }

  /** Wakes in arrival order: every statement up to the next transaction, or that transaction once the connection is free. */
  private wakeAdmitted(): void {
    while (this.waiting.length > 0 && this.admits(this.waiting[0].exclusive)) {
      const next = this.waiting.shift()!;
      this.take(next.exclusive);
      next.wake();
    }
  }

  private admits(exclusive: boolean): boolean {
    return !this.exclusive && (!exclusive || this.running === 0);
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.running++;
  }
}
