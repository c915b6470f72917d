// `npm run rotate-encryption-key`: with ENCRYPTION_KEY set to the new root key and
// ENCRYPTION_KEY_PREVIOUS to the old one, re-encrypts every secret at rest under the new key.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { SecretBox } from '../src/common/crypto/secret-box.js';
import { resolveEncryptionKey } from '../src/common/crypto/encryption-key.js';
import { ConfigError, loadConfig } from '../src/config/config.schema.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { reencryptSecrets } from '../src/maintenance/reencrypt-secrets.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const { key } = resolveEncryptionKey(config);
  const keys = [key, ...(config.encryptionKeyPrevious ? [Buffer.from(config.encryptionKeyPrevious, 'base64')] : [])];
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    const result = await reencryptSecrets(dataSource, new SecretBox(keys));
    process.stdout.write(`re-encrypted ${result.reviewerJwts} reviewer token(s) and ${result.signingKeys} signing key(s) under the current ENCRYPTION_KEY\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `invalid configuration: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`rotate-encryption-key: ${message}\n`);
  process.exit(1);
});
