import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenGuard } from './access-token.guard';
import { AccessToken } from './access-token.entity';
import { AccessTokensService } from './access-tokens.service';
import { AuthMethodRegistry } from './auth-method-registry';
import { IdentitiesModule } from '../identities/identities.module';
import { IdentityTokensController } from './identity-tokens.controller';
import { IdentityTokensService } from './identity-tokens.service';
import { JwksController } from './jwks.controller';
import { SigningKeyRotationService } from './signing-key-rotation.service';
import { SigningKey } from './signing-key.entity';
import { SigningKeysController } from './signing-keys.controller';
import { SigningKeysService } from './signing-keys.service';
import { TokenCodec } from './token-codec';
import { TokenController } from './token.controller';

@Module({
  imports: [TypeOrmModule.forFeature([AccessToken, SigningKey]), IdentitiesModule],
  controllers: [JwksController, TokenController, IdentityTokensController, SigningKeysController],
  providers: [SigningKeysService, SigningKeyRotationService, IdentityTokensService, TokenCodec, AccessTokensService, AuthMethodRegistry, { provide: APP_GUARD, useClass: AccessTokenGuard }],
  exports: [AccessTokensService, AuthMethodRegistry, SigningKeysService],
})
export class AccessTokensModule {}
