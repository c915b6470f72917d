import { Injectable } from '@nestjs/common';
import { isDatabaseUnavailable } from '../common/errors/database-errors.js';
import { type TransactionOptions, UnitOfWork } from './unit-of-work.js';

/** The rows a batch's units insert go in one INSERT per table, written just before the commit. */
const BATCHED: TransactionOptions = { batchInserts: true };

interface Pending<T> {
  work: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for hot writes (a login's token and audit rows, a limited token's use): units of
 * work submitted in the same turn of the event loop, or while a batch is committing, share one
 * transaction, so N concurrent requests cost one commit instead of N. The first unit waits for the
 * end of the current turn (setImmediate) before its batch starts: on SQLite a whole transaction
 * runs synchronously, so without that pause no second unit could ever join it. The rows the
 * units insert are written per table in one multi-row INSERT (UnitOfWork `batchInserts`): a
 * unit's work must not read back what it inserted. Each caller's promise settles only after the
 * transaction holding its writes committed. When a shared transaction fails, its units run again
 * one transaction each, so only the unit that fails by itself fails its request; when the
 * database itself is unavailable, the whole batch fails at once.
 */
@Injectable()
export class GroupCommit {
  private queue: Pending<unknown>[] = [];
  private committing = false;

  constructor(private readonly uow: UnitOfWork) {}

  submit<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject } as Pending<unknown>);
      if (this.committing) return;
      this.committing = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
    } finally {
      this.committing = false;
    }
  }

  private async commit(batch: Pending<unknown>[]): Promise<void> {
    if (batch.length > 1) {
      const results: unknown[] = [];
      try {
        await this.uow.transaction(async () => {
          for (const unit of batch) results.push(await unit.work());
        }, BATCHED);
        batch.forEach((unit, i) => unit.resolve(results[i]));
        return;
      } catch (error) {
        // The database itself failed (down, hung past DB_QUERY_TIMEOUT_MS, locked): every unit
        // would wait that long again, one after the other, so the whole batch fails now.
        if (isDatabaseUnavailable(error)) {
          for (const unit of batch) unit.reject(error);
          return;
        }
        // One unit spoiled the shared transaction (rolled back whole): each runs again alone.
      }
    }
    for (const unit of batch) {
      try {
        unit.resolve(await this.uow.transaction(() => unit.work(), BATCHED));
      } catch (error) {
        unit.reject(error);
      }
    }
  }
}
