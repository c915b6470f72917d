import { afterEach, describe, expect, it, vi } from 'vitest';
import { COALESCE_MS, CoalescedWrites } from './coalesced-writes.js';

describe('CoalescedWrites', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const counting = (write: (values: Map<string, number>) => Promise<void>) => new CoalescedWrites<string, number>('test', (a, b) => a + b, write);

  it('folds values per key and writes them once, within COALESCE_MS', async () => {
    vi.useFakeTimers();
    const written: Map<string, number>[] = [];
    const writes = counting(async (values) => void written.push(new Map(values)));
    writes.add('a', 1);
    writes.add('a', 1);
    writes.add('b', 1);
    expect(writes.waiting('a')).toBe(2);
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(COALESCE_MS);
    expect(written).toEqual([new Map([['a', 2], ['b', 1]])]);
    expect(writes.waiting('a')).toBeUndefined();
  });

  it('flush() writes at once (shutdown); a failed write keeps its values, merged with newer ones, for the next', async () => {
    let fail = true;
    const written: Map<string, number>[] = [];
    const writes = counting(async (values) => {
      if (fail) throw new Error('database down');
      written.push(new Map(values));
    });
    writes.add('a', 3);
    await writes.flush();
    expect(written).toEqual([]);
    writes.add('a', 1);
    expect(writes.waiting('a')).toBe(4);
    fail = false;
    await writes.flush();
    expect(written).toEqual([new Map([['a', 4]])]);
  });
});
