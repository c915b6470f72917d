import { ClusterState, UserInfo } from './cluster-state.js';
import { LEGACY_ISSUER } from './mint.js';
import { decodeJwt, DecodedJwt, JwtPayload, SigningKey, verifyJwtSignature } from './tokens.js';

export type TokenAuthentication =
  | { ok: true; user: UserInfo; audiences: string[] }
  /** `error` is the TokenReview status.error text, already in the API server's wording. */
  | { ok: false; error: string };

export interface AuthenticatorContext {
  state: ClusterState;
  issuer: string;
  apiAudiences: string[];
  /** Signs new tokens, and verifies. */
  clusterKey: SigningKey;
  /** Keys rotated out that still verify (more than one --service-account-key-file). */
  previousKeys: SigningKey[];
}

const LEEWAY_SECONDS = 60;
const UNRECOGNIZED = 'invalid bearer token';

/**
 * The API server's token authenticator chain (static tokens, legacy and bound service-account JWTs),
 * as used both for the request's bearer and for TokenReview's spec.token. `requested` empty means
 * "the API audiences", exactly like a TokenReview without spec.audiences.
 */
export function authenticateToken(ctx: AuthenticatorContext, token: string, requested: string[]): TokenAuthentication {
  const targets = requested.length > 0 ? requested : ctx.apiAudiences;
  const staticUser = ctx.state.staticTokenUser(token);
  if (staticUser) return authenticateStatic(ctx, staticUser, targets);
  const jwt = decodeJwt(token);
  const issuer = jwt?.payload['iss'];
  if (!jwt || (issuer !== ctx.issuer && issuer !== LEGACY_ISSUER)) return { ok: false, error: UNRECOGNIZED };
  const reason = serviceAccountFailure(ctx, jwt, targets);
  if (typeof reason === 'string') return { ok: false, error: `[${UNRECOGNIZED}, ${reason}]` };
  return { ok: true, user: reason.user, audiences: reason.audiences };
}

/** Static tokens are audience-agnostic: they serve the API audiences only. */
function authenticateStatic(ctx: AuthenticatorContext, user: UserInfo, targets: string[]): TokenAuthentication {
  const audiences = intersect(ctx.apiAudiences, targets);
  if (audiences.length === 0) return { ok: false, error: UNRECOGNIZED };
  return { ok: true, user: { ...user, groups: [...(user.groups ?? [])] }, audiences };
}

type Outcome = string | { user: UserInfo; audiences: string[] };

/** Same order of checks as kube-apiserver: signature, audience, time, then the live objects. */
function serviceAccountFailure(ctx: AuthenticatorContext, jwt: DecodedJwt, targets: string[]): Outcome {
  if (![ctx.clusterKey, ...ctx.previousKeys].some((key) => verifyJwtSignature(jwt, key))) return 'go-jose/go-jose: error in cryptographic primitive';
  const tokenAudiences = audiencesOf(jwt.payload['aud']);
  const implicit = tokenAudiences.length > 0 ? tokenAudiences : ctx.apiAudiences;
  const audiences = intersect(implicit, targets);
  if (audiences.length === 0) {
    return `token audiences ${goQuoteList(implicit)} is invalid for the target audiences ${goQuoteList(targets)}`;
  }
  const outcome = jwt.payload['iss'] === LEGACY_ISSUER ? validateLegacy(ctx, jwt) : validateProjected(ctx, jwt.payload);
  return typeof outcome === 'string' ? outcome : { user: outcome, audiences };
}

function validateProjected(ctx: AuthenticatorContext, payload: JwtPayload): string | UserInfo {
  const timeError = validateTimes(payload);
  if (timeError) return timeError;
  const claims = asRecord(payload['kubernetes.io']);
  const namespace = claims?.['namespace'];
  const saRef = asRecord(claims?.['serviceaccount']);
  if (!claims || typeof namespace !== 'string' || typeof saRef?.['name'] !== 'string') {
    return 'token could not be validated.';
  }
  const saError = validateServiceAccount(ctx, namespace, saRef['name'], saRef['uid']);
  if (saError) return saError;
  const podRef = asRecord(claims['pod']);
  const extra: Record<string, string[]> = {};
  if (podRef) {
    const pod = ctx.state.getPod(namespace, String(podRef['name']));
    if (!pod) return 'service account token has been invalidated';
    if (pod.uid !== podRef['uid']) {
      return `pod UID (${pod.uid}) does not match service account pod ref claim (${String(podRef['uid'])})`;
    }
    extra['authentication.kubernetes.io/pod-name'] = [pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [pod.uid];
  }
  const nodeRef = asRecord(claims['node']);
  if (nodeRef) extra['authentication.kubernetes.io/node-name'] = [String(nodeRef['name'])];
  if (typeof payload['jti'] === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload['jti']}`];
  return serviceAccountUser(namespace, saRef['name'], String(saRef['uid']), extra);
}

function validateLegacy(ctx: AuthenticatorContext, jwt: DecodedJwt): string | UserInfo {
  const claim = (name: string): string => String(jwt.payload[`kubernetes.io/serviceaccount/${name}`] ?? '');
  const namespace = claim('namespace');
  const secret = ctx.state.getSecret(namespace, claim('secret.name'));
  if (!secret) return 'service account token has been invalidated';
  if (secret.token !== `${jwt.signingInput}.${jwt.signature.toString('base64url')}`) {
    return "service account token does not match server's copy";
  }
  const saError = validateServiceAccount(ctx, namespace, claim('service-account.name'), claim('service-account.uid'));
  if (saError) return saError;
  return serviceAccountUser(namespace, claim('service-account.name'), claim('service-account.uid'), {});
}

function validateTimes(payload: JwtPayload): string | null {
  const now = Math.floor(Date.now() / 1000);
  const nbf = payload['nbf'];
  const exp = payload['exp'];
  const iat = payload['iat'];
  if (typeof nbf === 'number' && now + LEEWAY_SECONDS < nbf) return 'service account token is not valid yet';
  if (typeof exp === 'number' && now - LEEWAY_SECONDS > exp) return 'service account token has expired';
  if (typeof iat === 'number' && now + LEEWAY_SECONDS < iat) return 'service account token is issued in the future';
  return null;
}

function validateServiceAccount(ctx: AuthenticatorContext, namespace: string, name: string, uidClaim: unknown): string | null {
  const sa = ctx.state.getServiceAccount(namespace, name);
  if (!sa) return `serviceaccounts "${name}" not found`;
  if (sa.uid !== uidClaim) return `service account UID (${sa.uid}) does not match claim (${String(uidClaim)})`;
  return null;
}

export function serviceAccountUser(namespace: string, name: string, uid: string, extra: Record<string, string[]>): UserInfo {
  const user: UserInfo = {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

/** Kubernetes' Audiences.Intersect: the targets (in their order) that `have` contains. */
function intersect(have: string[], targets: string[]): string[] {
  return targets.filter((target) => have.includes(target));
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return aud ? [aud] : [];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

/** Go's %q on a []string: `["a" "b"]`. */
function goQuoteList(values: string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
