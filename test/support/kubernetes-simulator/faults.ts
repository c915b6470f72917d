import { randomUUID } from 'node:crypto';
import { serviceAccountUser } from './authenticator.js';
import { UserInfo } from './cluster-state.js';
import { decodeJwt } from './tokens.js';

export type SimulatorFault =
  /** Answer normally after `ms`. Every request. */
  | { kind: 'latency'; ms: number }
  /** Accept TCP and TLS, read the request, never answer (until stop()). Every request. */
  | { kind: 'hang' }
  /** HTTP 500 with a v1 Status body (reason InternalError). Every request. */
  | { kind: 'status500' }
  /** 201, content-type JSON, a complete HTTP message whose JSON is cut off. TokenReviews only. */
  | { kind: 'truncated-json' }
  /** Destroy the socket after reading the request. Every request. */
  | { kind: 'connection-reset' }
  /** 201 authenticated as user "jane@example.com" (not a service account). TokenReviews only. */
  | { kind: 'not-a-service-account' }
  /** 201 authenticated as service account "impostor" in the reviewed token's namespace, fresh UID. TokenReviews only. */
  | { kind: 'wrong-service-account' };

export type TransportFault = Extract<SimulatorFault, { kind: 'latency' | 'hang' | 'status500' | 'connection-reset' }>;
export type AnswerFault = Extract<SimulatorFault, { kind: 'truncated-json' | 'not-a-service-account' | 'wrong-service-account' }>;

const TRANSPORT_KINDS: ReadonlySet<string> = new Set(['latency', 'hang', 'status500', 'connection-reset']);
const ANSWER_KINDS: ReadonlySet<string> = new Set(['truncated-json', 'not-a-service-account', 'wrong-service-account']);

export function isTransportFault(fault: SimulatorFault | null): fault is TransportFault {
  return fault !== null && TRANSPORT_KINDS.has(fault.kind);
}

export function isAnswerFault(fault: SimulatorFault | null): fault is AnswerFault {
  return fault !== null && ANSWER_KINDS.has(fault.kind);
}

/** Validates a fault that arrives untyped (control endpoint); throws with a readable message. */
export function assertFault(value: unknown): asserts value is SimulatorFault | null {
  if (value === null) return;
  const kind = (value as { kind?: unknown } | undefined)?.kind;
  if (typeof kind !== 'string' || (!TRANSPORT_KINDS.has(kind) && !ANSWER_KINDS.has(kind))) {
    throw new Error(`unknown fault ${JSON.stringify(value)}`);
  }
  const ms = (value as { ms?: unknown }).ms;
  if (kind === 'latency' && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) {
    throw new Error('a latency fault needs a non-negative number "ms"');
  }
}

/** The user a lying cluster reports for `token`; the namespace is read from the (unverified) token. */
export function lyingUser(fault: AnswerFault, token: string): UserInfo {
  if (fault.kind === 'not-a-service-account') {
    return { username: 'jane@example.com', uid: randomUUID(), groups: ['system:authenticated'] };
  }
  return serviceAccountUser(claimedNamespace(token), 'impostor', randomUUID(), {});
}

function claimedNamespace(token: string): string {
  const payload = decodeJwt(token)?.payload;
  const projected = payload?.['kubernetes.io'] as { namespace?: unknown } | undefined;
  const namespace = projected?.namespace ?? payload?.['kubernetes.io/serviceaccount/namespace'];
  return typeof namespace === 'string' && namespace !== '' ? namespace : 'default';
}

/** Cuts a JSON text roughly in half so that no prefix of it parses. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.trimEnd().length / 2)));
}
