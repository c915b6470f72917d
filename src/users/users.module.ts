import { Module } from '@nestjs/common';
import { AccessTokensModule } from '../access-tokens/access-tokens.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';
import { InstanceStateRepository } from './instance-state.repository.js';
import { TokenSelfController } from './token-self.controller.js';
import { TokenSelfService } from './token-self.service.js';
import { UserRepository } from './user.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [AccessTokensModule, IdentitiesModule],
  controllers: [AccountsController, TokenSelfController],
  providers: [UserRepository, InstanceStateRepository, UsersService, AccountsService, TokenSelfService],
  exports: [UsersService, UserRepository],
})
export class UsersModule {}
