import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DomainError } from '../errors/domain-error.js';
import { MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './rate-limit-store.js';

const MINUTE_MS = 60_000;
/** Session login: consecutive failures allowed per account before the back-off starts. */
const FREE_FAILURES = 5;
const MAX_LOCK_MS = 15 * MINUTE_MS;

/**
 * Abuse limits: LOGIN_RATE_LIMIT requests per minute per bucket key (client IP, identity), and a
 * growing back-off per account after failed session logins. Shared through Redis with REDIS_URL.
 */
@Injectable()
export class RateLimiterService implements OnModuleInit, OnModuleDestroy {
  private readonly store: RateLimitStore;
  /** Per replica: the invalid-bearer limit protects this process's CPU, whatever the others see. */
  private readonly local = new MemoryRateLimitStore();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.store = config.redisUrl ? new RedisRateLimitStore(config.redisUrl) : new MemoryRateLimitStore();
  }

  /**
   * Where the counters live now: `memory` (no REDIS_URL), `redis` (shared by every replica), or
   * `memory-fallback` (Redis unavailable: each replica counts alone). `fallbacks` counts the
   * operations answered from memory because Redis failed.
   */
  storeStatus(): { store: 'memory' | 'redis' | 'memory-fallback'; fallbacks: number } {
    if (!(this.store instanceof RedisRateLimitStore)) return { store: 'memory', fallbacks: 0 };
    return { store: this.store.degraded ? 'memory-fallback' : 'redis', fallbacks: this.store.fallbacks };
  }

  async onModuleInit(): Promise<void> {
    await this.store.ready();
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
    await this.local.close();
  }

  /** Counts a request for each key; 429 RateLimited when any is over the per-minute limit. */
  async consume(...keys: string[]): Promise<void> {
    const limit = this.config.loginRateLimit;
    if (limit === 0) return;
    for (const key of keys) {
      const { count, resetInMs } = await this.store.hit(key, MINUTE_MS);
      if (count > limit) throw rateLimited(resetInMs, `too many requests: at most ${limit} per minute, try again later`);
    }
  }

  /**
   * The defence against forged-token floods: once a client IP sent LOGIN_RATE_LIMIT invalid
   * bearers within a minute, its unknown bearers get 429 until the minute ends, before any
   * signature check. Tokens already verified keep working (they cost no signature check).
   */
  async assertBearersAccepted(ip: string): Promise<void> {
    const ms = await this.local.lockedFor(`bearer-lock:${ip}`);
    if (ms > 0) throw rateLimited(ms, 'too many invalid access tokens from this address: try again later');
  }

  async recordInvalidBearer(ip: string): Promise<void> {
    const limit = this.config.loginRateLimit;
    if (limit === 0) return;
    const { count, resetInMs } = await this.local.hit(`bearer:${ip}`, MINUTE_MS);
    if (count >= limit) await this.local.lock(`bearer-lock:${ip}`, resetInMs);
  }

  /** 429 while an account is in its back-off after failed logins. */
  async assertNotLockedOut(account: string): Promise<void> {
    const ms = await this.store.lockedFor(`lock:${account}`);
    if (ms > 0) throw rateLimited(ms, 'too many failed logins for this account: wait before trying again');
  }

  /** Records a failed login; from the sixth failure in a row the account waits 1 s, 2 s, 4 s … up to 15 min. */
  async recordFailure(account: string): Promise<void> {
    const { count } = await this.store.hit(`fail:${account}`, MAX_LOCK_MS);
    if (count > FREE_FAILURES) await this.store.lock(`lock:${account}`, Math.min(MAX_LOCK_MS, 1000 * 2 ** (count - FREE_FAILURES - 1)));
  }

  async recordSuccess(account: string): Promise<void> {
    const windowEnd = (Math.floor(Date.now() / MAX_LOCK_MS) + 1) * MAX_LOCK_MS;
    await this.store.clear(`fail:${account}:${windowEnd}`, `lock:${account}`);
  }
}

function rateLimited(resetInMs: number, message: string): DomainError {
  return new DomainError('RateLimited', message, undefined, { 'retry-after': String(Math.max(1, Math.ceil(resetInMs / 1000))) });
}
