import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest. Ciphertext format: `v1.<keyId>.<iv>.<tag>.<data>` (base64url),
 * where keyId names the root key so that rotation can tell old ciphertexts from new ones.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  /** `keys[0]` encrypts; every key decrypts what was written under it. */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    for (const key of keys) {
      if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
      this.keys.set(SecretBox.keyId(key), key);
    }
    this.currentId = SecretBox.keyId(keys[0]);
  }

  static keyId(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws when the ciphertext was tampered with or written under an unknown key. */
  decrypt(ciphertext: string, associatedData = ''): string {
    const [version, keyId, iv, tag, data] = ciphertext.split('.');
    const key = this.keys.get(keyId);
    if (version !== VERSION || !key || !iv || !tag || data === undefined) {
      throw new Error('ciphertext is malformed or was written under an unknown key');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  isCurrent(ciphertext: string): boolean {
    return ciphertext.split('.')[1] === this.currentId;
  }
}
