import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, type Repository } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import type { Principal } from '../common/auth/principal.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { EntityStatements, type Write } from '../database/statements.js';
import { AccessToken, type AuthMethod, type TokenSubject } from './access-token.entity.js';
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

/** Tokens seen alive, by id: only their fixed fields (owner, auth method, config) are read from here. */
const LIVE_TOKEN_CACHE_SIZE = 10_000;

/** Issues, renews, authenticates and revokes access tokens; one row per token, never the token. */
@Injectable()
export class AccessTokensService {
  private readonly sql: EntityStatements<AccessToken>;
  private readonly byIdSql: string;
  private readonly countUseSql: string;
  private readonly usageSql: string;
  private readonly authConfigColumn: string;
  private readonly live = new Map<string, AccessToken>();

  constructor(
    @InjectRepository(AccessToken) private readonly repo: Repository<AccessToken>,
    private readonly codec: TokenCodec,
    private readonly registry: AuthMethodRegistry,
    private readonly limiter: RateLimiterService,
  ) {
    this.sql = new EntityStatements(repo);
    const c = (property: keyof AccessToken & string): string => this.sql.column(property);
    this.byIdSql = `${c('id')} = ?`;
    this.authConfigColumn = `${this.sql.table}.${c('authConfigId')}`;
    this.usageSql = `SELECT ${c('authMethod')}, ${c('expiresAt')}, ${c('numUses')}, ${c('numUsesLimit')} FROM ${this.sql.table} WHERE ${this.byIdSql}`;
    // docs/api.md "Access tokens": the use is counted atomically, so exactly `limit` uses succeed.
    this.countUseSql =
      `UPDATE ${this.sql.table} SET ${c('numUses')} = ${c('numUses')} + 1, ${c('lastUsedAt')} = ? ` +
      `WHERE ${c('id')} = ? AND ${c('revokedAt')} IS NULL AND (${c('numUsesLimit')} = 0 OR ${c('numUses')} < ${c('numUsesLimit')})`;
  }

  async issue(input: IssueTokenInput): Promise<IssuedToken> {
    return (await this.issueWith(input, [])).issued;
  }

  /**
   * issue(), committing `alongside` (the login's audit row) in the same transaction as the token
   * row: one commit instead of two. Should that transaction fail, the token row is written alone
   * (or the error thrown) and `alongsideWritten` is false: the caller writes its rows its own way.
   */
  async issueWith(input: IssueTokenInput, alongside: Write[]): Promise<{ issued: IssuedToken; alongsideWritten: boolean }> {
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
    // The signature is computed in the thread pool meanwhile; a failed insert discards it.
    const [issued, alongsideWritten] = await Promise.all([this.sign(row, iat, exp), this.store(row, alongside)]);
    return { issued, alongsideWritten };
  }

  private async store(row: AccessToken, alongside: Write[]): Promise<boolean> {
    if (alongside.length === 0) {
      await this.sql.insert(row);
      return false;
    }
    try {
      await this.sql.writeTogether([this.sql.insertOf(row), ...alongside]);
      return true;
    } catch {
      await this.sql.insert(row);
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
    await this.repo.update({ id: row.id }, { expiresAt: new Date(exp * 1000), lastRenewedAt: new Date(now) });
    return this.sign(row, iat, exp);
  }

  /**
   * The bearer check of every authenticated request; the use is counted last. A token already
   * seen alive skips the read of its row: the UPDATE that counts the use also refuses a revoked
   * row, and only then is the row read, to say why (revoked, or out of uses).
   */
  async authenticate(token: string, clientIp: string): Promise<Principal> {
    const claims = await this.verifyBearer(token, clientIp);
    const known = this.live.get(claims.jti);
    if (known && (await this.countKnownUse(known, clientIp))) return principalOf(known);
    const row = known ?? (await this.loadUnrevoked(claims.jti));
    if (!(await this.ipTrusted(row, clientIp))) {
      // Revocation is reported before the IP, as when the row has just been read.
      if (known) await this.loadUnrevoked(row.id);
      throw ipNotTrusted(clientIp);
    }
    const counted = await this.sql.execute(this.countUseSql, [this.sql.param('lastUsedAt', new Date()), row.id]);
    if (!counted) {
      await this.loadUnrevoked(row.id);
      throw usesExhausted();
    }
    if (!known) this.remember(row);
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

  /**
   * The common case in one statement: a token seen alive, a client IP inside the trusted IPs last
   * read for it, and the use counted only if those are still current (and the token unrevoked,
   * with uses left). False when anything is off; authenticate() then reads and says what.
   */
  private async countKnownUse(row: AccessToken, clientIp: string): Promise<boolean> {
    const policy = this.registry.get(row.authMethod);
    if (!policy) return (await this.sql.execute(this.countUseSql, [this.sql.param('lastUsedAt', new Date()), row.id])) === 1;
    const last = policy.lastTrustedIps(row, this.authConfigColumn);
    if (!last || (last.matcher && !last.matcher.contains(clientIp))) return false;
    return (await this.sql.execute(`${this.countUseSql} AND ${last.condition}`, [this.sql.param('lastUsedAt', new Date()), row.id, ...last.params])) === 1;
  }

  /** Public revocation by token: needs a valid signature, accepts an expired token. */
  async revokeByToken(token: string): Promise<AccessToken> {
    const claims = await this.codec.verify(token, true);
    const row = await this.repo.findOneBy({ id: claims.jti });
    if (!row) throw new DomainError('InvalidAccessToken', 'the access token is invalid');
    if (!row.revokedAt) await this.revoke(row.id);
    return row;
  }

  async revoke(id: string): Promise<void> {
    await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** What `token/self` shows of a token: one narrow read, after the guard counted the use. */
  async usage(id: string): Promise<Pick<AccessToken, 'authMethod' | 'expiresAt' | 'numUses' | 'numUsesLimit'> | null> {
    const [raw] = await this.sql.rows(this.usageSql, [id]);
    if (!raw) return null;
    const value = <K extends keyof AccessToken & string>(property: K): AccessToken[K] => this.sql.value(raw, property) as AccessToken[K];
    return { authMethod: value('authMethod'), expiresAt: value('expiresAt'), numUses: value('numUses'), numUsesLimit: value('numUsesLimit') };
  }

  async findById(id: string): Promise<AccessToken | null> {
    const [row] = await this.sql.select(this.byIdSql, [id]);
    return row ?? null;
  }

  async find(identityId: string, tokenId: string): Promise<AccessTokenView> {
    const row = await this.repo.findOneBy({ id: tokenId, identityId });
    if (!row) throw new DomainError('AccessTokenNotFound', 'access token not found');
    return toView(row);
  }

  async listForIdentity(identityId: string, offset: number, limit: number): Promise<{ accessTokens: AccessTokenView[]; totalCount: number }> {
    const [rows, totalCount] = await this.repo.findAndCount({ where: { identityId }, order: { createdAt: 'DESC', id: 'ASC' }, skip: offset, take: limit });
    return { accessTokens: rows.map(toView), totalCount };
  }

  /** Revokes every live token matching `where` (in `manager`'s transaction when given). */
  async revokeWhere(where: Partial<Pick<AccessToken, 'identityId' | 'authConfigId' | 'userId'>>, manager?: EntityManager): Promise<number> {
    const result = await (manager ?? this.repo.manager).update(AccessToken, { ...where, revokedAt: IsNull() }, { revokedAt: new Date() });
    return result.affected ?? 0;
  }

  /** Ends every session of a user except `keepTokenId` (after a password change). */
  async revokeOtherSessions(userId: string, keepTokenId: string): Promise<number> {
    const result = await this.repo
      .createQueryBuilder()
      .update(AccessToken)
      .set({ revokedAt: new Date() })
      .where('userId = :userId AND id <> :keep AND revokedAt IS NULL', { userId, keep: keepTokenId })
      .execute();
    return result.affected ?? 0;
  }

  private async loadUnrevoked(id: string): Promise<AccessToken> {
    const row = await this.findById(id);
    // A row purged by housekeeping belongs to a token that can no longer be valid.
    if (!row || row.revokedAt) {
      this.live.delete(id);
      throw new DomainError('AccessTokenRevoked', 'the access token has been revoked: log in again');
    }
    return row;
  }

  private remember(row: AccessToken): void {
    this.live.set(row.id, row);
    if (this.live.size > LIVE_TOKEN_CACHE_SIZE) this.live.delete(this.live.keys().next().value as string);
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
