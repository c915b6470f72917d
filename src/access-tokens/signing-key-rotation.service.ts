import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import { AccessToken } from './access-token.entity.js';
import { SigningKeysService } from './signing-keys.service.js';

const RECENT_MS = 7 * 24 * 3600 * 1000;

/** `POST /api/v1/admin/signing-keys/rotate` (super admins). */
@Injectable()
export class SigningKeyRotationService {
  constructor(
    @InjectRepository(AccessToken) private readonly tokens: Repository<AccessToken>,
    private readonly keys: SigningKeysService,
    private readonly access: OrgAccessService,
    private readonly audit: AuditService,
  ) {}

  async rotate(principal: Principal, client: ClientInfo): Promise<{ kid: string; previousKid: string | null; previousRetiresAt: Date | null }> {
    await this.access.assertSuperAdmin(principal);
    const result = await this.keys.rotate(await this.lastPossibleExpiry());
    await this.audit.record({ event: 'signing-key.rotated', outcome: 'success', orgId: null, actor: principal, client, metadata: { kid: result.kid, previousKid: result.previousKid } });
    return result;
  }

  /**
   * The old key may have signed: every live token (until its current expiry), and tokens another
   * replica issues before it notices the rotation (now + the longest TTL seen lately).
   */
  private async lastPossibleExpiry(): Promise<Date> {
    const now = new Date();
    const live = await this.tokens
      .createQueryBuilder('t')
      .select('MAX(t.expiresAt)', 'maxExpiresAt')
      .where('t.revokedAt IS NULL AND t.expiresAt > :now', { now })
      .getRawOne<{ maxExpiresAt: string | Date | null }>();
    const recent = await this.tokens
      .createQueryBuilder('t')
      .select('MAX(t.ttl)', 'maxTtl')
      .where('t.createdAt > :since', { since: new Date(now.getTime() - RECENT_MS) })
      .getRawOne<{ maxTtl: number | string | null }>();
    const liveUntil = live?.maxExpiresAt ? parseDate(live.maxExpiresAt) : 0;
    const newUntil = now.getTime() + Number(recent?.maxTtl ?? 0) * 1000;
    return new Date(Math.max(liveUntil, newUntil));
  }
}

/** Raw MAX() of a datetime: a Date from mysql2, a 'YYYY-MM-DD HH:MM:SS.SSS' UTC string from SQLite. */
function parseDate(value: string | Date): number {
  if (value instanceof Date) return value.getTime();
  return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`).getTime();
}
