import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { IdentitiesService } from '../identities/identities.service.js';
import { IdentityHooks } from '../identities/identity-hooks.js';
import { AccessTokensService, type AccessTokenView } from './access-tokens.service.js';

/** Org admins' view of an identity's tokens: list, revoke one, revoke all. */
@Injectable()
export class IdentityTokensService implements OnModuleInit {
  constructor(
    private readonly tokens: AccessTokensService,
    private readonly identities: IdentitiesService,
    private readonly hooks: IdentityHooks,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    // Deleting an identity revokes every token it holds, in the deletion's transaction.
    this.hooks.registerDeleteHook((identityId) => this.tokens.revokeWhere({ identityId }));
  }

  async list(principal: Principal, identityId: string, offset: number, limit: number): Promise<{ accessTokens: AccessTokenView[]; totalCount: number }> {
    await this.identities.authorize(principal, identityId, 'admin');
    return this.tokens.listForIdentity(identityId, offset, limit);
  }

  async revokeOne(principal: Principal, identityId: string, tokenId: string, client: ClientInfo): Promise<AccessTokenView> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const token = await this.tokens.find(identityId, tokenId);
    if (!token.revokedAt) {
      await this.tokens.revoke(tokenId);
      await this.audit.record({ event: 'access-token.revoked', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { tokenId } });
    }
    return this.tokens.find(identityId, tokenId);
  }

  async revokeAll(principal: Principal, identityId: string, client: ClientInfo): Promise<number> {
    const identity = await this.identities.authorize(principal, identityId, 'admin');
    const revokedCount = await this.tokens.revokeWhere({ identityId });
    await this.audit.record({ event: 'access-token.revoked-all', outcome: 'success', orgId: identity.orgId, identityId, actor: principal, client, metadata: { revokedCount } });
    return revokedCount;
  }
}
