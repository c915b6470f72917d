import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningKey } from './signing-key.entity.js';
import { SigningKeysService } from './signing-keys.service.js';

/** The ES256 key set, on its own so that JwtModule's options can be built from it (access-tokens.module.ts). */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}
