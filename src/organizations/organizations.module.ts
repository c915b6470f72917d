import { Global, Module } from '@nestjs/common';
import { IdentitiesModule } from '../identities/identities.module.js';
import { UsersModule } from '../users/users.module.js';
import { MembershipsController } from './memberships.controller.js';
import { MembershipsService } from './memberships.service.js';
import { OrgAccessService } from './org-access.service.js';
import { OrgMembershipRepository } from './org-membership.repository.js';
import { OrganizationRepository } from './organization.repository.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';

/** Global so every feature can authorize against organization roles through OrgAccessService. */
@Global()
@Module({
  imports: [IdentitiesModule, UsersModule],
  controllers: [OrganizationsController, MembershipsController],
  providers: [OrganizationRepository, OrgMembershipRepository, OrganizationsService, OrgAccessService, MembershipsService],
  exports: [OrganizationsService, OrgAccessService],
})
export class OrganizationsModule {}
