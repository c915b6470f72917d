import { X509Certificate } from 'node:crypto';
import { type ValidationDetail, validationError } from '../common/errors/domain-error.js';
import { parseCidr } from '../common/net/cidr.js';
import { parseList } from '../common/net/glob.js';
import type { KubernetesAuthFieldsDto } from './dto/kubernetes-auth.dto.js';
import type { LabelSelector, TokenReviewerSource, TrustedIp, Verification } from './kubernetes-auth-config.entity.js';
import { checkSelector } from './namespace-selector.js';
import { type ConfigWarning, connectionWarnings, warningsFor } from './config-warnings.js';

/** How to reach a cluster and review its tokens: a config's own, or a shared cluster's. */
export interface ConnectionSettings {
  kubernetesHost: string;
  caCert: string;
  verifyTlsCertificate: boolean;
  tokenReviewerSource: TokenReviewerSource;
  verification: Verification;
  /** The `iss` of the cluster's service-account tokens ('' : unknown, or learnt from discovery). */
  issuer: string;
}

/** The connection fields a config leaves out when it lists clusters (they come from the clusters). */
export const CONNECTION_FIELDS = ['kubernetesHost', 'caCert', 'tokenReviewerSource', 'tokenReviewerJwt', 'verification', 'issuer'] as const;

/** Clusters one config may list. */
export const MAX_CLUSTER_IDS = 20;

/** The stored, non-secret settings of a config plus whether a reviewer JWT is (to be) stored. */
export interface ConfigSettings extends ConnectionSettings {
  clusterIds: string[];
  allowedNamespaces: string;
  allowedNames: string;
  allowedServiceAccounts: string;
  allowedAudience: string;
  allowedPodNames: string;
  namespaceSelector: LabelSelector | null;
  accessTokenTTL: number;
  accessTokenMaxTTL: number;
  accessTokenNumUsesLimit: number;
  accessTokenTrustedIps: TrustedIp[];
}

export const DEFAULT_SETTINGS: Omit<ConfigSettings, 'tokenReviewerSource'> = {
  clusterIds: [],
  verification: 'token-review',
  issuer: '',
  kubernetesHost: '',
  caCert: '',
  verifyTlsCertificate: true,
  allowedNamespaces: '',
  allowedNames: '',
  allowedServiceAccounts: '',
  allowedAudience: '',
  allowedPodNames: '',
  namespaceSelector: null,
  accessTokenTTL: 3600,
  accessTokenMaxTTL: 86400,
  accessTokenNumUsesLimit: 0,
  accessTokenTrustedIps: [{ ipAddress: '0.0.0.0/0' }, { ipAddress: '::/0' }],
};

/** In-cluster configs without a host talk to the API server through its in-cluster service name. */
export const IN_CLUSTER_HOST = 'https://kubernetes.default.svc';

/**
 * Merges a write (attach: over the defaults; PATCH: over the stored config) and checks every
 * cross-field rule of docs/api.md. `jwtStored` says whether a reviewer JWT will be stored after it.
 */
export function resolveSettings(base: ConfigSettings | null, patch: KubernetesAuthFieldsDto, jwtStoredBefore: boolean): { settings: ConfigSettings; jwtStored: boolean; warnings: ConfigWarning[] } {
  const defaultSource: TokenReviewerSource = patch.tokenReviewerJwt ? 'stored' : 'client';
  const merged: ConfigSettings = {
    ...(base ?? { ...DEFAULT_SETTINGS, tokenReviewerSource: defaultSource }),
    ...definedOnly(patch),
  };
  merged.accessTokenTrustedIps = merged.accessTokenTrustedIps.map((ip) => ({ ipAddress: ip.ipAddress.trim() }));
  merged.namespaceSelector = plainSelector(merged.namespaceSelector);
  merged.clusterIds = [...merged.clusterIds];
  const details = checkSettings(merged);
  let jwtStored: boolean;
  if (merged.clusterIds.length > 0) {
    // The clusters are the connection: the config's own is dropped, and naming it is an error.
    for (const field of CONNECTION_FIELDS) {
      if (patch[field] !== undefined) details.push({ field, message: `leave ${field} out when clusterIds is set: the listed clusters' connections are used` });
    }
    Object.assign(merged, { kubernetesHost: '', caCert: '', verifyTlsCertificate: true, tokenReviewerSource: 'client', verification: 'token-review', issuer: '' } satisfies ConnectionSettings);
    jwtStored = false;
  } else {
    const leavingClusters = (base?.clusterIds.length ?? 0) > 0;
    // Back to an own connection: it is set up as on attach (the source defaults again).
    if (leavingClusters && patch.tokenReviewerSource === undefined) merged.tokenReviewerSource = defaultSource;
    jwtStored = patch.tokenReviewerJwt === undefined ? jwtStoredBefore && !leavingClusters : patch.tokenReviewerJwt !== null;
    details.push(...checkConnection(merged, base, patch, jwtStoredBefore, jwtStored));
    if (merged.verification === 'jwks' && !merged.allowedAudience) details.push(audienceRequiredWithJwks());
  }
  if (details.length) throw validationError(details, details[0].message);
  return { settings: merged, jwtStored, warnings: warningsFor(merged) };
}

/** The stored, non-secret settings of a shared cluster. */
export interface ClusterSettings extends ConnectionSettings {
  name: string;
}

/** With JWKS verification the audience is the only thing that keeps another service's tokens out. */
export function audienceRequiredWithJwks(): ValidationDetail {
  return { field: 'allowedAudience', message: 'allowedAudience is required with verification "jwks": without a TokenReview nothing else keeps tokens minted for other audiences out' };
}

/**
 * Merges a cluster write (create: over the defaults; PATCH: over the stored cluster) and checks
 * the connection rules, which are a config's own: one rule, one home.
 */
export function resolveClusterSettings(base: ClusterSettings | null, patch: Partial<ClusterSettings> & { tokenReviewerJwt?: string | null }, jwtStoredBefore: boolean): { settings: ClusterSettings; jwtStored: boolean; warnings: ConfigWarning[] } {
  const { tokenReviewerJwt, ...fields } = patch;
  const defaults: ClusterSettings = { name: '', kubernetesHost: '', caCert: '', verifyTlsCertificate: true, tokenReviewerSource: tokenReviewerJwt ? 'stored' : 'client', verification: 'token-review', issuer: '' };
  const merged: ClusterSettings = { ...(base ?? defaults), ...(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<ClusterSettings>) };
  merged.name = merged.name.trim();
  const jwtStored = tokenReviewerJwt === undefined ? jwtStoredBefore : tokenReviewerJwt !== null;
  const details = checkConnection(merged, base, { tokenReviewerJwt }, jwtStoredBefore, jwtStored);
  if (details.length) throw validationError(details, details[0].message);
  return { settings: merged, jwtStored, warnings: connectionWarnings(merged) };
}

/**
 * The connection rules, for a config's own connection and a shared cluster alike. `base` is the
 * stored connection on PATCH (null on create); `patch` the write, whose `tokenReviewerJwt` (if
 * any) says what happens to the stored token.
 */
export function checkConnection(s: ConnectionSettings, base: ConnectionSettings | null, patch: { tokenReviewerJwt?: string | null }, jwtStoredBefore: boolean, jwtStored: boolean): ValidationDetail[] {
  s.kubernetesHost = s.kubernetesHost.trim();
  s.caCert = s.caCert.trim();
  const details: ValidationDetail[] = [];
  const hostProblem = checkHost(s);
  if (hostProblem) details.push({ field: 'kubernetesHost', message: hostProblem });
  if (s.caCert && !parsesAsCertificates(s.caCert)) {
    details.push({ field: 'caCert', message: 'caCert must be one or more PEM-encoded X.509 certificates' });
  }
  if (s.tokenReviewerSource === 'stored' && !jwtStored) {
    details.push({ field: 'tokenReviewerJwt', message: 'tokenReviewerSource "stored" requires a tokenReviewerJwt' });
  }
  // A stored reviewer token is only ever sent to the host it was given for: moving the host
  // needs the token again (else an admin could redirect a token they can never read).
  if (base && s.kubernetesHost !== base.kubernetesHost && s.tokenReviewerSource === 'stored' && jwtStoredBefore && patch.tokenReviewerJwt === undefined) {
    details.push({ field: 'tokenReviewerJwt', message: 'changing kubernetesHost needs tokenReviewerJwt again in the same request: a stored reviewer token is never sent to another host' });
  }
  return details;
}

function checkSettings(s: ConfigSettings): ValidationDetail[] {
  const details: ValidationDetail[] = [];
  if (s.clusterIds.length > MAX_CLUSTER_IDS) details.push({ field: 'clusterIds', message: `at most ${MAX_CLUSTER_IDS} clusters` });
  if (new Set(s.clusterIds).size !== s.clusterIds.length) details.push({ field: 'clusterIds', message: 'clusterIds lists a cluster twice' });
  if (s.accessTokenTTL > s.accessTokenMaxTTL) {
    details.push({ field: 'accessTokenTTL', message: `accessTokenTTL (${s.accessTokenTTL}) must not exceed accessTokenMaxTTL (${s.accessTokenMaxTTL})` });
  }
  if (!parseList(s.allowedNamespaces).length && !parseList(s.allowedNames).length && !parseList(s.allowedServiceAccounts).length && !parseList(s.allowedPodNames).length && !s.namespaceSelector) {
    details.push({ field: 'allowedNamespaces', message: 'the config binds nothing: set allowedNamespaces, allowedNames, allowedServiceAccounts, allowedPodNames or namespaceSelector (write "*" to admit every service account on purpose)' });
  }
  if (s.namespaceSelector) details.push(...checkSelector(s.namespaceSelector));
  for (const pair of parseList(s.allowedServiceAccounts)) {
    const parts = pair.split('/');
    if (parts.length !== 2 || !parts[0].trim() || !parts[1].trim()) {
      details.push({ field: 'allowedServiceAccounts', message: `"${pair}" is not a namespace/name pair` });
    }
  }
  if (s.accessTokenTrustedIps.length === 0) {
    details.push({ field: 'accessTokenTrustedIps', message: 'accessTokenTrustedIps must list at least one address or range' });
  }
  s.accessTokenTrustedIps.forEach((ip, index) => {
    if (!parseCidr(ip.ipAddress)) details.push({ field: `accessTokenTrustedIps.${index}.ipAddress`, message: 'must be an IPv4 or IPv6 address or CIDR range' });
  });
  return details;
}

function checkHost(s: ConnectionSettings): string | undefined {
  if (s.tokenReviewerSource === 'in-cluster') {
    // in-cluster sends Zerokey's own service-account token: only to the cluster Zerokey runs in.
    return !s.kubernetesHost || s.kubernetesHost === IN_CLUSTER_HOST ? undefined : `with tokenReviewerSource in-cluster Zerokey sends its own service-account token, so it only talks to its own cluster: leave kubernetesHost empty (${IN_CLUSTER_HOST})`;
  }
  if (!s.kubernetesHost) return 'kubernetesHost is required unless tokenReviewerSource is in-cluster';
  let url: URL;
  try {
    url = new URL(s.kubernetesHost);
  } catch {
    return 'kubernetesHost must be an https:// URL';
  }
  if (url.protocol === 'http:' && s.verifyTlsCertificate) return 'kubernetesHost may use http:// only with verifyTlsCertificate false; use https://';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'kubernetesHost must be an https:// URL';
  if (url.username || url.password) return 'kubernetesHost must not carry credentials';
  if (url.search || url.hash) return 'kubernetesHost must not have a query or fragment';
  return undefined;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parsesAsCertificates(pem: string): boolean {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks) return false;
  const rest = pem.replace(PEM_BLOCK, '').trim();
  if (rest.length > 0) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

/** The selector as stored and answered: only the parts that were given, as plain data. */
function plainSelector(selector: LabelSelector | null): LabelSelector | null {
  if (!selector) return null;
  const { matchLabels, matchExpressions } = selector;
  return {
    ...(matchLabels ? { matchLabels: { ...matchLabels } } : {}),
    ...(matchExpressions ? { matchExpressions: matchExpressions.map(({ key, operator, values }) => ({ key, operator, ...(values ? { values: [...values] } : {}) })) } : {}),
  };
}

function definedOnly(patch: KubernetesAuthFieldsDto): Partial<ConfigSettings> {
  const { tokenReviewerJwt: _secret, ...rest } = patch;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<ConfigSettings>;
}
