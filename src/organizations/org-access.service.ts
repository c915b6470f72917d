import { Injectable } from '@nestjs/common';
import type { OrgRoleNeeded, Principal } from '../common/auth/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { UserRepository } from '../users/user.repository.js';
import { OrgMembershipRepository } from './org-membership.repository.js';

export type EffectiveRole = 'admin' | 'viewer' | 'no-access';

/**
 * Authorization inside an organization. Outsiders get the resource's own not-found error (so ids
 * leak nothing); members without the role get 403 PermissionDenied. Users' roles come from
 * memberships, identities' from their own `role`, read fresh on every call.
 */
@Injectable()
export class OrgAccessService {
  constructor(
    private readonly memberships: OrgMembershipRepository,
    private readonly identities: IdentityRepository,
    private readonly users: UserRepository,
  ) {}

  /** Instance operators (the bootstrap user): instance audit log, signing keys. */
  async assertSuperAdmin(principal: Principal): Promise<void> {
    const isSuperAdmin =
      principal.kind === 'user' && (await this.users.isSuperAdmin(principal.userId));
    if (!isSuperAdmin) throw new DomainError('PermissionDenied', 'this action needs a super admin (the instance operator)');
  }

  /** The caller's role in `orgId`, or null when the caller does not belong to it. */
  async roleIn(principal: Principal, orgId: string): Promise<EffectiveRole | null> {
    if (principal.kind === 'identity') {
      if (principal.orgId !== orgId) return null;
      const identity = await this.identities.findById(principal.identityId);
      return identity && identity.orgId === orgId ? identity.role : null;
    }
    return this.memberships.roleOf(orgId, principal.userId);
  }

  async assertRole(principal: Principal, orgId: string, needed: OrgRoleNeeded, notFound: () => DomainError): Promise<EffectiveRole> {
    const role = await this.roleIn(principal, orgId);
    if (role === null) throw notFound();
    const allowed = needed === 'admin' ? role === 'admin' : role === 'admin' || role === 'viewer';
    if (!allowed) throw new DomainError('PermissionDenied', `this action needs the ${needed} role in the organization`);
    return role;
  }
}
