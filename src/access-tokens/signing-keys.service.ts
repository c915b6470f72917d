import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { SecretBox } from '../common/crypto/secret-box';
import { SigningKey } from './signing-key.entity';

const generateKeyPairAsync = promisify(generateKeyPair);
const RELOAD_INTERVAL_MS = 5000;

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Record<string, string>;
  createdAt: Date;
}

/**
 * ES256 signing keys: generated on first start, private key encrypted at rest, imported once
 * and kept in memory. Keys another replica created are picked up when an unknown `kid` shows up.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey | undefined;
  private lastReload = 0;

  constructor(
    @InjectRepository(SigningKey) private readonly repo: Repository<SigningKey>,
    private readonly secretBox: SecretBox,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (!this.active) {
      await this.createKey();
      await this.reload();
    }
  }

  /** The key new tokens are signed with (the newest active one). */
  current(): LoadedKey {
    if (!this.active) throw new Error('no signing key loaded');
    return this.active;
  }

  /** The public key for a `kid`, or undefined when no active key has it. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known) return known.publicKey;
    if (Date.now() - this.lastReload < RELOAD_INTERVAL_MS) return undefined;
    await this.reload();
    return this.keys.get(kid)?.publicKey;
  }

  jwks(): { keys: Record<string, string>[] } {
    return { keys: [...this.keys.values()].map((k) => ({ ...k.publicJwk, kid: k.kid, alg: 'ES256', use: 'sig' })) };
  }

  async createKey(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const thumbprint = createHash('sha256')
      .update(JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }))
      .digest('base64url');
    const kid = thumbprint.slice(0, 16);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await this.repo.insert({
      kid,
      algorithm: 'ES256',
      publicJwk,
      privateKeyEncrypted: this.secretBox.encrypt(pem, `signing-key:${kid}`),
      createdAt: new Date(),
      retiredAt: null,
    });
    this.logger.log(`created signing key ${kid}`);
    return kid;
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.repo.find({ where: { retiredAt: IsNull() }, order: { createdAt: 'ASC' } });
    const keys = new Map<string, LoadedKey>();
    for (const row of rows) {
      const existing = this.keys.get(row.kid);
      if (existing) {
        keys.set(row.kid, existing);
        continue;
      }
      const privateKey = createPrivateKey(this.secretBox.decrypt(row.privateKeyEncrypted, `signing-key:${row.kid}`));
      keys.set(row.kid, { kid: row.kid, privateKey, publicKey: createPublicKey(privateKey), publicJwk: row.publicJwk, createdAt: row.createdAt });
    }
    this.keys = keys;
    this.active = [...keys.values()].at(-1);
  }
}
