import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { sessionToken, setSessionToken } from './session';

export type Schemas = components['schemas'];

/** The typed client of the service's documented API (types generated from its OpenAPI document). */
export const api = createClient<paths>({ baseUrl: window.location.origin });

api.use({
  onRequest({ request }) {
    const token = sessionToken();
    if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
});

/** The codes that mean "this session is over": the console signs out and asks to sign in again. */
const SESSION_ENDED = new Set(['InvalidAccessToken', 'AccessTokenExpired', 'AccessTokenRevoked', 'AccessTokenMaxTtlReached', 'AccessTokenUsesExhausted', 'Unauthorized']);

/** An error answer of the API (docs/api.md "Errors"), or a request that got no answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reqId: string | null,
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits one API call: its data, or an ApiError with the answer's code, message and request id. */
export async function call<T>(pending: Promise<Answer<T>>): Promise<NonNullable<T>> {
  let answer: Answer<T>;
  try {
    answer = await pending;
  } catch (error) {
    throw new ApiError(0, 'NetworkError', `the service did not answer: ${(error as Error).message}`, null);
  }
  const { data, error, response } = answer;
  if (response.ok && data !== undefined) return data as NonNullable<T>;
  const body = (error ?? {}) as { error?: unknown; message?: unknown; reqId?: unknown; details?: unknown };
  const code = typeof body.error === 'string' ? body.error : 'UnexpectedAnswer';
  const failure = new ApiError(
    response.status,
    code,
    typeof body.message === 'string' ? body.message : `HTTP ${response.status}`,
    typeof body.reqId === 'string' ? body.reqId : response.headers.get('x-request-id'),
    Array.isArray(body.details) ? (body.details as ApiError['details']) : [],
  );
  if (response.status === 401 && SESSION_ENDED.has(code) && sessionToken()) setSessionToken(null, 'expired');
  throw failure;
}

/** Fields of a form as the API refused them (422 details), by field name. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  return Object.fromEntries(error.details.map((d) => [d.field, d.message]));
}

/** The first refusal of a field or of anything inside it (`metadata.team`, `accessTokenTrustedIps.0.ipAddress`). */
export function nestedError(errors: Record<string, string>, field: string): string | undefined {
  return errors[field] ?? Object.entries(errors).find(([name]) => name.startsWith(`${field}.`))?.[1];
}
