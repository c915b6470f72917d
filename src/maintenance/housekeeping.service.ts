import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AccessTokenRepository } from '../access-tokens/access-token.repository.js';
import { AuditLogRepository } from '../audit/audit-log.repository.js';
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
    private readonly tokens: AccessTokenRepository,
    private readonly auditLogs: AuditLogRepository,
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
    const accessTokens = await inBatches((batch) => this.tokens.deleteEndedBefore(new Date(now.getTime() - TOKEN_GRACE_MS), batch));
    const auditLogs = await inBatches((batch) => this.auditLogs.deleteWrittenBefore(new Date(now.getTime() - this.config.auditRetentionDays * DAY_MS), batch));
    if (accessTokens || auditLogs) this.logger.log(`housekeeping deleted ${accessTokens} token rows and ${auditLogs} audit rows`);
    return { accessTokens, auditLogs };
  }
}

/** Repeats a batched delete until a batch comes back short; the total deleted. */
async function inBatches(deleteBatch: (batch: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(BATCH);
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
