import { Injectable } from '@nestjs/common';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import type { Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdentitiesService } from '../identities/identities.service.js';
import type { TokenSelfDto } from './dto/token-self.dto.js';
import { UsersService } from './users.service.js';

/** `GET /api/v1/auth/token/self`: who the bearer is, for identities and users alike. */
@Injectable()
export class TokenSelfService {
  constructor(
    private readonly tokens: AccessTokensService,
    private readonly identities: IdentitiesService,
    private readonly users: UsersService,
  ) {}

  async describe(principal: Principal): Promise<TokenSelfDto> {
    const token = await this.tokens.usage(principal.tokenId);
    if (!token) throw new DomainError('AccessTokenRevoked', 'the access token has been revoked');
    const common = { authMethod: token.authMethod, expiresAt: token.expiresAt, numUses: token.numUses, numUsesLimit: token.numUsesLimit };
    if (principal.kind === 'identity') {
      const identity = await this.identities.view(principal.identityId);
      if (!identity) throw new DomainError('AccessTokenRevoked', 'the identity of this token was deleted');
      return { type: 'identity', identity, organizationId: identity.organizationId, ...common };
    }
    const user = await this.users.findById(principal.userId);
    if (!user) throw new DomainError('AccessTokenRevoked', 'the user of this token was deleted');
    return { type: 'user', user, organizationId: null, ...common };
  }
}
