import { randomInt, randomUUID } from 'node:crypto';

/** What Kubernetes calls user.Info: the identity an authenticator produces. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface NamespaceRecord {
  name: string;
  uid: string;
  labels: Record<string, string>;
  creationTimestamp: string;
}

export interface ServiceAccountRecord {
  namespace: string;
  name: string;
  uid: string;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  serviceAccount: string;
  nodeName?: string;
}

/** A legacy token Secret (type kubernetes.io/service-account-token). */
export interface SecretRecord {
  namespace: string;
  name: string;
  serviceAccount: string;
  token?: string;
}

export const AUTHENTICATED_GROUP = 'system:authenticated';
export const ANONYMOUS_USER: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
export const SUPERUSER_GROUP = 'system:masters';
// The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The few API objects the authenticators consult. Creating an object under an existing name
 * replaces it with a new UID, as a delete followed by a create would.
 */
export class ClusterState {
  private readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly namespaceReaders = new Set<string>();
  private readonly serviceAccounts = new Map<string, ServiceAccountRecord>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly nodeUids = new Map<string, string>();
  private readonly secrets = new Map<string, SecretRecord>();
  private readonly authDelegators = new Set<string>();
  private readonly staticTokens = new Map<string, UserInfo>();

  /** Idempotent; labels, when given, replace the namespace's own (kubernetes.io/metadata.name is always set, as the API server does). */
  createNamespace(name: string, labels?: Record<string, string>): void {
    assertName('namespace', name);
    const existing = this.namespaces.get(name);
    if (existing && !labels) return;
    this.namespaces.set(name, {
      name,
      uid: existing?.uid ?? randomUUID(),
      labels: { ...(labels ?? {}), 'kubernetes.io/metadata.name': name },
      creationTimestamp: existing?.creationTimestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  }

  getNamespace(name: string): NamespaceRecord | undefined {
    return this.namespaces.get(name);
  }

  /** A ClusterRoleBinding to a ClusterRole that grants get on namespaces, for a user or group name. */
  grantNamespaceRead(subject: string): void {
    this.namespaceReaders.add(subject);
  }

  canGetNamespaces(user: UserInfo): boolean {
    const groups = user.groups ?? [];
    if (groups.includes(SUPERUSER_GROUP)) return true;
    return this.namespaceReaders.has(user.username) || groups.some((group) => this.namespaceReaders.has(group));
  }

  createServiceAccount(namespace: string, name: string): ServiceAccountRecord {
    assertName('service account', name);
    this.createNamespace(namespace);
    if (this.serviceAccounts.has(key(namespace, name))) this.deleteServiceAccount(namespace, name);
    const record = { namespace, name, uid: randomUUID() };
    this.serviceAccounts.set(key(namespace, name), record);
    return record;
  }

  /** Also deletes the account's legacy token Secrets, as the token controller does. */
  deleteServiceAccount(namespace: string, name: string): void {
    if (!this.serviceAccounts.delete(key(namespace, name))) {
      throw new Error(`serviceaccounts "${name}" not found in namespace "${namespace}"`);
    }
    for (const [secretKey, secret] of this.secrets) {
      if (secret.namespace === namespace && secret.serviceAccount === name) this.secrets.delete(secretKey);
    }
  }

  getServiceAccount(namespace: string, name: string): ServiceAccountRecord | undefined {
    return this.serviceAccounts.get(key(namespace, name));
  }

  createPod(namespace: string, name: string, serviceAccount: string, nodeName?: string): PodRecord {
    assertName('pod', name);
    this.createNamespace(namespace);
    const record: PodRecord = { namespace, name, uid: randomUUID(), serviceAccount, nodeName };
    this.pods.set(key(namespace, name), record);
    return record;
  }

  deletePod(namespace: string, name: string): void {
    if (!this.pods.delete(key(namespace, name))) {
      throw new Error(`pods "${name}" not found in namespace "${namespace}"`);
    }
  }

  getPod(namespace: string, name: string): PodRecord | undefined {
    return this.pods.get(key(namespace, name));
  }

  /** Nodes exist implicitly: the first pod scheduled on a name gives the node its UID. */
  nodeUid(nodeName: string): string {
    let uid = this.nodeUids.get(nodeName);
    if (!uid) {
      uid = randomUUID();
      this.nodeUids.set(nodeName, uid);
    }
    return uid;
  }

  /** Creates a `<sa>-token-xxxxx` Secret; the caller stores the token in it once signed. */
  createTokenSecret(namespace: string, serviceAccount: string): SecretRecord {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)];
    const record: SecretRecord = { namespace, name: `${serviceAccount}-token-${suffix}`, serviceAccount };
    this.secrets.set(key(namespace, record.name), record);
    return record;
  }

  getSecret(namespace: string, name: string): SecretRecord | undefined {
    return this.secrets.get(key(namespace, name));
  }

  bindAuthDelegator(subject: string): void {
    this.authDelegators.add(subject);
  }

  unbindAuthDelegator(subject: string): void {
    this.authDelegators.delete(subject);
  }

  /** The simulator's whole RBAC: may this user create TokenReviews? */
  canCreateTokenReviews(user: UserInfo): boolean {
    const groups = user.groups ?? [];
    if (groups.includes(SUPERUSER_GROUP)) return true;
    return this.authDelegators.has(user.username) || groups.some((group) => this.authDelegators.has(group));
  }

  /** Like a --token-auth-file line; the authenticator adds system:authenticated, as the real one does. */
  addStaticToken(token: string, user: UserInfo): void {
    if (!token) throw new Error('a static token must not be empty');
    const groups = [...(user.groups ?? [])];
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    this.staticTokens.set(token, { username: user.username, uid: user.uid, groups });
  }

  staticTokenUser(token: string): UserInfo | undefined {
    return this.staticTokens.get(token);
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function assertName(kind: string, name: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw new Error(`invalid ${kind} name "${name}": must be a lowercase RFC 1123 name`);
  }
}
