import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box.js';
import { SigningKeyRepository } from './signing-key.repository.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Binds a private-key ciphertext to its kid. */
export const signingKeyAad = (kid: string): string => `signing-key:${kid}`;
const RELOAD_INTERVAL_MS = 5000;
/** An unknown `kid` triggers a reload at most this often (a forged kid cannot hammer the database). */
const UNKNOWN_KID_RELOAD_MS = 1000;
const FIRST_KEY_LOCK = 'zerokey_first_signing_key';
/** A rotated key stays published at least this long: the lifetime of a dashboard session. */
const MIN_RETIREMENT_DELAY_MS = 12 * 3600 * 1000;

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Record<string, string>;
  createdAt: Date;
  /** Set once the key was rotated out: it still verifies until then, and signs nothing new. */
  retiresAt: Date | null;
}

/**
 * ES256 signing keys: generated on first start, private key encrypted at rest, imported once
 * and kept in memory. Every replica reloads the key set every few seconds (and when an unknown
 * `kid` shows up), so a rotation on one replica reaches the others quickly.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey | undefined;
  private lastUnknownKidReload = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly secretBox: SecretBox,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (!this.active) await this.createFirstKey();
    this.timer = setInterval(() => {
      this.reload().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not reload signing keys'));
    }, RELOAD_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The key new tokens are signed with (the newest active one). */
  current(): LoadedKey {
    if (!this.active) throw new Error('no signing key loaded');
    return this.active;
  }

  /** The public key for a `kid`, or undefined when no active key has it. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known) return known.retiresAt && known.retiresAt.getTime() <= Date.now() ? undefined : known.publicKey;
    // Another replica may have just created or rotated a key.
    if (Date.now() - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return undefined;
    this.lastUnknownKidReload = Date.now();
    await this.reload();
    return this.keys.get(kid)?.publicKey;
  }

  jwks(): { keys: Record<string, string>[] } {
    const now = Date.now();
    return { keys: [...this.keys.values()].filter((k) => !k.retiresAt || k.retiresAt.getTime() > now).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: 'ES256', use: 'sig' })) };
  }

  /**
   * Starts signing with a new key. The old one stays in the JWKS and keeps verifying until every
   * token it can have signed has expired: `retireAfter` (computed by the caller from the live
   * tokens), and never sooner than a session lifetime.
   */
  async rotate(retireAfter: Date): Promise<{ kid: string; previousKid: string | null; previousRetiresAt: Date | null }> {
    await this.reload();
    const previous = this.active;
    const retiresAt = new Date(Math.max(retireAfter.getTime(), Date.now() + MIN_RETIREMENT_DELAY_MS) + 2 * RELOAD_INTERVAL_MS);
    const kid = await this.createKey();
    if (previous) await this.repo.retire(previous.kid, retiresAt);
    await this.reload();
    return { kid, previousKid: previous?.kid ?? null, previousRetiresAt: previous ? retiresAt : null };
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
      privateKeyEncrypted: this.secretBox.encrypt(pem, signingKeyAad(kid)),
      createdAt: new Date(),
      retiredAt: null,
    });
    this.logger.log(`created signing key ${kid}`);
    return kid;
  }

  /**
   * Replicas starting together on an empty database must agree on one first key: on MySQL they
   * serialize on a named lock and look again before creating it.
   */
  private async createFirstKey(): Promise<void> {
    await this.repo.withNamedLock(FIRST_KEY_LOCK, async () => {
      await this.reload();
      if (!this.active) await this.createKey();
      await this.reload();
    });
  }

  private async reload(): Promise<void> {
    const rows = await this.repo.findUnretired(new Date());
    const keys = new Map<string, LoadedKey>();
    for (const row of rows) {
      const existing = this.keys.get(row.kid);
      if (existing) {
        keys.set(row.kid, { ...existing, retiresAt: row.retiredAt });
        continue;
      }
      const privateKey = createPrivateKey(this.secretBox.decrypt(row.privateKeyEncrypted, signingKeyAad(row.kid)));
      keys.set(row.kid, { kid: row.kid, privateKey, publicKey: createPublicKey(privateKey), publicJwk: row.publicJwk, createdAt: row.createdAt, retiresAt: row.retiredAt });
    }
    this.keys = keys;
    this.active = [...keys.values()].filter((k) => k.retiresAt === null).at(-1) ?? [...keys.values()].at(-1);
  }
}
