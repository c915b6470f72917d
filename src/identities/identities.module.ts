import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesService } from './identities.service.js';
import { IdentityHooks } from './identity-hooks.js';
import { Identity } from './identity.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([Identity])],
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentityHooks],
  exports: [IdentitiesService, IdentityHooks],
})
export class IdentitiesModule {}
