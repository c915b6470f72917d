import { DomainError } from '../common/errors/domain-error.js';
import { listMatches, parseList } from '../common/net/glob.js';
import type { LabelSelector } from './kubernetes-auth-config.entity.js';

export interface Bindings {
  allowedNamespaces: string;
  allowedNames: string;
  allowedServiceAccounts: string;
  allowedPodNames: string;
  namespaceSelector: LabelSelector | null;
}

export interface BoundAccount {
  namespace: string;
  name: string;
  /** The pod the token is bound to; undefined for a token bound to none. */
  podName?: string;
}

/**
 * docs/api.md "Kubernetes auth config fields": every non-empty binding must match (AND):
 * namespace, name, the namespace/name pair (globs allowed on either side of the slash), pod name.
 * With a `namespaceSelector`, a namespace that `allowedNamespaces` does not admit may still be
 * admitted by its labels: that check needs the cluster and comes last, so it is only reported
 * here (`namespaceBySelector`), never decided.
 */
export function assertBindings(bindings: Bindings, account: BoundAccount): { namespaceBySelector: boolean } {
  const { namespace, name, podName } = account;
  const namespaces = parseList(bindings.allowedNamespaces);
  const listed = namespaces.length === 0 ? bindings.namespaceSelector === null : listMatches(namespaces, namespace);
  if (!listed && bindings.namespaceSelector === null) throw namespaceNotAllowed(namespace);
  const names = parseList(bindings.allowedNames);
  if (names.length && !listMatches(names, name)) {
    throw new DomainError('NameNotAllowed', `service account name "${name}" is not allowed for this identity`);
  }
  const pairs = parseList(bindings.allowedServiceAccounts);
  if (pairs.length && !pairs.some((pair) => pairMatches(pair, namespace, name))) {
    throw new DomainError('ServiceAccountNotAllowed', `service account "${namespace}/${name}" is not allowed for this identity`);
  }
  const pods = parseList(bindings.allowedPodNames);
  if (pods.length) {
    if (podName === undefined) throw new DomainError('PodNotAllowed', 'the service-account token is bound to no pod, and this identity admits only tokens of the pods in allowedPodNames (mount a projected token)');
    if (!listMatches(pods, podName)) throw new DomainError('PodNotAllowed', `pod "${podName}" is not allowed for this identity`);
  }
  return { namespaceBySelector: !listed };
}

export function namespaceNotAllowed(namespace: string, why = ''): DomainError {
  return new DomainError('NamespaceNotAllowed', `service account namespace "${namespace}" is not allowed for this identity${why}`);
}

function pairMatches(pair: string, namespace: string, name: string): boolean {
  const [ns, sa] = pair.split('/').map((p) => p.trim());
  return sa !== undefined && listMatches([ns], namespace) && listMatches([sa], name);
}
