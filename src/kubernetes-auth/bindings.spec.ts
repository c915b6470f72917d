import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error.js';
import { assertBindings, type BoundAccount, type Bindings } from './bindings.js';

function outcome(bindings: Partial<Bindings>, account: BoundAccount): string | boolean {
  try {
    return assertBindings({ ...none, ...bindings }, account).namespaceBySelector;
  } catch (error) {
    return (error as DomainError).code;
  }
}

const none: Bindings = { allowedNamespaces: '', allowedNames: '', allowedServiceAccounts: '', allowedPodNames: '', namespaceSelector: null };
const checkout: BoundAccount = { namespace: 'shop', name: 'checkout', podName: 'checkout-7d9f' };

describe('assertBindings', () => {
  it('checks namespace, then name, then the pair; all non-empty lists must match', () => {
    expect(outcome({ allowedNamespaces: 'shop' }, checkout)).toBe(false);
    expect(outcome({ allowedNamespaces: 'web' }, checkout)).toBe('NamespaceNotAllowed');
    expect(outcome({ allowedNames: 'cart' }, checkout)).toBe('NameNotAllowed');
    expect(outcome({ allowedServiceAccounts: 'shop/cart' }, checkout)).toBe('ServiceAccountNotAllowed');
    expect(outcome({ allowedNamespaces: 'shop', allowedNames: 'checkout', allowedServiceAccounts: 'web/checkout' }, checkout)).toBe('ServiceAccountNotAllowed');
    expect(outcome({ allowedNamespaces: 'web', allowedNames: 'cart', allowedServiceAccounts: 'x/y' }, checkout)).toBe('NamespaceNotAllowed');
  });

  it('pairs take globs on either side and never match across the slash', () => {
    expect(outcome({ allowedServiceAccounts: 'sh*/check*' }, checkout)).toBe(false);
    expect(outcome({ allowedServiceAccounts: '*/checkout' }, checkout)).toBe(false);
    expect(outcome({ allowedServiceAccounts: 'shop*' }, checkout)).toBe('ServiceAccountNotAllowed');
    expect(outcome({ allowedServiceAccounts: 'shop/check' }, checkout)).toBe('ServiceAccountNotAllowed');
  });

  it('pod names: a matching pod passes, another pod or a token bound to no pod is PodNotAllowed, after the account bindings', () => {
    expect(outcome({ allowedPodNames: 'checkout-*' }, checkout)).toBe(false);
    expect(outcome({ allowedPodNames: 'cart-*, report' }, checkout)).toBe('PodNotAllowed');
    expect(outcome({ allowedPodNames: 'checkout-*' }, { namespace: 'shop', name: 'checkout' })).toBe('PodNotAllowed');
    expect(outcome({ allowedNames: 'cart', allowedPodNames: 'cart-*' }, checkout)).toBe('NameNotAllowed');
  });

  it('a namespace selector is an alternative to allowedNamespaces, left for last: never decided here', () => {
    const namespaceSelector = { matchLabels: { team: 'payments' } };
    expect(outcome({ namespaceSelector }, checkout)).toBe(true);
    expect(outcome({ namespaceSelector, allowedNamespaces: 'shop' }, checkout)).toBe(false);
    expect(outcome({ namespaceSelector, allowedNamespaces: 'web' }, checkout)).toBe(true);
    // The other bindings still apply, before the cluster is asked anything.
    expect(outcome({ namespaceSelector, allowedNames: 'cart' }, checkout)).toBe('NameNotAllowed');
    expect(outcome({ namespaceSelector, allowedPodNames: 'cart-*' }, checkout)).toBe('PodNotAllowed');
  });
});
