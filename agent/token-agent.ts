import { readFile } from 'node:fs/promises';
import { Backoff, parseRetryAfter } from './backoff.js';
import { type ApiClient, type ApiResponse, NetworkError } from './http.js';
import type { Logger } from './log.js';
import type { AgentOptions } from './options.js';
import { sinkContent, writeAtomically } from './sink.js';

/** A token the agent holds; times are epoch milliseconds. */
export interface HeldToken {
  accessToken: string;
  obtainedAt: number;
  expiresAt: number;
  /** When the token can no longer be renewed (its max TTL); undefined when the server sets none. */
  maxExpiresAt: number | undefined;
}

/** The outcome of one call: a token, a refusal (4xx but 429), or a transient failure worth retrying. */
export type CallResult = { kind: 'ok'; token: HeldToken } | { kind: 'refused'; status: number; code: string } | { kind: 'retry'; code: string; retryAfterMs?: number };

export const LOGIN_PATH = 'api/v1/auth/kubernetes-auth/login';
export const RENEW_PATH = 'api/v1/auth/token/renew';
export const REVOKE_PATH = 'api/v1/auth/token/revoke';

/** Renew at this fraction of the lifetime (DESIGN.md "Agent"). */
const RENEW_AT = 2 / 3;
/** A renewal whose expiry lands this close to the max TTL cannot be extended again: log in instead. */
const MAX_TTL_MARGIN_MS = 1000;

/** Refusals after which the held token is no use to anyone, even before its expiry. */
const DEAD_TOKEN_CODES = new Set(['AccessTokenRevoked', 'AccessTokenUsesExhausted', 'InvalidAccessToken']);

export type Endpoint = 'login' | 'renew' | 'revoke';
export type Outcome = 'ok' | 'refused' | 'retry';

/**
 * The refresh loop (docs/agent.md): log in, renew at two thirds of the lifetime, log in again when
 * a renewal is refused or the max TTL is near, back off on every failure, never drop a still-valid
 * token from the sink.
 */
export class TokenAgent {
  readonly counts = new Map<`${Endpoint}:${Outcome}`, number>();
  private token: HeldToken | undefined;
  private written: HeldToken | undefined;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly options: AgentOptions,
    private readonly api: ApiClient,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(options.timing.backoffBaseMs, options.timing.backoffMaxMs);
  }

  /** The sink holds a token that has not expired. */
  healthy(now: number = Date.now()): boolean {
    return this.written !== undefined && now < this.written.expiresAt;
  }

  get current(): HeldToken | undefined {
    return this.written;
  }

  get consecutiveFailures(): number {
    return this.backoff.attempts;
  }

  /** Starts the loop; each cycle schedules the next one. */
  start(): void {
    this.schedule(0);
  }

  /** One login and sink write, for --once. */
  async loginOnce(): Promise<CallResult> {
    const result = await this.login();
    if (result.kind === 'ok') await this.store(result.token);
    return result;
  }

  /** Stops the loop, waits for a cycle in flight, and revokes the token when asked to. */
  async stop(revoke: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (revoke && this.token) await this.revoke(this.token);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.cycle().finally(() => (this.running = undefined));
    }, delayMs);
  }

  private async cycle(): Promise<void> {
    let delay: number;
    try {
      delay = await this.refresh();
    } catch (error) {
      this.log.error('unexpected failure', { code: (error as Error).name });
      delay = this.backoff.next();
    }
    this.schedule(delay);
  }

  /** One renewal or login; answers how long to wait before the next. */
  private async refresh(): Promise<number> {
    const held = this.token;
    if (held && this.renewable(held)) {
      const renewed = await this.call('renew', RENEW_PATH, { accessToken: held.accessToken }, held);
      if (renewed.kind === 'ok') return this.accept(renewed.token, 'renewed');
      if (renewed.kind === 'retry') return this.fail('renewal failed', renewed);
      // Any refusal of a renewal (AccessTokenExpired, …Revoked, …MaxTtlReached, …UsesExhausted, IpNotTrusted):
      // log in again, once, now; if that fails too the login's own backoff applies.
      this.log.info('renewal refused; logging in again', { status: renewed.status, code: renewed.code });
      if (DEAD_TOKEN_CODES.has(renewed.code)) this.token = this.written = undefined;
    }
    const result = await this.login();
    if (result.kind === 'ok') return this.accept(result.token, 'logged in');
    return this.fail('login failed', result);
  }

  private renewable(token: HeldToken, now: number = Date.now()): boolean {
    if (now >= token.expiresAt) return false;
    return token.maxExpiresAt === undefined || token.expiresAt < token.maxExpiresAt - MAX_TTL_MARGIN_MS;
  }

  private async accept(token: HeldToken, what: string): Promise<number> {
    try {
      await this.store(token);
    } catch (error) {
      this.token = token;
      return this.fail('writing the sink failed', { kind: 'retry', code: (error as NodeJS.ErrnoException).code ?? 'SinkWriteFailed' });
    }
    this.backoff.reset();
    const renewAt = token.obtainedAt + (token.expiresAt - token.obtainedAt) * RENEW_AT;
    const delay = Math.max(0, Math.round(renewAt - Date.now()));
    this.log.info(what, { expiresAt: new Date(token.expiresAt).toISOString(), nextRefreshInMs: delay, ...(this.renewable(token) ? {} : { next: 'login' }) });
    return delay;
  }

  private fail(what: string, result: Exclude<CallResult, { kind: 'ok' }>): number {
    const delay = this.backoff.next(result.kind === 'retry' ? result.retryAfterMs : undefined);
    this.log.warn(what, { code: result.code, ...(result.kind === 'refused' ? { status: result.status } : {}), retryInMs: delay, attempt: this.backoff.attempts, tokenValid: this.healthy() });
    return delay;
  }

  private async store(token: HeldToken): Promise<void> {
    this.token = token;
    await writeAtomically(this.options.sink, sinkContent(this.options.sinkFormat, token.accessToken, new Date(token.expiresAt)));
    this.written = token;
  }

  private async login(): Promise<CallResult> {
    let jwt: string;
    try {
      // Read afresh every time: projected tokens are rotated by the kubelet.
      jwt = (await readFile(this.options.tokenPath, 'utf8')).trim();
    } catch (error) {
      return this.count('login', { kind: 'retry', code: `TokenFileUnreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}` });
    }
    if (!jwt) return this.count('login', { kind: 'retry', code: 'TokenFileEmpty' });
    const body: Record<string, unknown> = { identityId: this.options.identityId, jwt };
    if (this.options.organizationSlug) body.organizationSlug = this.options.organizationSlug;
    return this.call('login', LOGIN_PATH, body, undefined);
  }

  private async revoke(token: HeldToken): Promise<void> {
    const result = await this.call('revoke', REVOKE_PATH, { accessToken: token.accessToken }, token);
    if (result.kind === 'ok') this.log.info('token revoked');
    else this.log.warn('revoking the token failed', { code: result.code });
  }

  private async call(endpoint: Endpoint, path: string, body: Record<string, unknown>, previous: HeldToken | undefined): Promise<CallResult> {
    const sentAt = Date.now();
    let res: ApiResponse;
    try {
      res = await this.api.post(path, body);
    } catch (error) {
      return this.count(endpoint, { kind: 'retry', code: error instanceof NetworkError ? error.code : 'NetworkError' });
    }
    return this.count(endpoint, interpret(endpoint, res, sentAt, previous));
  }

  private count(endpoint: Endpoint, result: CallResult): CallResult {
    const key = `${endpoint}:${result.kind}` as const;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return result;
  }
}

/** Turns an HTTP answer into a CallResult; token times come from `expiresIn`, bounded by the JWT's own `exp`. */
export function interpret(endpoint: Endpoint, res: ApiResponse, sentAt: number, previous: HeldToken | undefined): CallResult {
  const code = typeof res.body?.error === 'string' ? res.body.error : `HTTP${res.status}`;
  if (res.status === 429 || res.status >= 500 || res.status < 200) return { kind: 'retry', code, retryAfterMs: parseRetryAfter(res.retryAfter) };
  if (res.status >= 300) return { kind: 'refused', status: res.status, code };
  if (endpoint === 'revoke') return { kind: 'ok', token: previous! };
  const accessToken = res.body?.accessToken;
  const expiresIn = res.body?.expiresIn;
  if (typeof accessToken !== 'string' || !accessToken || typeof expiresIn !== 'number' || !(expiresIn > 0)) return { kind: 'retry', code: 'MalformedResponse' };
  const claims = jwtTimes(accessToken);
  const expiresAt = Math.min(sentAt + expiresIn * 1000, claims.exp ?? Infinity);
  const maxTtl = res.body?.accessTokenMaxTTL;
  const maxExpiresAt =
    endpoint === 'renew' && previous ? previous.maxExpiresAt : typeof maxTtl === 'number' && maxTtl > 0 ? (claims.iat ?? Math.floor(sentAt / 1000) * 1000) + maxTtl * 1000 : undefined;
  return { kind: 'ok', token: { accessToken, obtainedAt: sentAt, expiresAt, maxExpiresAt } };
}

/** `iat` and `exp` of a JWT in milliseconds, read without verifying it (only to time the refresh). */
function jwtTimes(token: string): { iat?: number; exp?: number } {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return { iat: typeof claims.iat === 'number' ? claims.iat * 1000 : undefined, exp: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined };
  } catch {
    return {};
  }
}
