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
    const detail = raw.trim() === '' ? 'unexpected end of JSON input' : (error as Error).message;
    return { ok: false, message: `couldn't get version/kind; json parse error: ${detail}` };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: `couldn't get version/kind; json parse error: json: cannot unmarshal ${goType(body)} into Go value of type ${TYPE_META}` };
  }
  const object = body as Record<string, unknown>;
  const apiVersion = object['apiVersion'] ?? TOKEN_REVIEW_API_VERSION;
  const kind = object['kind'] ?? TOKEN_REVIEW_KIND;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return { ok: false, message: `couldn't get version/kind; json parse error: json: cannot unmarshal ${goType(typeof apiVersion !== 'string' ? apiVersion : kind)} into Go struct field .${typeof apiVersion !== 'string' ? 'apiVersion' : 'kind'} of type string` };
  }
  if (apiVersion !== TOKEN_REVIEW_API_VERSION || kind !== TOKEN_REVIEW_KIND) {
    return { ok: false, message: `no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"` };
  }
  return parseSpec(object['spec']);
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

function envelope(spec: TokenReviewSpec, status: Record<string, unknown>): Record<string, unknown> {
  return { kind: TOKEN_REVIEW_KIND, apiVersion: TOKEN_REVIEW_API_VERSION, metadata: { creationTimestamp: null }, spec, status };
}

export function authenticatedReview(spec: TokenReviewSpec, user: UserInfo, audiences: string[]): Record<string, unknown> {
  const status: Record<string, unknown> = { authenticated: true, user };
  if (audiences.length > 0) status['audiences'] = audiences;
  return envelope(spec, status);
}

/** `authenticated` is absent, not false: Go omits the zero value. */
export function rejectedReview(spec: TokenReviewSpec, error: string): Record<string, unknown> {
  return envelope(spec, { user: {}, error });
}
