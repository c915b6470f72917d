import { Logger } from '@nestjs/common';

/** How soon a coalesced value reaches the database (docs/architecture.md "Data access and migrations"). */
export const COALESCE_MS = 1000;

/**
 * Purely informational columns (an identity's `lastLoginAt`, an unlimited token's `numUses` and
 * `lastUsedAt`) kept in memory per key and written at most COALESCE_MS later, all keys of one
 * flush together: a burst of requests on one row costs one write, not one each. The owner calls
 * flush() on shutdown so nothing counted is lost. A failed flush keeps its values for the next.
 */
export class CoalescedWrites<K, V> {
  private pending = new Map<K, V>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(
    name: string,
    /** Folds a new value into the one waiting for the same key. */
    private readonly merge: (waiting: V, next: V) => V,
    /** Writes one flush's values (through a repository, in one unit of work). */
    private readonly write: (values: Map<K, V>) => Promise<void>,
  ) {
    this.logger = new Logger(name);
  }

  add(key: K, value: V): void {
    const waiting = this.pending.get(key);
    this.pending.set(key, waiting === undefined ? value : this.merge(waiting, value));
    this.timer ??= setTimeout(() => void this.flush(), COALESCE_MS).unref();
  }

  /** The value still waiting to be written for `key`. */
  waiting(key: K): V | undefined {
    return this.pending.get(key);
  }

  /** Writes everything waiting now (on shutdown, or when the timer fires). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const values = this.pending;
      this.pending = new Map();
      try {
        await this.write(values);
      } catch (error) {
        // Put them back under what arrived meanwhile, for the next flush.
        for (const [key, value] of values) {
          const newer = this.pending.get(key);
          this.pending.set(key, newer === undefined ? value : this.merge(value, newer));
        }
        this.timer ??= setTimeout(() => void this.flush(), COALESCE_MS).unref();
        this.logger.warn({ err: (error as Error).message, keys: values.size }, 'could not write coalesced values; will retry');
      }
    });
    return this.flushing;
  }
}
