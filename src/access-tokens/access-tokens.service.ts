import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { type AuditEntry, AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import type { Principal } from '../common/auth/principal.js';
import { IpMatcher } from '../common/net/cidr.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { CoalescedWrites } from '../database/coalesced-writes.js';
import { GroupCommit } from '../database/group-commit.js';
import type { AccessToken, AuthMethod, TokenSubject } from './access-token.entity.js';
import { AccessTokenRepository, type TokenOwner, type TokenUses } from './access-token.repository.js';
import { type AccessTokenClaims, TokenCodec } from './token-codec.js';

export interface IssueTokenInput {
  identityId?: string;
  userId?: string;
  orgId: string | null;
  authConfigId: string | null;
  authMethod: AuthMethod;
  ttl: number;
  maxTtl: number;
  numUsesLimit: number;
  clientIp: string | null;
  subject: TokenSubject | null;
  /** The issuing config's trusted IPs (null: none), as the auth method read them; see issueWith. */
  trustedIps: string[] | null;
}

/** What the unit of work that writes a token reads just before the row: the config as of that commit. */
export interface IssueGuard {
  /** Throws a DomainError when the token must not be written; else the config's current trusted IPs. */
  (): Promise<{ trustedIps: string[] | null }>;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  accessTokenMaxTTL: number;
  tokenType: 'Bearer';
}

export interface AccessTokenView {
  id: string;
  identityId: string | null;
  authMethod: string;
  ttl: number;
  maxTtl: number;
  numUses: number;
  numUsesLimit: number;
  createdAt: Date;
  expiresAt: Date;
  maxExpiresAt: Date;
  lastRenewedAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  clientIp: string | null;
  subject: TokenSubject | null;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

type TokenUsage = Pick<AccessToken, 'authMethod' | 'expiresAt' | 'numUses' | 'numUsesLimit'>;

/** Tokens whose usage, as of their latest authenticated use on this replica, `token/self` can answer from. */
const USAGES_KEPT = 10_000;

/** Issues, renews, authenticates and revokes access tokens; one row per token, never the token. */
@Injectable()
export class AccessTokensService implements OnModuleDestroy {
  /** Each token's usage as its latest bearer check on this replica saw it (its own use included). */
  private readonly usages = new LRUCache<string, TokenUsage>({ max: USAGES_KEPT });
  /** Uses of tokens without a use limit: informational, coalesced, written within a second. */
  private readonly uses = new CoalescedWrites<string, TokenUses>(
    'TokenUses',
    (waiting, next) => ({ count: waiting.count + next.count, at: next.at > waiting.at ? next.at : waiting.at }),
    (values) => this.tokens.addUses(values),
  );

  constructor(
    private readonly tokens: AccessTokenRepository,
    private readonly commits: GroupCommit,
    private readonly codec: TokenCodec,
    private readonly limiter: RateLimiterService,
    private readonly audit: AuditService,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.uses.close();
  }

  async issue(input: IssueTokenInput): Promise<IssuedToken> {
    return (await this.issueWith(input)).issued;
  }

  /**
   * issue(), with `guard` (the condition the token row needs, e.g. its config still exists; a
   * DomainError it throws fails the issue; the trusted IPs it returns are the row's, so a change of
   * the config committed while the login was under way is not missed) and `alongside` (the
   * login's audit write) in the same unit of work as the token row: one commit. Should only
   * `alongside` fail, the token row is written alone behind the guard and `alongsideWritten` is
   * false: the caller writes its rows its own way.
   */
  async issueWith(input: IssueTokenInput, unit: { guard?: IssueGuard; alongside?: () => Promise<void> } = {}): Promise<{ issued: IssuedToken; alongsideWritten: boolean }> {
    const id = randomUUID();
    const iat = seconds(Date.now());
    const exp = iat + Math.min(input.ttl, input.maxTtl);
    const row: AccessToken = {
      id,
      identityId: input.identityId ?? null,
      userId: input.userId ?? null,
      orgId: input.orgId,
      authConfigId: input.authConfigId,
      authMethod: input.authMethod,
      ttl: input.ttl,
      maxTtl: input.maxTtl,
      numUses: 0,
      numUsesLimit: input.numUsesLimit,
      createdAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
      maxExpiresAt: new Date((iat + input.maxTtl) * 1000),
      lastRenewedAt: null,
      lastUsedAt: null,
      revokedAt: null,
      clientIp: input.clientIp,
      subject: input.subject,
      trustedIps: input.trustedIps,
    };
    const [issued, alongsideWritten] = await Promise.all([this.sign(row, iat, exp), this.store(row, unit.guard, unit.alongside)]);
    return { issued, alongsideWritten };
  }

  /** The row commits with those of concurrent logins (group commit); the answer waits for that commit. */
  private async store(row: AccessToken, guard?: IssueGuard, alongside?: () => Promise<void>): Promise<boolean> {
    const tokenRow = async (): Promise<void> => {
      if (guard) row.trustedIps = (await guard()).trustedIps;
      await this.tokens.insert(row);
    };
    try {
      await this.commits.submit(async () => {
        await tokenRow();
        await alongside?.();
      });
      return alongside !== undefined;
    } catch (error) {
      if (!alongside || error instanceof DomainError) throw error;
      await this.commits.submit(tokenRow);
      return false;
    }
  }

  /**
   * docs/api.md "Access tokens": renewal checks in their documented order. Audited
   * (`access-token.renewed`) once the signature holds: a forged token names no one.
   */
  async renew(token: string, client: ClientInfo): Promise<IssuedToken> {
    const claims = await this.codec.verify(token, true);
    const audit = (outcome: 'success' | 'failure', errorCode?: ErrorCode): Promise<void> =>
      this.audit.record({ event: 'access-token.renewed', outcome, errorCode, orgId: claims.org ?? null, identityId: claims.authMethod === 'session' ? null : claims.sub, actor: actorOf(claims), client, metadata: { tokenId: claims.jti } });
    try {
      const issued = await this.renewVerified(claims, client.ip);
      await audit('success');
      return issued;
    } catch (error) {
      if (error instanceof DomainError) await audit('failure', error.code);
      throw error;
    }
  }

  private async renewVerified(claims: AccessTokenClaims, clientIp: string): Promise<IssuedToken> {
    const row = await this.loadUnrevoked(claims.jti);
    const now = Date.now();
    if (claims.exp * 1000 <= now) throw new DomainError('AccessTokenExpired', 'the access token has expired and cannot be renewed: log in again');
    const maxExp = seconds(row.maxExpiresAt.getTime());
    if (claims.exp >= maxExp) throw new DomainError('AccessTokenMaxTtlReached', 'the access token reached its maximum lifetime: log in again');
    if (!ipTrusted(row, clientIp)) throw ipNotTrusted(clientIp);
    if (row.numUsesLimit > 0 && row.numUses >= row.numUsesLimit) throw usesExhausted();
    const iat = seconds(now);
    const exp = Math.min(iat + row.ttl, maxExp);
    await this.tokens.renewed(row.id, new Date(exp * 1000), new Date(now));
    return this.sign(row, iat, exp);
  }

  /**
   * The bearer check of every authenticated request, in the documented order: signature and
   * `exp`, revocation and trusted IP (one read: the row carries its config's current trusted
   * IPs), then the use: counted atomically for a token with a use limit (group commit),
   * coalesced in memory for one without (no write here).
   */
  async authenticate(token: string, clientIp: string): Promise<Principal> {
    const claims = await this.verifyBearer(token, clientIp);
    const row = await this.loadUnrevoked(claims.jti);
    if (!ipTrusted(row, clientIp)) throw ipNotTrusted(clientIp);
    const now = new Date();
    if (row.numUsesLimit === 0) {
      this.uses.add(row.id, { count: 1, at: now });
    } else if (!(await this.commits.submit(() => this.tokens.countUse(row.id, now)))) {
      await this.loadUnrevoked(row.id);
      throw usesExhausted();
    }
    const numUses = row.numUsesLimit === 0 ? row.numUses + (this.uses.waiting(row.id)?.count ?? 0) : row.numUses + 1;
    this.usages.set(row.id, { authMethod: row.authMethod, expiresAt: row.expiresAt, numUses, numUsesLimit: row.numUsesLimit });
    return principalOf(row);
  }

  /** verify(), behind the per-IP limit on invalid bearers (RateLimiterService.assertBearersAccepted). */
  private async verifyBearer(token: string, clientIp: string): Promise<AccessTokenClaims> {
    try {
      return await this.codec.verify(token, false, () => this.limiter.assertBearersAccepted(clientIp));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'InvalidAccessToken') await this.limiter.recordInvalidBearer(clientIp);
      throw error;
    }
  }

  /** Public revocation by token: needs a valid signature, accepts an expired token. Audited (`access-token.self-revoked`). */
  async revokeByToken(token: string, client: ClientInfo): Promise<AccessToken> {
    const claims = await this.codec.verify(token, true);
    const row = await this.tokens.findById(claims.jti);
    if (!row) throw new DomainError('InvalidAccessToken', 'the access token is invalid');
    const already = row.revokedAt !== null;
    if (!already) await this.revoke(row.id);
    await this.audit.record({
      event: 'access-token.self-revoked',
      outcome: 'success',
      orgId: row.orgId,
      identityId: row.identityId,
      actor: principalOf(row),
      client,
      metadata: { tokenId: row.id, alreadyRevoked: String(already) },
    });
    return row;
  }

  async revoke(id: string): Promise<void> {
    await this.tokens.revokeWhere({ id });
  }

  /** What `token/self` shows of a token: as the bearer check of the same request left it (else one narrow read). */
  async usage(id: string): Promise<TokenUsage | null> {
    // The guard of this very request has just read the row and counted its use.
    const seen = this.usages.get(id);
    if (seen) return seen;
    const usage = await this.tokens.usage(id);
    return usage && this.withWaitingUses(usage, id);
  }

  findById(id: string): Promise<AccessToken | null> {
    return this.tokens.findById(id);
  }

  async find(identityId: string, tokenId: string): Promise<AccessTokenView> {
    const row = await this.tokens.findOfIdentity(identityId, tokenId);
    if (!row) throw new DomainError('AccessTokenNotFound', 'access token not found');
    return toView(this.withWaitingUses(row, row.id));
  }

  async listForIdentity(identityId: string, offset: number, limit: number): Promise<{ accessTokens: AccessTokenView[]; totalCount: number }> {
    const [rows, totalCount] = await this.tokens.listOfIdentity(identityId, offset, limit);
    return { accessTokens: rows.map((row) => toView(this.withWaitingUses(row, row.id))), totalCount };
  }

  /**
   * A config's trusted IPs changed: its live tokens take the new list (in the caller's unit of
   * work, the one that writes the config, so no bearer check sees the config and its tokens disagree).
   */
  setTrustedIps(authConfigId: string, trustedIps: string[]): Promise<void> {
    return this.tokens.setTrustedIps(authConfigId, trustedIps);
  }

  /** Revokes every live token of an owner (in the caller's unit of work, when there is one). */
  revokeWhere(owner: TokenOwner): Promise<number> {
    return this.tokens.revokeWhere(owner);
  }

  /** Ends every session of a user except `keepTokenId` (after a password change). */
  revokeOtherSessions(userId: string, keepTokenId: string): Promise<number> {
    return this.tokens.revokeSessionsExcept(userId, keepTokenId);
  }

  private async loadUnrevoked(id: string): Promise<AccessToken> {
    const row = await this.findById(id);
    // A row purged by housekeeping belongs to a token that can no longer be valid.
    if (!row || row.revokedAt) throw new DomainError('AccessTokenRevoked', 'the access token has been revoked: log in again');
    return row;
  }

  /** The row as this replica knows it: with the uses it counted and has not written yet. */
  private withWaitingUses<T extends Pick<AccessToken, 'numUses'> & Partial<Pick<AccessToken, 'lastUsedAt'>>>(row: T, id: string): T {
    const waiting = this.uses.waiting(id);
    if (!waiting) return row;
    return { ...row, numUses: row.numUses + waiting.count, ...('lastUsedAt' in row ? { lastUsedAt: waiting.at } : {}) };
  }


  private async sign(row: AccessToken, iat: number, exp: number): Promise<IssuedToken> {
    const claims: Omit<AccessTokenClaims, 'iss'> = { sub: (row.identityId ?? row.userId)!, jti: row.id, iat, exp, org: row.orgId, authMethod: row.authMethod };
    if (row.subject) {
      const { namespace, serviceAccountName, serviceAccountUid, podName, clusterId } = row.subject;
      claims.kubernetes = { namespace, serviceAccountName, serviceAccountUid, ...(podName ? { podName } : {}), ...(clusterId ? { clusterId } : {}) };
    }
    const accessToken = await this.codec.sign(claims);
    return { accessToken, expiresIn: exp - iat, accessTokenMaxTTL: row.maxTtl, tokenType: 'Bearer' };
  }
}

/** Who a verified token speaks for, from its claims (before its row is read). */
function actorOf(claims: AccessTokenClaims): AuditEntry['actor'] {
  return claims.authMethod === 'session' ? { kind: 'user', userId: claims.sub } : { kind: 'identity', identityId: claims.sub, orgId: claims.org ?? '', tokenId: claims.jti, authMethod: claims.authMethod };
}

function principalOf(row: AccessToken): Principal {
  if (row.userId) return { kind: 'user', userId: row.userId, tokenId: row.id, authMethod: 'session' };
  return { kind: 'identity', identityId: row.identityId!, orgId: row.orgId!, tokenId: row.id, authMethod: row.authMethod };
}

/** Against the trusted IPs the row carries: its config's current list (null: no restriction). */
function ipTrusted(row: AccessToken, clientIp: string): boolean {
  return row.trustedIps === null || IpMatcher.of(row.trustedIps).contains(clientIp);
}

function ipNotTrusted(clientIp: string): DomainError {
  return new DomainError('IpNotTrusted', `client IP ${clientIp} is not in the trusted IPs of this identity`);
}

function usesExhausted(): DomainError {
  return new DomainError('AccessTokenUsesExhausted', 'the access token has used up its number of uses: log in again');
}

export function toView(row: AccessToken): AccessTokenView {
  const { userId: _user, orgId: _org, authConfigId: _config, trustedIps: _ips, ...view } = row;
  return view;
}
