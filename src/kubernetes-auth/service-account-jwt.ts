import { DomainError } from '../common/errors/domain-error.js';

/** Claims of a service-account JWT, read without trusting them (the cluster is the judge). */
export interface ClaimedServiceAccount {
  namespace: string;
  name: string;
  uid: string | undefined;
  podName: string | undefined;
  podUid: string | undefined;
  audiences: string[];
  exp: number | undefined;
  legacy: boolean;
}

export const EXP_LEEWAY_SECONDS = 60;

const invalid = (why: string): DomainError => new DomainError('InvalidServiceAccountToken', `the jwt is not a Kubernetes service-account token: ${why}`);

/**
 * Decodes a JWT carrying service-account claims, projected or legacy layout (docs/api.md login
 * step 3). The signature is not checked here: the TokenReview does that.
 */
export function decodeServiceAccountJwt(jwt: string): ClaimedServiceAccount {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1]) throw invalid('it is not a compact JWS');
  const header = parseJson(parts[0]);
  if (!header || typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') throw invalid('its header is not valid');
  const payload = parseJson(parts[1]);
  if (!payload) throw invalid('its payload is not a JSON object');
  const claimed = projectedClaims(payload) ?? legacyClaims(payload);
  if (!claimed) throw invalid('it carries no service-account namespace and name claims');
  return claimed;
}

/** The token's `iss`, read without trusting it (login step 1 picks a cluster by it); undefined when there is none to read. */
export function unverifiedIssuer(jwt: string): string | undefined {
  const payload = parseJson(jwt.split('.')[1] ?? '');
  return typeof payload?.iss === 'string' ? payload.iss : undefined;
}

function projectedClaims(payload: Record<string, unknown>): ClaimedServiceAccount | null {
  const k8s = asObject(payload['kubernetes.io']);
  const sa = asObject(k8s?.serviceaccount);
  if (!k8s || !sa || !isName(k8s.namespace) || !isName(sa.name)) return null;
  const pod = asObject(k8s.pod);
  return {
    namespace: k8s.namespace,
    name: sa.name,
    uid: str(sa.uid),
    podName: str(pod?.name),
    podUid: str(pod?.uid),
    audiences: audiencesOf(payload.aud),
    exp: typeof payload.exp === 'number' ? payload.exp : undefined,
    legacy: false,
  };
}

function legacyClaims(payload: Record<string, unknown>): ClaimedServiceAccount | null {
  const namespace = payload['kubernetes.io/serviceaccount/namespace'];
  const name = payload['kubernetes.io/serviceaccount/service-account.name'];
  if (!isName(namespace) || !isName(name)) return null;
  return {
    namespace,
    name,
    uid: str(payload['kubernetes.io/serviceaccount/service-account.uid']),
    podName: undefined,
    podUid: undefined,
    audiences: audiencesOf(payload.aud),
    exp: typeof payload.exp === 'number' ? payload.exp : undefined,
    legacy: true,
  };
}

function parseJson(segment: string): Record<string, unknown> | null {
  try {
    return asObject(JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Kubernetes names: DNS labels/subdomains, at most 253 characters. */
function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 253 && !/[\s:/]/.test(value);
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}
