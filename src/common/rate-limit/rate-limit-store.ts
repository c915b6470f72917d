import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Counters with expiry, in memory (one replica) or in Redis (shared by every replica). */
export interface RateLimitStore {
  /** Counts one hit in the fixed window of `windowMs` that contains now. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Milliseconds left on a lock, 0 when none. */
  lockedFor(key: string): Promise<number>;
  lock(key: string, ms: number): Promise<void>;
  clear(...keys: string[]): Promise<void>;
  /** Resolves once the store can count (Redis connected), or after a short wait. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, { value: number; expiresAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), 30_000).unref();

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const now = Date.now();
    const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs;
    const windowKey = `${key}:${windowEnd}`;
    const entry = this.entries.get(windowKey) ?? { value: 0, expiresAt: windowEnd };
    entry.value += 1;
    this.entries.set(windowKey, entry);
    return { count: entry.value, resetInMs: windowEnd - now };
  }

  async lockedFor(key: string): Promise<number> {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.expiresAt - Date.now()) : 0;
  }

  async lock(key: string, ms: number): Promise<void> {
    this.entries.set(key, { value: 1, expiresAt: Date.now() + ms });
  }

  async clear(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/** How long after a failed Redis command the store counts in memory without trying Redis again. */
const RETRY_REDIS_AFTER_MS = 5000;

/**
 * Redis-backed counters, shared by every replica. When Redis is unreachable (down, refusing, or
 * not answering within 500 ms) the store falls back to per-replica counters in memory instead of
 * turning limits off: each replica then enforces LOGIN_RATE_LIMIT on what it sees, so a flood is
 * still bounded (by replicas × the limit) and no workload is locked out of its credentials. It
 * logs a warning (at most every 10 s), and `degraded` tells readiness and /metrics; once a
 * Redis command succeeds again the shared counters are used again.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private readonly memory = new MemoryRateLimitStore();
  private lastWarning = 0;
  private skipRedisUntil = 0;
  /** Commands answered from memory because Redis failed. */
  fallbacks = 0;
  degraded = false;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 500, keyPrefix: 'zerokey:rl:' });
    this.redis.on('error', (error: Error) => this.fail(error));
  }

  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    return this.either(
      async () => {
        const now = Date.now();
        const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs;
        const results = await this.redis.multi().incr(`${key}:${windowEnd}`).pexpire(`${key}:${windowEnd}`, windowMs + 1000).exec();
        const failed = results?.find(([error]) => error)?.[0];
        if (!results || failed) throw failed ?? new Error('transaction aborted');
        return { count: Number(results[0][1]), resetInMs: windowEnd - now };
      },
      () => this.memory.hit(key, windowMs),
    );
  }

  lockedFor(key: string): Promise<number> {
    return this.either(
      async () => Math.max(0, await this.redis.pttl(key)),
      () => this.memory.lockedFor(key),
    );
  }

  lock(key: string, ms: number): Promise<void> {
    return this.either(
      async () => void (await this.redis.set(key, '1', 'PX', ms)),
      () => this.memory.lock(key, ms),
    );
  }

  async clear(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // Both: a lock taken in memory during an outage is cleared too.
    await this.memory.clear(...keys);
    await this.either(
      async () => void (await this.redis.del(...keys)),
      async () => undefined,
    );
  }

  /** Waits for the first connection (up to 3 s), so the first requests are counted too. */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.memory.close();
  }

  private async either<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.redis.status === 'ready' && Date.now() >= this.skipRedisUntil) {
      try {
        const result = await shared();
        if (this.degraded) {
          this.degraded = false;
          this.logger.log('Redis is back: rate limits are shared by every replica again');
        }
        return result;
      } catch (error) {
        this.fail(error as Error);
      }
    } else {
      this.degraded = true;
    }
    this.fallbacks++;
    return local();
  }

  private fail(error: Error): void {
    this.degraded = true;
    this.skipRedisUntil = Date.now() + RETRY_REDIS_AFTER_MS;
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error.message }, 'Redis is unavailable: rate limits are counted per replica, in memory, until it is back');
  }
}
