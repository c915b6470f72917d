import { IncomingMessage, ServerResponse } from 'node:http';
import { AuthenticatorContext, authenticateToken } from './authenticator.js';
import { ANONYMOUS_USER, NamespaceRecord, SUPERUSER_GROUP, UserInfo } from './cluster-state.js';
import { handleControl } from './control.js';
import { AnswerFault, isAnswerFault, isTransportFault, lyingUser, SimulatorFault, TransportFault, truncateJson } from './faults.js';
import { MintOptions } from './mint.js';
import {
  badRequestStatus,
  internalErrorStatus,
  methodNotAllowedStatus,
  notAcceptableStatus,
  resourceForbiddenStatus,
  sendPlainNotFound,
  namespaceForbiddenStatus,
  namespaceNotFoundStatus,
  notFoundStatus,
  pathForbiddenStatus,
  payloadTooLargeStatus,
  sendJson,
  sendRaw,
  tokenReviewForbiddenStatus,
  unauthorizedStatus,
  unsupportedMediaTypeStatus,
} from './status.js';
import { authenticatedReview, parseTokenReview, rejectedReview, TokenReviewSpec } from './token-review.js';

const NAMESPACE_PATH = /^\/api\/v1\/namespaces\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;
export const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface SimulatorCounters {
  tokenReviews: number;
  /** GETs of /openid/v1/jwks (JWKS verification fetching keys), refused ones included. */
  jwksFetches: number;
  tcpConnections: number;
  tlsSessions: number;
}

/** What the HTTP layer needs from the simulator. */
export interface HandlerDeps {
  auth: AuthenticatorContext;
  anonymousAuth: boolean;
  versionInfo: Record<string, string>;
  openIdConfiguration: Record<string, unknown>;
  jwks: { keys: Record<string, unknown>[] };
  control: boolean;
  counters: SimulatorCounters;
  getFault(): SimulatorFault | null;
  setFault(fault: SimulatorFault | null): void;
  mint(options: MintOptions): string;
  /** Resolves after ms; never resolves once the simulator stops. */
  delay(ms: number): Promise<void>;
}

export async function handleRequest(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
  if (path === TOKEN_REVIEWS_PATH && req.method === 'POST') deps.counters.tokenReviews++;
  if (path === '/openid/v1/jwks') deps.counters.jwksFetches++;
  const body = await readBody(req);
  if (body === undefined) return; // the client went away mid-request
  if (deps.control && path.startsWith('/_sim/')) return handleControl(deps, req.method ?? 'GET', path, body ?? '', res);
  const fault = deps.getFault();
  if (isTransportFault(fault) && !(await applyTransportFault(deps, fault, req, res))) return;
  if (body === null) return sendJson(res, 413, payloadTooLargeStatus());
  const user = authenticateRequest(deps, req);
  if (!user) return sendJson(res, 401, unauthorizedStatus());
  route(deps, req, res, path, user, body);
}

function route(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, path: string, user: UserInfo, body: string): void {
  switch (path) {
    case TOKEN_REVIEWS_PATH:
      if (req.method !== 'POST') return sendJson(res, 405, methodNotAllowedStatus());
      return reviewToken(deps, req, res, user, body);
    case '/version':
    case '/version/':
      if (req.method !== 'GET') return sendJson(res, 405, methodNotAllowedStatus());
      return sendJson(res, 200, deps.versionInfo);
    case '/.well-known/openid-configuration':
    case '/openid/v1/jwks':
      return issuerDiscovery(deps, req, res, user, path);
    default: {
      const namespace = NAMESPACE_PATH.exec(path)?.[1];
      if (namespace !== undefined && req.method === 'GET') return getNamespace(deps, res, user, namespace);
      return unknownPath(req, res, user, path);
    }
  }
}

/**
 * ClusterRole system:service-account-issuer-discovery is bound to the group system:serviceaccounts
 * only: other authenticated users are refused too. Each document has one representation.
 */
function issuerDiscovery(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, user: UserInfo, path: string): void {
  if (req.method !== 'GET') return sendJson(res, 405, methodNotAllowedStatus());
  const groups = user.groups ?? [];
  if (!groups.includes('system:serviceaccounts') && !groups.includes(SUPERUSER_GROUP)) {
    return sendJson(res, 403, pathForbiddenStatus(user.username, 'get', path));
  }
  const jwks = path === '/openid/v1/jwks';
  const mediaType = jwks ? 'application/jwk-set+json' : 'application/json';
  if (!accepts(req.headers.accept, mediaType)) return sendJson(res, 406, notAcceptableStatus(mediaType));
  sendJson(res, 200, jwks ? deps.jwks : deps.openIdConfiguration, mediaType);
}

/** Does an Accept header admit this media type? No header admits anything. */
function accepts(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  const [type] = mediaType.split('/');
  return accept.split(',').some((range) => {
    const [value, ...params] = range.trim().toLowerCase().split(';');
    if (params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param))) return false;
    return value === mediaType || value === '*/*' || value === `${type}/*`;
  });
}

/**
 * Authorization comes first: only system:masters learns that a path does not exist. Unknown
 * resources of a served group are a 404 Status; paths outside every group are Go's plain 404.
 */
function unknownPath(req: IncomingMessage, res: ServerResponse, user: UserInfo, path: string): void {
  const resource = resourceRequest(req.method ?? 'GET', path);
  if (!(user.groups ?? []).includes(SUPERUSER_GROUP)) {
    if (resource) return sendJson(res, 403, resourceForbiddenStatus(user.username, resource));
    return sendJson(res, 403, pathForbiddenStatus(user.username, (req.method ?? 'GET').toLowerCase(), path));
  }
  if (resource && (resource.group === '' || SERVED_GROUPS.has(resource.group))) return sendJson(res, 404, notFoundStatus());
  sendPlainNotFound(res);
}

const SERVED_GROUPS = new Set([
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps', 'authentication.k8s.io',
  'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io',
  'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'networking.k8s.io', 'node.k8s.io', 'policy',
  'rbac.authorization.k8s.io', 'resource.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io',
]);

const VERBS: Record<string, [collection: string, named: string]> = {
  GET: ['list', 'get'], POST: ['create', 'create'], PUT: ['update', 'update'], PATCH: ['patch', 'patch'], DELETE: ['deletecollection', 'delete'],
};

/** The API server's RequestInfo for /api/v1/... and /apis/<group>/<version>/... paths; undefined for other paths. */
function resourceRequest(method: string, path: string): { verb: string; group: string; resource: string; name?: string; namespace?: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let group = '';
  if (parts[0] === 'api' && parts.length >= 3) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name] = rest;
  // A Namespace is named by its own namespace in RBAC's eyes.
  if (resource === 'namespaces' && name) namespace = name;
  const verbs = VERBS[method] ?? [method.toLowerCase(), method.toLowerCase()];
  return { verb: name ? verbs[1] : verbs[0], group, resource, name, namespace };
}

/** GET /api/v1/namespaces/<name>: authorization first (403 even for a missing one), then 404. */
function getNamespace(deps: HandlerDeps, res: ServerResponse, user: UserInfo, name: string): void {
  if (!deps.auth.state.canGetNamespaces(user)) return sendJson(res, 403, namespaceForbiddenStatus(user.username, name));
  const namespace = deps.auth.state.getNamespace(name);
  if (!namespace) return sendJson(res, 404, namespaceNotFoundStatus(name));
  sendJson(res, 200, namespaceObject(namespace));
}

/** Returns false when the fault has dealt with the request (answered, dropped or hung). */
async function applyTransportFault(deps: HandlerDeps, fault: TransportFault, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case 'latency':
      await deps.delay(fault.ms);
      return !res.destroyed;
    case 'hang':
      return false;
    case 'status500':
      sendJson(res, 500, internalErrorStatus('simulated fault'));
      return false;
    case 'connection-reset':
      resetConnection(req);
      return false;
  }
}

/** Sends a TCP RST where the platform allows it; a plain destroy reads as ECONNRESET too. */
function resetConnection(req: IncomingMessage): void {
  const socket = req.socket as IncomingMessage['socket'] & { resetAndDestroy?: () => void };
  try {
    socket.resetAndDestroy?.();
  } catch {
    // not a TCP handle (TLS wrap): fall through to destroy
  }
  if (!socket.destroyed) socket.destroy();
}

/** Bearer authentication, then anonymous when enabled. A bearer that fails is 401, never anonymous. */
function authenticateRequest(deps: HandlerDeps, req: IncomingMessage): UserInfo | null {
  const token = bearerToken(req.headers.authorization);
  if (token === null) return deps.anonymousAuth ? ANONYMOUS_USER : null;
  const result = authenticateToken(deps.auth, token, []);
  return result.ok ? result.user : null;
}

/** Same parsing as the API server's bearertoken authenticator; null when there is no usable bearer. */
function bearerToken(header: string | undefined): string | null {
  const parts = (header ?? '').trim().split(' ', 3);
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer' || parts[1] === '') return null;
  return parts[1];
}

function reviewToken(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, user: UserInfo, body: string): void {
  if (!deps.auth.state.canCreateTokenReviews(user)) return sendJson(res, 403, tokenReviewForbiddenStatus(user.username));
  if (!isJsonLike(req.headers['content-type'])) return sendJson(res, 415, unsupportedMediaTypeStatus());
  const parsed = parseTokenReview(body);
  if (!parsed.ok) return sendJson(res, 400, badRequestStatus(parsed.message));
  const fault = deps.getFault();
  const userAgent = req.headers['user-agent'];
  if (isAnswerFault(fault)) return answerWithFault(deps, res, fault, parsed.spec, userAgent);
  const result = authenticateToken(deps.auth, parsed.spec.token, parsed.spec.audiences ?? []);
  const review = result.ok
    ? authenticatedReview(parsed.spec, result.user, result.audiences, userAgent)
    : rejectedReview(parsed.spec, result.error, userAgent);
  sendJson(res, 201, review);
}

function answerWithFault(deps: HandlerDeps, res: ServerResponse, fault: AnswerFault, spec: TokenReviewSpec, userAgent: string | undefined): void {
  const audiences = spec.audiences ?? deps.auth.apiAudiences;
  if (fault.kind === 'truncated-json') {
    const honest = authenticateToken(deps.auth, spec.token, spec.audiences ?? []);
    const review = honest.ok ? authenticatedReview(spec, honest.user, honest.audiences, userAgent) : rejectedReview(spec, honest.error, userAgent);
    return sendRaw(res, 201, truncateJson(JSON.stringify(review)));
  }
  sendJson(res, 201, authenticatedReview(spec, lyingUser(fault, spec.token), audiences, userAgent));
}

/** An absent Content-Type defaults to JSON; YAML is accepted too (JSON is valid YAML). */
function isJsonLike(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || mediaType === 'application/yaml';
}

/** The whole body as text; null when larger than the API server's 3 MiB limit; undefined on abort. */
async function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}

/** The Namespace as the API server serialises it (its creator taken as a client without User-Agent). */
function namespaceObject(namespace: NamespaceRecord): Record<string, unknown> {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name: namespace.name,
      uid: namespace.uid,
      resourceVersion: '1',
      creationTimestamp: namespace.creationTimestamp,
      labels: { ...namespace.labels },
      managedFields: [
        {
          manager: 'unknown',
          operation: 'Update',
          apiVersion: 'v1',
          time: namespace.creationTimestamp,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries([['.', {}], ...Object.keys(namespace.labels).sort().map((label) => [`f:${label}`, {}])]) } },
        },
      ],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
