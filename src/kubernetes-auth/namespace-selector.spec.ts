import { describe, expect, it } from 'vitest';
import { checkSelector, isLabelKey, isLabelValue, selectorMatches } from './namespace-selector.js';

describe('namespace selectors', () => {
  const labels = { 'kubernetes.io/metadata.name': 'shop', team: 'payments', tier: 'prod' };

  it('matchLabels: every pair must be present with its value', () => {
    expect(selectorMatches({ matchLabels: { team: 'payments' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'payments', tier: 'dev' } }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { owner: '' } }, labels)).toBe(false);
  });

  it('matchExpressions: In, NotIn (true for a missing label), Exists, DoesNotExist, all ANDed with matchLabels', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod', 'staging'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'In', values: ['x'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'owner', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['dev'] }] }, labels)).toBe(false);
  });

  it('never matches through inherited properties', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, labels)).toBe(true);
  });

  it('label keys and values as Kubernetes validates them', () => {
    for (const key of ['team', 'kubernetes.io/metadata.name', 'a.b-c/x_y.z', 'A9']) expect(isLabelKey(key), key).toBe(true);
    for (const key of ['', '/team', 'Example.com/x', '-team', 'team-', 'a/b/c', 'x'.repeat(64), '__proto__', 'te am']) expect(isLabelKey(key), key).toBe(false);
    for (const value of ['', 'prod', 'v1.2_3']) expect(isLabelValue(value), value).toBe(true);
    for (const value of ['-x', 'x'.repeat(64), 'a b', 'é']) expect(isLabelValue(value), value).toBe(false);
  });

  it('checkSelector: an empty selector, bad keys or values, and operator/value mismatches are named by field', () => {
    expect(checkSelector({})).toEqual([expect.objectContaining({ field: 'namespaceSelector' })]);
    expect(checkSelector({ matchLabels: {}, matchExpressions: [] })).toHaveLength(1);
    expect(checkSelector({ matchLabels: { team: 'payments' } })).toEqual([]);
    expect(checkSelector({ matchLabels: { 'bad key': 'x' } }).map((d) => d.field)).toEqual(['namespaceSelector.matchLabels']);
    expect(checkSelector({ matchLabels: { team: 'not valid!' } }).map((d) => d.field)).toEqual(['namespaceSelector.matchLabels.team']);
    expect(checkSelector({ matchExpressions: [{ key: 'tier', operator: 'In' }] }).map((d) => d.field)).toEqual(['namespaceSelector.matchExpressions.0.values']);
    expect(checkSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] }).map((d) => d.field)).toEqual(['namespaceSelector.matchExpressions.0.values']);
    expect(checkSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ok', '-bad'] }] }).map((d) => d.field)).toEqual(['namespaceSelector.matchExpressions.0.values.1']);
  });
});
