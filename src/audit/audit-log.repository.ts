import { Injectable } from '@nestjs/common';
import { In, LessThan } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AuditLog } from './audit-log.entity.js';

export interface AuditSearch {
  /** null: instance events (no organization). */
  orgId: string | null;
  event?: string;
  identityId?: string;
  actorId?: string;
  outcome?: string;
  startDate?: Date;
  endDate?: Date;
  offset: number;
  limit: number;
}

/** The `audit_logs` table: append-only, read newest first, pruned by age. */
@Injectable()
export class AuditLogRepository extends TableRepository<AuditLog> {
  constructor(uow: UnitOfWork) {
    super(uow, AuditLog);
  }

  async insert(row: Omit<AuditLog, 'id'>): Promise<void> {
    // metadata holds strings and string lists (names, ids): JSON either way.
    await this.run((repo) => repo.insert({ ...row, metadata: row.metadata as Record<string, string> }));
  }

  search(q: AuditSearch): Promise<[AuditLog[], number]> {
    return this.run((repo) => {
      const qb = repo.createQueryBuilder('a');
      if (q.orgId === null) qb.where('a.orgId IS NULL');
      else qb.where('a.orgId = :orgId', { orgId: q.orgId });
      if (q.event) qb.andWhere('a.event = :event', { event: q.event });
      if (q.identityId) qb.andWhere('a.identityId = :identityId', { identityId: q.identityId });
      if (q.actorId) qb.andWhere('a.actorId = :actorId', { actorId: q.actorId });
      if (q.outcome) qb.andWhere('a.outcome = :outcome', { outcome: q.outcome });
      if (q.startDate) qb.andWhere('a.createdAt >= :startDate', { startDate: q.startDate });
      if (q.endDate) qb.andWhere('a.createdAt <= :endDate', { endDate: q.endDate });
      return qb.orderBy('a.createdAt', 'DESC').addOrderBy('a.id', 'DESC').skip(q.offset).take(q.limit).getManyAndCount();
    });
  }

  /** Deletes up to `batch` rows written before `before`; the number deleted. */
  async deleteWrittenBefore(before: Date, batch: number): Promise<number> {
    return this.run(async (repo) => {
      const rows = await repo.find({ where: { createdAt: LessThan(before) }, select: { id: true }, take: batch });
      if (rows.length === 0) return 0;
      await repo.delete({ id: In(rows.map((row) => row.id)) });
      return rows.length;
    });
  }
}
