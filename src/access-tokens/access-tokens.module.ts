import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG } from '../config/app-config.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AccessTokenRepository } from './access-token.repository.js';
import { AccessTokensService } from './access-tokens.service.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { IdentityTokensController } from './identity-tokens.controller.js';
import { IdentityTokensService } from './identity-tokens.service.js';
import { JwksController } from './jwks.controller.js';
import { SigningKeyRotationService } from './signing-key-rotation.service.js';
import { SigningKeysController } from './signing-keys.controller.js';
import { SigningKeysModule } from './signing-keys.module.js';
import { SigningKeysService } from './signing-keys.service.js';
import { jwtOptions } from './jwt-options.js';
import { TokenCodec } from './token-codec.js';
import { TokenController } from './token.controller.js';

@Module({
  imports: [
    IdentitiesModule,
    SigningKeysModule,
    JwtModule.registerAsync({ imports: [SigningKeysModule], inject: [SigningKeysService, APP_CONFIG], useFactory: jwtOptions }),
  ],
  controllers: [JwksController, TokenController, IdentityTokensController, SigningKeysController],
  providers: [AccessTokenRepository, SigningKeyRotationService, IdentityTokensService, TokenCodec, AccessTokensService, { provide: APP_GUARD, useClass: AccessTokenGuard }],
  exports: [AccessTokensService, AccessTokenRepository, SigningKeysModule],
})
export class AccessTokensModule {}
