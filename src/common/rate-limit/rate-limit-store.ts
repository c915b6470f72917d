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

/**
 * Redis-backed counters. When Redis is unreachable the limiter fails open (logs, allows): it is
 * abuse protection, and an outage of it must not lock every workload out of its credentials.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, keyPrefix: 'zerokey:rl:' });
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const now = Date.now();
    const windowEnd = (Math.floor(now / windowMs) + 1) * windowMs;
    try {
      const results = await this.redis.multi().incr(`${key}:${windowEnd}`).pexpire(`${key}:${windowEnd}`, windowMs + 1000).exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      return { count, resetInMs: windowEnd - now };
    } catch (error) {
      this.warn(error as Error);
      return { count: 0, resetInMs: windowEnd - now };
    }
  }

  async lockedFor(key: string): Promise<number> {
    try {
      return Math.max(0, await this.redis.pttl(key));
    } catch (error) {
      this.warn(error as Error);
      return 0;
    }
  }

  async lock(key: string, ms: number): Promise<void> {
    try {
      await this.redis.set(key, '1', 'PX', ms);
    } catch (error) {
      this.warn(error as Error);
    }
  }

  async clear(...keys: string[]): Promise<void> {
    try {
      if (keys.length) await this.redis.del(...keys);
    } catch (error) {
      this.warn(error as Error);
    }
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
  }

  private warn(error: Error): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error.message }, 'Redis is unavailable: rate limits are not enforced until it is back');
  }
}
