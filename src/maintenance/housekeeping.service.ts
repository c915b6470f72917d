import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityTarget, In, LessThan, type ObjectLiteral } from 'typeorm';
import { AccessToken } from '../access-tokens/access-token.entity.js';
import { AuditLog } from '../audit/audit-log.entity.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const DAY_MS = 24 * 3600 * 1000;
/** Token rows outlive their max expiry by this much, so revocations and audits can still name them. */
export const TOKEN_GRACE_MS = 7 * DAY_MS;
const BATCH = 500;
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 3600_000;

/**
 * Deletes token rows past their max expiry (plus a grace period) and audit rows older than
 * AUDIT_RETENTION_DAYS, in small batches so the tables are never locked for long. Every replica
 * runs it; the deletes are idempotent.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HousekeepingService.name);
  private timers: NodeJS.Timeout[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = (): void => {
      this.runOnce().catch((error: Error) => this.logger.warn({ err: error.message }, 'housekeeping failed; will retry'));
    };
    this.timers = [setTimeout(run, FIRST_RUN_MS).unref(), setInterval(run, INTERVAL_MS).unref()];
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  async runOnce(now = new Date()): Promise<{ accessTokens: number; auditLogs: number }> {
    const accessTokens = await this.deleteInBatches(AccessToken, 'id', { maxExpiresAt: LessThan(new Date(now.getTime() - TOKEN_GRACE_MS)) });
    const auditLogs = await this.deleteInBatches(AuditLog, 'id', { createdAt: LessThan(new Date(now.getTime() - this.config.auditRetentionDays * DAY_MS)) });
    if (accessTokens || auditLogs) this.logger.log(`housekeeping deleted ${accessTokens} token rows and ${auditLogs} audit rows`);
    return { accessTokens, auditLogs };
  }

  private async deleteInBatches<T extends ObjectLiteral>(entity: EntityTarget<T>, key: string, where: Record<string, unknown>): Promise<number> {
    const repo = this.dataSource.getRepository(entity);
    let total = 0;
    for (;;) {
      const rows = await repo.find({ where: where as never, select: { [key]: true } as never, take: BATCH });
      if (rows.length === 0) return total;
      const result = await repo.delete({ [key]: In(rows.map((row) => row[key])) } as never);
      total += result.affected ?? rows.length;
      if (rows.length < BATCH) return total;
    }
  }
}
