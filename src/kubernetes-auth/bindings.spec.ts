import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error.js';
import { assertBindings } from './bindings.js';

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as DomainError).code;
  }
}

describe('assertBindings', () => {
  const none = { allowedNamespaces: '', allowedNames: '', allowedServiceAccounts: '' };

  it('checks namespace, then name, then the pair; all non-empty lists must match', () => {
    expect(code(() => assertBindings({ ...none, allowedNamespaces: 'shop' }, 'shop', 'checkout'))).toBeUndefined();
    expect(code(() => assertBindings({ ...none, allowedNamespaces: 'web' }, 'shop', 'checkout'))).toBe('NamespaceNotAllowed');
    expect(code(() => assertBindings({ ...none, allowedNames: 'cart' }, 'shop', 'checkout'))).toBe('NameNotAllowed');
    expect(code(() => assertBindings({ ...none, allowedServiceAccounts: 'shop/cart' }, 'shop', 'checkout'))).toBe('ServiceAccountNotAllowed');
    expect(code(() => assertBindings({ allowedNamespaces: 'shop', allowedNames: 'checkout', allowedServiceAccounts: 'web/checkout' }, 'shop', 'checkout'))).toBe('ServiceAccountNotAllowed');
    expect(code(() => assertBindings({ allowedNamespaces: 'web', allowedNames: 'cart', allowedServiceAccounts: 'x/y' }, 'shop', 'checkout'))).toBe('NamespaceNotAllowed');
  });

  it('pairs take globs on either side and never match across the slash', () => {
    expect(code(() => assertBindings({ ...none, allowedServiceAccounts: 'sh*/check*' }, 'shop', 'checkout'))).toBeUndefined();
    expect(code(() => assertBindings({ ...none, allowedServiceAccounts: '*/checkout' }, 'shop', 'checkout'))).toBeUndefined();
    expect(code(() => assertBindings({ ...none, allowedServiceAccounts: 'shop*' }, 'shop', 'checkout'))).toBe('ServiceAccountNotAllowed');
    expect(code(() => assertBindings({ ...none, allowedServiceAccounts: 'shop/check' }, 'shop', 'checkout'))).toBe('ServiceAccountNotAllowed');
  });
});
