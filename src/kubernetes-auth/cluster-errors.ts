import { DomainError } from '../common/errors/domain-error.js';

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  body?: unknown;
  headers?: unknown;
  cause?: unknown;
  errno?: unknown;
  message?: unknown;
}

/** Maps a failed cluster call (client-node ApiException, a transport error, a timeout, a parse error) to step 5 of docs/api.md "The Kubernetes login, step by step". */
export function mapClusterError(error: unknown, timeoutMs: number): DomainError {
  if (error instanceof DomainError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (typeof e.code === 'number' && 'headers' in e) return fromHttpStatus(e.code, e.body);
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'aborted') {
    return new DomainError('KubernetesTimeout', `the Kubernetes API server did not answer within ${timeoutMs} ms`);
  }
  const code = systemCode(e);
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
    return new DomainError('KubernetesTlsError', `TLS to the Kubernetes API server failed (${code}): check kubernetesHost and caCert`);
  }
  if (code === 'EPRIVATEADDRESS') {
    return new DomainError('KubernetesUnreachable', `the Kubernetes API server host resolves to a private address, refused by ALLOW_PRIVATE_KUBERNETES_HOSTS=false`);
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new DomainError('KubernetesUnreachable', `the Kubernetes API server is unreachable (${code}): check kubernetesHost and the network path`);
  }
  return new DomainError('KubernetesBadResponse', 'the Kubernetes API server sent an answer that is not a TokenReview');
}

/** A failed namespace read (login step 6): the reviewer may not read namespaces, or there is no such namespace. */
export function mapNamespaceReadError(error: unknown, namespace: string, timeoutMs: number): DomainError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (!(error instanceof DomainError) && typeof e.code === 'number' && 'headers' in e) {
    if (e.code === 403) {
      const reason = statusMessage(e.body);
      return new DomainError('NamespaceReadForbidden', `grant get on namespaces to the reviewer: a ClusterRole with get on namespaces, bound to it (the Kubernetes API server answered 403${reason ? `: ${reason}` : ''})`);
    }
    if (e.code === 404) return new DomainError('NamespaceNotAllowed', `service account namespace "${namespace}" does not exist in the cluster, so it matches no namespaceSelector`);
  }
  return mapClusterError(error, timeoutMs);
}

/** A failed read of the cluster's OIDC discovery or JWKS (JWKS verification): mapped like a TokenReview failure. */
export function mapKeyFetchError(error: unknown, timeoutMs: number): DomainError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (!(error instanceof DomainError) && typeof e.code === 'number' && 'headers' in e) {
    if (e.code === 401) return new DomainError('TokenReviewerUnauthorized', 'the reviewer token is invalid or expired (the Kubernetes API server answered 401 to the signing-key request)');
    if (e.code === 403) {
      const reason = statusMessage(e.body);
      return new DomainError('TokenReviewerForbidden', `bind the reviewer to ClusterRole system:service-account-issuer-discovery (the Kubernetes API server answered 403 to the signing-key request${reason ? `: ${reason}` : ''})`);
    }
    return new DomainError('KubernetesBadResponse', `the Kubernetes API server answered HTTP ${e.code} to the signing-key request`);
  }
  if (error instanceof SyntaxError) return new DomainError('KubernetesBadResponse', 'the Kubernetes API server sent signing keys that are not a JSON Web Key Set');
  return mapClusterError(error, timeoutMs);
}

function fromHttpStatus(status: number, body: unknown): DomainError {
  if (status === 401) return new DomainError('TokenReviewerUnauthorized', 'the reviewer token is invalid or expired (the Kubernetes API server answered 401)');
  if (status === 403) {
    const reason = statusMessage(body);
    return new DomainError('TokenReviewerForbidden', `bind the reviewer to ClusterRole system:auth-delegator (the Kubernetes API server answered 403${reason ? `: ${reason}` : ''})`);
  }
  return new DomainError('KubernetesBadResponse', `the Kubernetes API server answered HTTP ${status}`);
}

/** client-node gives a 403 body as the Status JSON in a string; take its message only. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message.slice(0, 300) : undefined;
}

function systemCode(e: ErrorLike): string | undefined {
  for (let current: ErrorLike | undefined = e, depth = 0; current && depth < 4; current = current.cause as ErrorLike | undefined, depth++) {
    if (typeof current.code === 'string') return current.code;
    if (typeof current.errno === 'string') return current.errno;
  }
  return undefined;
}
