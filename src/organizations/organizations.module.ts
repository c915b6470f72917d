import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Identity } from '../identities/identity.entity.js';
import { User } from '../users/user.entity.js';
import { MembershipsController } from './memberships.controller.js';
import { MembershipsService } from './memberships.service.js';
import { OrgAccessService } from './org-access.service.js';
import { OrgMembership } from './org-membership.entity.js';
import { Organization } from './organization.entity.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';

/** Global so every feature can authorize against organization roles through OrgAccessService. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Organization, OrgMembership, Identity, User])],
  controllers: [OrganizationsController, MembershipsController],
  providers: [OrganizationsService, OrgAccessService, MembershipsService],
  exports: [OrganizationsService, OrgAccessService],
})
export class OrganizationsModule {}
