import { DomainError } from '../common/errors/domain-error.js';
import { listMatches, parseList } from '../common/net/glob.js';

export interface Bindings {
  allowedNamespaces: string;
  allowedNames: string;
  allowedServiceAccounts: string;
}

/**
 * docs/api.md "Kubernetes auth config fields": every non-empty list must match (AND): namespace, name, then the namespace/name
 * pair (globs allowed on either side of the slash).
 */
export function assertBindings(bindings: Bindings, namespace: string, name: string): void {
  const namespaces = parseList(bindings.allowedNamespaces);
  if (namespaces.length && !listMatches(namespaces, namespace)) {
    throw new DomainError('NamespaceNotAllowed', `service account namespace "${namespace}" is not allowed for this identity`);
  }
  const names = parseList(bindings.allowedNames);
  if (names.length && !listMatches(names, name)) {
    throw new DomainError('NameNotAllowed', `service account name "${name}" is not allowed for this identity`);
  }
  const pairs = parseList(bindings.allowedServiceAccounts);
  if (pairs.length && !pairs.some((pair) => pairMatches(pair, namespace, name))) {
    throw new DomainError('ServiceAccountNotAllowed', `service account "${namespace}/${name}" is not allowed for this identity`);
  }
}

function pairMatches(pair: string, namespace: string, name: string): boolean {
  const [ns, sa] = pair.split('/').map((p) => p.trim());
  return sa !== undefined && listMatches([ns], namespace) && listMatches([sa], name);
}
