import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import { EntityStatements, type Write } from '../database/statements.js';
import { type ActorType, AuditLog, type AuditOutcome } from './audit-log.entity.js';

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

/** Appends audit rows. Writing one never fails the request it describes: errors are logged. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly sql: EntityStatements<AuditLog>;

  constructor(@InjectRepository(AuditLog) repo: Repository<AuditLog>) {
    this.sql = new EntityStatements(repo);
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.sql.insert(rowOf(entry));
    } catch (error) {
      this.logger.error({ event: entry.event, err: (error as Error).message }, 'could not write audit row');
    }
  }

  /**
   * The INSERT of `entry`'s row, for a caller that commits it with its own write (one commit
   * instead of two). That caller falls back to record() when the shared write fails, so that
   * writing the audit row never fails the request it describes.
   */
  writeOf(entry: AuditEntry): Write {
    return this.sql.insertOf(rowOf(entry));
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
