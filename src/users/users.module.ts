import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokensModule } from '../access-tokens/access-tokens.module';
import { IdentitiesModule } from '../identities/identities.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { InstanceState } from './instance-state.entity';
import { TokenSelfController } from './token-self.controller';
import { TokenSelfService } from './token-self.service';
import { User } from './user.entity';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, InstanceState]), AccessTokensModule, IdentitiesModule],
  controllers: [AccountsController, TokenSelfController],
  providers: [UsersService, AccountsService, TokenSelfService],
  exports: [UsersService],
})
export class UsersModule {}
