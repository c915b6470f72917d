import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './app-config.js';
import { SecretBox } from '../common/crypto/secret-box.js';
import { resolveEncryptionKey } from '../common/crypto/encryption-key.js';

/** Validated configuration and the secrets-at-rest box, available everywhere. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: SecretBox,
          useFactory: () => {
            const { key, warning } = resolveEncryptionKey(config);
            if (warning) new Logger('Encryption').warn(warning);
            const previous = config.encryptionKeyPrevious ? [Buffer.from(config.encryptionKeyPrevious, 'base64')] : [];
            return new SecretBox([key, ...previous]);
          },
        },
      ],
      exports: [APP_CONFIG, SecretBox],
    };
  }
}
