/**
 * Exponential backoff with full jitter (docs/agent.md "Timing"): the n-th consecutive failure
 * (n = 0, 1, …) waits a uniformly random time between `baseMs` and min(maxMs, baseMs · 2^(n+1)).
 * A server's Retry-After is honoured as a floor, up to `maxMs`.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** The wait before the next try after one more failure. */
  next(retryAfterMs?: number): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures + 1, 30));
    this.failures += 1;
    const jittered = this.baseMs + this.random() * Math.max(0, ceiling - this.baseMs);
    const floor = retryAfterMs === undefined ? 0 : Math.min(this.maxMs, retryAfterMs);
    return Math.round(Math.max(jittered, floor));
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
