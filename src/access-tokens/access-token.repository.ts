import { Injectable } from '@nestjs/common';
import { IsNull, LessThan, MoreThan, Not } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AccessToken } from './access-token.entity.js';

/** Uses counted in memory for one token (tokens without a use limit). */
export interface TokenUses {
  count: number;
  at: Date;
}

/** Whose tokens: an identity's, a config's, a user's. */
export type TokenOwner = { identityId: string } | { authConfigId: string } | { userId: string };

/** The `access_tokens` table: one row per issued token (never the token itself). */
@Injectable()
export class AccessTokenRepository extends TableRepository<AccessToken> {
  constructor(uow: UnitOfWork) {
    super(uow, AccessToken);
  }

  private byIdSql?: string;
  private countUseSql?: string;

  /** Hot path (every login): one INSERT written once. */
  insert(row: AccessToken): Promise<void> {
    return this.insertRow(row);
  }

  /** Hot path (every bearer check): the whole row by id. */
  async findById(id: string): Promise<AccessToken | null> {
    this.byIdSql ??= this.selectAllSql(`${this.col('id')} = ?`);
    const [row] = await this.select(this.byIdSql, [id]);
    return (row as AccessToken | undefined) ?? null;
  }

  findOfIdentity(identityId: string, id: string): Promise<AccessToken | null> {
    return this.run((repo) => repo.findOneBy({ id, identityId }));
  }

  listOfIdentity(identityId: string, offset: number, limit: number): Promise<[AccessToken[], number]> {
    return this.run((repo) => repo.findAndCount({ where: { identityId }, order: { createdAt: 'DESC', id: 'ASC' }, skip: offset, take: limit }));
  }

  /** What `token/self` shows of a token. */
  usage(id: string): Promise<Pick<AccessToken, 'authMethod' | 'expiresAt' | 'numUses' | 'numUsesLimit'> | null> {
    return this.run((repo) => repo.findOne({ where: { id }, select: { id: true, authMethod: true, expiresAt: true, numUses: true, numUsesLimit: true } }));
  }

  /**
   * Counts one use, atomically: only an unrevoked token with uses left is counted, so exactly
   * `numUsesLimit` uses succeed under any concurrency and across replicas. False when none was counted.
   */
  async countUse(id: string, at: Date): Promise<boolean> {
    const c = (p: keyof AccessToken & string): string => this.col(p);
    this.countUseSql ??=
      `UPDATE ${this.table} SET ${c('numUses')} = ${c('numUses')} + 1, ${c('lastUsedAt')} = ? ` +
      `WHERE ${c('id')} = ? AND ${c('revokedAt')} IS NULL AND (${c('numUsesLimit')} = 0 OR ${c('numUses')} < ${c('numUsesLimit')})`;
    return (await this.execute(this.countUseSql, [this.param('lastUsedAt', at), id])) === 1;
  }

  /** Adds coalesced uses (tokens without a use limit), all in one transaction. */
  async addUses(uses: Map<string, TokenUses>): Promise<void> {
    await this.uow.transaction(async () => {
      for (const [id, { count, at }] of uses) {
        await this.run((repo) => repo.createQueryBuilder().update().set({ numUses: () => 'numUses + :count', lastUsedAt: at }).where('id = :id', { id }).setParameter('count', count).execute());
      }
    });
  }

  /** Gives the live tokens of a config its new trusted IPs (joining the caller's unit of work, if any). */
  async setTrustedIps(authConfigId: string, trustedIps: string[]): Promise<void> {
    await this.run((repo) => repo.update({ authConfigId, revokedAt: IsNull() }, { trustedIps }));
  }

  async renewed(id: string, expiresAt: Date, at: Date): Promise<void> {
    await this.run((repo) => repo.update({ id }, { expiresAt, lastRenewedAt: at }));
  }

  /** Revokes the live tokens matching `owner` (joining the caller's unit of work, if any). */
  async revokeWhere(owner: TokenOwner | { id: string }): Promise<number> {
    const result = await this.run((repo) => repo.update({ ...owner, revokedAt: IsNull() }, { revokedAt: new Date() }));
    return result.affected ?? 0;
  }

  async revokeSessionsExcept(userId: string, keepId: string): Promise<number> {
    const result = await this.run((repo) => repo.update({ userId, id: Not(keepId), revokedAt: IsNull() }, { revokedAt: new Date() }));
    return result.affected ?? 0;
  }

  /** The latest expiry of a live token, and the longest TTL issued since `since` (key rotation). */
  async lifetimes(now: Date, since: Date): Promise<{ latestExpiry: Date | null; longestTtl: number }> {
    return this.run(async (repo) => {
      const latest = await repo.findOne({ where: { revokedAt: IsNull(), expiresAt: MoreThan(now) }, order: { expiresAt: 'DESC' }, select: { id: true, expiresAt: true } });
      const longest = await repo.findOne({ where: { createdAt: MoreThan(since) }, order: { ttl: 'DESC' }, select: { id: true, ttl: true } });
      return { latestExpiry: latest?.expiresAt ?? null, longestTtl: longest?.ttl ?? 0 };
    });
  }

  /** Deletes up to `batch` rows whose max lifetime ended before `before`; the number deleted. */
  deleteEndedBefore(before: Date, batch: number): Promise<number> {
    return this.deleteBatch('id', { maxExpiresAt: LessThan(before) }, batch);
  }
}
