import { describe, expect, it } from 'vitest';
import { Backoff, parseRetryAfter } from './backoff.js';

describe('Backoff', () => {
  it('grows from 1 s to at most 5 min with full jitter', () => {
    const low = new Backoff(1000, 300_000, () => 0);
    const high = new Backoff(1000, 300_000, () => 0.999999);
    const lows = Array.from({ length: 12 }, () => low.next());
    const highs = Array.from({ length: 12 }, () => high.next());
    expect(lows.every((d) => d === 1000)).toBe(true);
    expect(highs.slice(0, 4)).toEqual([2000, 4000, 8000, 16_000]);
    expect(highs.at(-1)).toBe(300_000);
    expect(Math.max(...highs)).toBe(300_000);
  });

  it('honours Retry-After as a floor, never above the ceiling', () => {
    const b = new Backoff(1000, 300_000, () => 0);
    expect(b.next(30_000)).toBe(30_000);
    expect(b.next(3_600_000)).toBe(300_000);
  });

  it('starts over after a reset', () => {
    const b = new Backoff(1000, 300_000, () => 0.999999);
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(2000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
