import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentitiesController } from './identities.controller';
import { IdentitiesService } from './identities.service';
import { IdentityHooks } from './identity-hooks';
import { Identity } from './identity.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Identity])],
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentityHooks],
  exports: [IdentitiesService, IdentityHooks],
})
export class IdentitiesModule {}
