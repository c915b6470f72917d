import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

type Waiter = { exclusive: boolean; wake: () => void };

/**
 * The one way the repositories reach the database: `run` for a statement or a read, `transaction`
 * for writes that must all happen or none. Correct on both drivers:
 *
 * - MySQL: a transaction takes a pooled connection of its own; `run` uses the pool.
 * - SQLite: TypeORM's better-sqlite3 driver shares ONE connection between every caller, so a
 *   statement issued while a transaction is open would silently join it, and two transactions
 *   would nest as savepoints. Here a transaction waits until no statement is running and holds
 *   the connection alone until it ends; statements wait while a transaction runs (first come,
 *   first served, so neither side starves). better-sqlite3 runs each statement synchronously, so
 *   statements between transactions need no order among themselves.
 *
 * Inside a transaction (same async context), `run` and a nested `transaction` use that
 * transaction's manager: a repository method called from a unit of work joins it.
 */
@Injectable()
export class UnitOfWork {
  private readonly serialized: boolean;
  private readonly current = new AsyncLocalStorage<EntityManager>();
  private running = 0;
  private exclusive = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
  }

  /** A read or a single statement, outside any transaction (or inside the caller's own). */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const inside = this.current.getStore();
    if (inside) return work(inside);
    if (!this.serialized) return work(this.dataSource.manager);
    await this.enter(false);
    try {
      return await work(this.dataSource.manager);
    } finally {
      this.leave(false);
    }
  }

  /** Writes that commit together or not at all. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const inside = this.current.getStore();
    if (inside) return work(inside);
    if (!this.serialized) return this.dataSource.transaction((manager) => this.current.run(manager, () => work(manager)));
    await this.enter(true);
    try {
      return await this.dataSource.transaction((manager) => this.current.run(manager, () => work(manager)));
    } finally {
      this.leave(true);
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

  /** The database answers a trivial query (readiness). */
  async ping(): Promise<void> {
    await this.run((manager) => manager.query('SELECT 1'));
  }

  private enter(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.admits(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  private leave(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.running--;
    // Wake in arrival order: every statement up to the next transaction, or that transaction once the connection is free.
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
