import { Module } from '@nestjs/common';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

/** The ES256 key set, on its own so that JwtModule's options can be built from it (access-tokens.module.ts). */
@Module({
  providers: [SigningKeyRepository, SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}
