import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import type { Principal } from '../common/auth/principal.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { CoalescedWrites } from '../database/coalesced-writes.js';
import { GroupCommit } from '../database/group-commit.js';
import type { AccessToken, AuthMethod, TokenSubject } from './access-token.entity.js';
import { AccessTokenRepository, type TokenOwner, type TokenUses } from './access-token.repository.js';
import { AuthMethodRegistry } from './auth-method-registry.js';
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

/** Issues, renews, authenticates and revokes access tokens; one row per token, never the token. */
@Injectable()
export class AccessTokensService implements OnModuleDestroy {
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
    private readonly registry: AuthMethodRegistry,
    private readonly limiter: RateLimiterService,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.uses.flush();
  }

  async issue(input: IssueTokenInput): Promise<IssuedToken> {
    return (await this.issueWith(input)).issued;
  }

  /**
   * issue(), running `alongside` (the login's audit write) in the same unit of work as the token
   * row: one commit instead of two. Should that transaction fail, the token row is written alone
   * (or the error thrown) and `alongsideWritten` is false: the caller writes its rows its own way.
   */
  async issueWith(input: IssueTokenInput, alongside?: () => Promise<void>): Promise<{ issued: IssuedToken; alongsideWritten: boolean }> {
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
    };
    const [issued, alongsideWritten] = await Promise.all([this.sign(row, iat, exp), this.store(row, alongside)]);
    return { issued, alongsideWritten };
  }

  /** The row commits with those of concurrent logins (group commit); the answer waits for that commit. */
  private async store(row: AccessToken, alongside?: () => Promise<void>): Promise<boolean> {
    if (!alongside) {
      await this.commits.submit(() => this.tokens.insert(row));
      return false;
    }
    try {
      await this.commits.submit(async () => {
        await this.tokens.insert(row);
        await alongside();
      });
      return true;
    } catch {
      await this.tokens.insert(row);
      return false;
    }
  }

  /** docs/api.md "Access tokens": renewal checks in their documented order. */
  async renew(token: string, clientIp: string): Promise<IssuedToken> {
    const claims = await this.codec.verify(token, true);
    const row = await this.loadUnrevoked(claims.jti);
    const now = Date.now();
    if (claims.exp * 1000 <= now) throw new DomainError('AccessTokenExpired', 'the access token has expired and cannot be renewed: log in again');
    const maxExp = seconds(row.maxExpiresAt.getTime());
    if (claims.exp >= maxExp) throw new DomainError('AccessTokenMaxTtlReached', 'the access token reached its maximum lifetime: log in again');
    await this.checkTrustedIp(row, clientIp);
    if (row.numUsesLimit > 0 && row.numUses >= row.numUsesLimit) throw usesExhausted();
    const iat = seconds(now);
    const exp = Math.min(iat + row.ttl, maxExp);
    await this.tokens.renewed(row.id, new Date(exp * 1000), new Date(now));
    return this.sign(row, iat, exp);
  }

  /**
   * The bearer check of every authenticated request, in the documented order: signature and
   * `exp`, revocation (one read of the row), trusted IP, then the use: counted atomically for a
   * token with a use limit (group commit), coalesced in memory for one without (no write here).
   */
  async authenticate(token: string, clientIp: string): Promise<Principal> {
    const claims = await this.verifyBearer(token, clientIp);
    const row = await this.loadUnrevoked(claims.jti);
    if (!(await this.ipTrusted(row, clientIp))) throw ipNotTrusted(clientIp);
    const now = new Date();
    if (row.numUsesLimit === 0) {
      this.uses.add(row.id, { count: 1, at: now });
    } else if (!(await this.commits.submit(() => this.tokens.countUse(row.id, now)))) {
      await this.loadUnrevoked(row.id);
      throw usesExhausted();
    }
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

  /** Public revocation by token: needs a valid signature, accepts an expired token. */
  async revokeByToken(token: string): Promise<AccessToken> {
    const claims = await this.codec.verify(token, true);
    const row = await this.tokens.findById(claims.jti);
    if (!row) throw new DomainError('InvalidAccessToken', 'the access token is invalid');
    if (!row.revokedAt) await this.revoke(row.id);
    return row;
  }

  async revoke(id: string): Promise<void> {
    await this.tokens.revokeWhere({ id });
  }

  /** What `token/self` shows of a token: one narrow read, after the guard counted the use. */
  async usage(id: string): Promise<Pick<AccessToken, 'authMethod' | 'expiresAt' | 'numUses' | 'numUsesLimit'> | null> {
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

  /** Against the auth method's *current* trusted IPs (read on every call). */
  private async ipTrusted(row: AccessToken, clientIp: string): Promise<boolean> {
    const matcher = await this.registry.get(row.authMethod)?.trustedIps(row);
    return !matcher || matcher.contains(clientIp);
  }

  private async checkTrustedIp(row: AccessToken, clientIp: string): Promise<void> {
    if (!(await this.ipTrusted(row, clientIp))) throw ipNotTrusted(clientIp);
  }

  private async sign(row: AccessToken, iat: number, exp: number): Promise<IssuedToken> {
    const claims: Omit<AccessTokenClaims, 'iss'> = { sub: (row.identityId ?? row.userId)!, jti: row.id, iat, exp, org: row.orgId, authMethod: row.authMethod };
    if (row.subject) {
      const { namespace, serviceAccountName, serviceAccountUid, podName } = row.subject;
      claims.kubernetes = { namespace, serviceAccountName, serviceAccountUid, ...(podName ? { podName } : {}) };
    }
    const accessToken = await this.codec.sign(claims);
    return { accessToken, expiresIn: exp - iat, accessTokenMaxTTL: row.maxTtl, tokenType: 'Bearer' };
  }
}

function principalOf(row: AccessToken): Principal {
  if (row.userId) return { kind: 'user', userId: row.userId, tokenId: row.id, authMethod: 'session' };
  return { kind: 'identity', identityId: row.identityId!, orgId: row.orgId!, tokenId: row.id, authMethod: row.authMethod };
}

function ipNotTrusted(clientIp: string): DomainError {
  return new DomainError('IpNotTrusted', `client IP ${clientIp} is not in the trusted IPs of this identity`);
}

function usesExhausted(): DomainError {
  return new DomainError('AccessTokenUsesExhausted', 'the access token has used up its number of uses: log in again');
}

export function toView(row: AccessToken): AccessTokenView {
  const { userId: _user, orgId: _org, authConfigId: _config, ...view } = row;
  return view;
}
