import { randomUUID } from 'node:crypto';
import { ClusterState } from './cluster-state.js';
import { JwtPayload, signJwt, SigningKey } from './tokens.js';

export interface MintOptions {
  namespace: string;
  serviceAccount: string;
  /** Default: the API audiences. */
  audience?: string | string[];
  /** Default 3600. */
  lifetimeSeconds?: number;
  /** Bind to this existing pod (claims kubernetes.io.pod and, when scheduled, kubernetes.io.node). */
  pod?: string;
  /** exp an hour in the past, well beyond the 60 s leeway. */
  expired?: boolean;
  /** exp = now - n seconds (to probe the 60 s leeway). Wins over `expired`. */
  expiredBySeconds?: number;
  /** nbf and iat ten minutes in the future, beyond the leeway. */
  notYetValid?: boolean;
  /** Signed by a key the cluster does not trust (same algorithm, same kid shape). */
  foreignKey?: boolean;
  /** Legacy secret-based layout (no exp/aud/iat), bound to a generated `<sa>-token-xxxxx` Secret. */
  legacy?: boolean;
}

export interface MintContext {
  state: ClusterState;
  issuer: string;
  apiAudiences: string[];
  clusterKey: SigningKey;
  foreignKey: () => SigningKey;
}

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
const DEFAULT_LIFETIME_SECONDS = 3600;
const NOT_YET_VALID_OFFSET_SECONDS = 600;
const EXPIRED_OFFSET_SECONDS = 3600;

/** Mints a service-account JWT the way the TokenRequest API (or, for legacy, the token controller) does. */
export function mintServiceAccountToken(ctx: MintContext, options: MintOptions): string {
  const key = options.foreignKey ? ctx.foreignKey() : ctx.clusterKey;
  const sa = ctx.state.getServiceAccount(options.namespace, options.serviceAccount);
  if (!sa && !options.foreignKey) {
    throw new Error(`serviceaccounts "${options.serviceAccount}" not found in namespace "${options.namespace}"`);
  }
  const saUid = sa?.uid ?? randomUUID();
  if (options.legacy) return mintLegacy(ctx, options, saUid, key);
  return signJwt(projectedClaims(ctx, options, saUid), key);
}

function projectedClaims(ctx: MintContext, options: MintOptions, saUid: string): JwtPayload {
  const { namespace, serviceAccount } = options;
  const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw new Error('lifetimeSeconds must be a positive integer');
  const now = Math.floor(Date.now() / 1000);
  let iat = now;
  if (options.expiredBySeconds !== undefined) iat = now - options.expiredBySeconds - lifetime;
  else if (options.expired) iat = now - EXPIRED_OFFSET_SECONDS - lifetime;
  else if (options.notYetValid) iat = now + NOT_YET_VALID_OFFSET_SECONDS;
  const exp = iat + lifetime;
  const audience = options.audience ?? ctx.apiAudiences;
  return {
    aud: Array.isArray(audience) ? [...audience] : [audience],
    exp,
    iat,
    nbf: iat,
    iss: ctx.issuer,
    jti: randomUUID(),
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    'kubernetes.io': {
      namespace,
      serviceaccount: { name: serviceAccount, uid: saUid },
      // No warnafter: the TokenRequest API adds it only to kubelet's tokens whose expiry it extends.
      ...podClaims(ctx, options),
    },
  };
}

function podClaims(ctx: MintContext, options: MintOptions): JwtPayload {
  if (options.pod === undefined) return {};
  const pod = ctx.state.getPod(options.namespace, options.pod);
  if (!pod) throw new Error(`pods "${options.pod}" not found in namespace "${options.namespace}"`);
  if (pod.serviceAccount !== options.serviceAccount) {
    throw new Error(
      `cannot bind a token for service account "${options.serviceAccount}" to pod "${pod.name}", which runs as "${pod.serviceAccount}"`,
    );
  }
  const claims: JwtPayload = { pod: { name: pod.name, uid: pod.uid } };
  if (pod.nodeName) claims['node'] = { name: pod.nodeName, uid: ctx.state.nodeUid(pod.nodeName) };
  return claims;
}

function mintLegacy(ctx: MintContext, options: MintOptions, saUid: string, key: SigningKey): string {
  const unsupported = (['audience', 'pod', 'lifetimeSeconds', 'expired', 'expiredBySeconds', 'notYetValid'] as const).filter(
    (option) => options[option] !== undefined && options[option] !== false,
  );
  if (unsupported.length > 0) {
    throw new Error(`legacy tokens carry no audience, pod or time claims; drop ${unsupported.join(', ')}`);
  }
  const { namespace, serviceAccount } = options;
  // A foreign-key token names a Secret that does not exist in this cluster.
  const secret = options.foreignKey ? undefined : ctx.state.createTokenSecret(namespace, serviceAccount);
  const token = signJwt(
    {
      iss: LEGACY_ISSUER,
      sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secret?.name ?? `${serviceAccount}-token-f0r3n`,
      'kubernetes.io/serviceaccount/service-account.name': serviceAccount,
      'kubernetes.io/serviceaccount/service-account.uid': saUid,
    },
    key,
  );
  if (secret) secret.token = token;
  return token;
}
