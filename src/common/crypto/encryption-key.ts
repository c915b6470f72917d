import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/app-config.js';

export interface ResolvedKey {
  key: Buffer;
  /** Set when the key was generated or read from DATA_DIR: the caller logs it as a warning. */
  warning?: string;
}

/**
 * The root key for secrets at rest: ENCRYPTION_KEY, or (outside production only) a key generated
 * once into DATA_DIR/encryption.key with mode 0600. Runs at boot, so synchronous I/O is fine.
 */
export function resolveEncryptionKey(config: AppConfig): ResolvedKey {
  if (config.encryptionKey) return { key: Buffer.from(config.encryptionKey, 'base64') };
  if (config.production) throw new Error('ENCRYPTION_KEY is required when NODE_ENV=production');
  const file = join(config.dataDir, 'encryption.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return { key, warning: `using the development encryption key in ${file}; set ENCRYPTION_KEY in production` };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, warning: `ENCRYPTION_KEY is not set: generated a development key into ${file}; set ENCRYPTION_KEY in production` };
}
