import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Identity } from '../identities/identity.entity';
import { User } from '../users/user.entity';
import { MembershipsController } from './memberships.controller';
import { MembershipsService } from './memberships.service';
import { OrgAccessService } from './org-access.service';
import { OrgMembership } from './org-membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

/** Global so every feature can authorize against organization roles through OrgAccessService. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Organization, OrgMembership, Identity, User])],
  controllers: [OrganizationsController, MembershipsController],
  providers: [OrganizationsService, OrgAccessService, MembershipsService],
  exports: [OrganizationsService, OrgAccessService],
})
export class OrganizationsModule {}
