import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokensModule } from '../access-tokens/access-tokens.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';
import { InstanceState } from './instance-state.entity.js';
import { TokenSelfController } from './token-self.controller.js';
import { TokenSelfService } from './token-self.service.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, InstanceState]), AccessTokensModule, IdentitiesModule],
  controllers: [AccountsController, TokenSelfController],
  providers: [UsersService, AccountsService, TokenSelfService],
  exports: [UsersService],
})
export class UsersModule {}
