import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Identity } from '../identities/identity.entity';
import { OrgAccessService } from './org-access.service';
import { OrgMembership } from './org-membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

/** Global so every feature can authorize against organization roles through OrgAccessService. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Organization, OrgMembership, Identity])],
  controllers: [OrganizationsController],
  providers: [OrganizationsService, OrgAccessService],
  exports: [OrganizationsService, OrgAccessService],
})
export class OrganizationsModule {}
