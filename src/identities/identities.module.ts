import { Module } from '@nestjs/common';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesService } from './identities.service.js';
import { IdentityHooks } from './identity-hooks.js';
import { IdentityRepository } from './identity.repository.js';

@Module({
  controllers: [IdentitiesController],
  providers: [IdentityRepository, IdentitiesService, IdentityHooks],
  exports: [IdentitiesService, IdentityHooks, IdentityRepository],
})
export class IdentitiesModule {}
