import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { OrgAccessService } from '../organizations/org-access.service.js';
import { AccessTokenRepository } from './access-token.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

const RECENT_MS = 7 * 24 * 3600 * 1000;

/** `POST /api/v1/admin/signing-keys/rotate` (super admins). */
@Injectable()
export class SigningKeyRotationService {
  constructor(
    private readonly tokens: AccessTokenRepository,
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
    const { latestExpiry, longestTtl } = await this.tokens.lifetimes(now, new Date(now.getTime() - RECENT_MS));
    return new Date(Math.max(latestExpiry?.getTime() ?? 0, now.getTime() + longestTtl * 1000));
  }
}
