import { DataSource } from 'typeorm';
import type { TestApp } from './test-app.js';

export interface AuditRow {
  id: number;
  orgId: string | null;
  actorType: string;
  actorId: string | null;
  identityId: string | null;
  event: string;
  outcome: string;
  errorCode: string | null;
  metadata: string;
}

/** Audit rows of one identity, oldest first (read straight from the database). */
export async function auditRowsFor(t: TestApp, identityId: string): Promise<AuditRow[]> {
  const rows = (await t.app.get(DataSource).query('SELECT * FROM audit_logs WHERE identityId = ? ORDER BY id', [identityId])) as AuditRow[];
  return rows;
}
