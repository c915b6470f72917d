import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { ActorType, AuditLog, AuditOutcome } from './audit-log.entity.js';
import { AuditLogRepository } from './audit-log.repository.js';

export interface AuditEntry {
  event: string;
  outcome: AuditOutcome;
  orgId: string | null;
  actor: Principal | { kind: 'anonymous' } | { kind: 'user'; userId: string };
  identityId?: string | null;
  errorCode?: ErrorCode | null;
  client?: ClientInfo;
  /** Names and non-secret values only (changed field names, ids, service-account names). */
  metadata?: Record<string, unknown>;
}

/**
 * Appends audit rows. Writing one never fails the request it describes: errors are logged. With
 * AUDIT_LOG_STDOUT every row is also written to stdout as one JSON line (`"type":"audit"`), once
 * its transaction has committed, for a SIEM that tails the container's output.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly repo: AuditLogRepository,
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.insert(entry);
    } catch (error) {
      this.logger.error({ event: entry.event, err: (error as Error).message }, 'could not write audit row');
    }
  }

  /**
   * Writes `entry`'s row and lets a failure through, for a caller that commits it in its own unit
   * of work (one commit instead of two). That caller falls back to record() when the shared
   * transaction fails, so that writing the audit row never fails the request it describes.
   */
  async write(entry: AuditEntry): Promise<void> {
    await this.insert(entry);
  }

  private async insert(entry: AuditEntry): Promise<void> {
    const row = rowOf(entry);
    await this.repo.insert(row);
    if (this.config.auditLogStdout) this.uow.afterCommit(() => process.stdout.write(`${JSON.stringify({ type: 'audit', ...row, createdAt: row.createdAt.toISOString() })}\n`));
  }
}

function rowOf(entry: AuditEntry): Omit<AuditLog, 'id'> {
  const { actorType, actorId } = actorOf(entry.actor);
  return {
    orgId: entry.orgId,
    actorType,
    actorId,
    identityId: entry.identityId ?? null,
    event: entry.event,
    outcome: entry.outcome,
    errorCode: entry.errorCode ?? null,
    ip: entry.client?.ip ?? null,
    userAgent: entry.client?.userAgent ?? null,
    metadata: (entry.metadata ?? {}) as Record<string, string>,
    createdAt: new Date(),
  };
}

function actorOf(actor: AuditEntry['actor']): { actorType: ActorType; actorId: string | null } {
  if (actor.kind === 'identity') return { actorType: 'identity', actorId: actor.identityId };
  if (actor.kind === 'user') return { actorType: 'user', actorId: actor.userId };
  return { actorType: 'anonymous', actorId: null };
}
