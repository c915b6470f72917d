import { UserInfo } from './cluster-state.js';

export const TOKEN_REVIEW_API_VERSION = 'authentication.k8s.io/v1';
export const TOKEN_REVIEW_KIND = 'TokenReview';

/** spec as the server echoes it: audiences omitted when empty (Go's omitempty). */
export interface TokenReviewSpec {
  token: string;
  audiences?: string[];
}

export type ParsedTokenReview = { ok: true; spec: TokenReviewSpec } | { ok: false; message: string };

// The Go type the API machinery first decodes into to find apiVersion and kind.
const TYPE_META = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * Decodes a TokenReview request body as the API server would, including its defaulting of a
 * missing apiVersion/kind to the endpoint's. Failures carry the 400 Status message.
 */
export function parseTokenReview(raw: string): ParsedTokenReview {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return unrecognized(raw, `json parse error: ${goSyntaxError(raw, error as Error)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return unrecognized(raw, `json parse error: json: cannot unmarshal ${goType(body)} into Go value of type ${TYPE_META}`);
  }
  const object = body as Record<string, unknown>;
  const apiVersion = object['apiVersion'] ?? TOKEN_REVIEW_API_VERSION;
  const kind = object['kind'] ?? TOKEN_REVIEW_KIND;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return unrecognized(raw, `json parse error: json: cannot unmarshal ${goType(typeof apiVersion !== 'string' ? apiVersion : kind)} into Go struct field .${typeof apiVersion !== 'string' ? 'apiVersion' : 'kind'} of type string`);
  }
  if (apiVersion !== TOKEN_REVIEW_API_VERSION || kind !== TOKEN_REVIEW_KIND) {
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const cause = apiVersion === 'v1' && CORE_V1_KINDS.has(kind)
      ? `converting (v1.${kind}) to (authentication.TokenReview): unknown conversion`
      : `no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/runtime/scheme.go:111"`;
    return { ok: false, message: `${kind} in version "${version}" cannot be handled as a TokenReview: ${cause}` };
  }
  return parseSpec(object['spec']);
}

/** Kinds the API server's scheme knows in the core v1 group (it then fails converting them, not finding them). */
const CORE_V1_KINDS = new Set(['Pod', 'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'Service', 'Node', 'Endpoints', 'Event', 'Status', 'List']);

/** The API server's answer to a body whose kind it cannot tell: the error, then a summary of the body. */
function unrecognized(raw: string, cause: string): ParsedTokenReview {
  return { ok: false, message: `the object provided is unrecognized (must be of type TokenReview): couldn't get version/kind; ${cause} (${summarize(raw)})` };
}

/** apimachinery's summarizeData(body, 30): JSON-looking text as is, anything else in hex; " ..." when cut. */
function summarize(raw: string): string {
  const data = Buffer.from(raw, 'utf8');
  if (data.length === 0) return '<empty>';
  const cut = data.length > 30 ? data.subarray(0, 30) : data;
  const text = data[0] === 0x7b ? cut.toString('utf8') : cut.toString('hex');
  return data.length > 30 ? `${text} ...` : text;
}

/** Go's encoding/json wording for the two syntax errors clients make (end of input, a stray character). */
function goSyntaxError(raw: string, error: Error): string {
  if (raw.trim() === '' || /end of JSON input/i.test(error.message)) return 'unexpected end of JSON input';
  const token = /Unexpected token '?(.)/.exec(error.message)?.[1] ?? raw.trim()[0];
  return `invalid character '${token}' looking for beginning of value`;
}

function parseSpec(spec: unknown): ParsedTokenReview {
  const cannotHandle = (field: string, value: unknown, goTarget: string): ParsedTokenReview => ({
    ok: false,
    message: `TokenReview in version "v1" cannot be handled as a TokenReview: json: cannot unmarshal ${goType(value)} into Go struct field ${field} of type ${goTarget}`,
  });
  if (spec !== undefined && spec !== null && (typeof spec !== 'object' || Array.isArray(spec))) {
    return cannotHandle('TokenReview.spec', spec, 'v1.TokenReviewSpec');
  }
  const fields = (spec ?? {}) as Record<string, unknown>;
  const token = fields['token'] ?? '';
  if (typeof token !== 'string') return cannotHandle('TokenReviewSpec.spec.token', token, 'string');
  const audiences = fields['audiences'] ?? [];
  if (!Array.isArray(audiences)) return cannotHandle('TokenReviewSpec.spec.audiences', audiences, '[]string');
  const badAudience = audiences.find((audience) => typeof audience !== 'string');
  if (badAudience !== undefined) return cannotHandle('TokenReviewSpec.spec.audiences', badAudience, 'string');
  if (token === '') return { ok: false, message: 'token is required for TokenReview in authentication' };
  return { ok: true, spec: audiences.length > 0 ? { token, audiences: audiences as string[] } : { token } };
}

function goType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

/**
 * The server-side-apply bookkeeping kube-apiserver (1.35) writes even on a TokenReview: one Update
 * entry whose manager is the User-Agent's product name ("unknown" without one). No creationTimestamp.
 */
function envelope(spec: TokenReviewSpec, status: Record<string, unknown>, userAgent: string | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = spec.audiences ? { 'f:audiences': {}, 'f:token': {} } : { 'f:token': {} };
  const managedFields = [
    {
      manager: fieldManager(userAgent),
      operation: 'Update',
      apiVersion: TOKEN_REVIEW_API_VERSION,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': fields },
    },
  ];
  return { kind: TOKEN_REVIEW_KIND, apiVersion: TOKEN_REVIEW_API_VERSION, metadata: { managedFields }, spec, status };
}

/** The apiserver's default field manager: the User-Agent up to its first "/", printable characters only. */
export function fieldManager(userAgent: string | undefined): string {
  const name = [...(userAgent ?? '').split('/')[0]].filter((ch) => ch >= ' ' && ch !== '\x7f').join('').slice(0, 128);
  return name || 'unknown';
}

export function authenticatedReview(spec: TokenReviewSpec, user: UserInfo, audiences: string[], userAgent?: string): Record<string, unknown> {
  const status: Record<string, unknown> = { authenticated: true, user };
  if (audiences.length > 0) status['audiences'] = audiences;
  return envelope(spec, status, userAgent);
}

/** `authenticated` is absent, not false: Go omits the zero value. */
export function rejectedReview(spec: TokenReviewSpec, error: string, userAgent?: string): Record<string, unknown> {
  return envelope(spec, { user: {}, error }, userAgent);
}
