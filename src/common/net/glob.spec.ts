import { describe, expect, it } from 'vitest';
import { globMatches, listMatches, parseList } from './glob.js';

describe('binding lists', () => {
  it('splits on commas, trims and drops empty entries', () => {
    expect(parseList(' shop , ,web-*,, ')).toEqual(['shop', 'web-*']);
    expect(parseList('')).toEqual([]);
  });

  it.each([
    ['shop', 'shop', true],
    ['shop', 'Shop', false],
    ['shop', 'shop2', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['web-*', 'web-', true],
    ['web-*', 'web-frontend', true],
    ['web-*', 'api-web-x', false],
    ['*-prod', 'shop-prod', true],
    ['*-prod', 'shop-prod-2', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['team-*-*', 'team-a-b', true],
  ])('glob %s on %s → %s', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it('matches when any entry matches', () => {
    expect(listMatches(['shop', 'web-*'], 'web-x')).toBe(true);
    expect(listMatches(['shop', 'web-*'], 'db')).toBe(false);
  });
});
