import { type KeyObject, sign as signCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain-error';
import { SigningKeysService } from './signing-keys.service';

const signInThreadPool = promisify(signCallback);

export const MAX_ACCESS_TOKEN_LENGTH = 8192;
/** Access tokens whose signature was already checked, kept by their exact bytes (least recently used go first). */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
  /** The key that verified it: a retired or replaced key invalidates the entry. */
  key: KeyObject;
}

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  org: string | null;
  authMethod: string;
  kubernetes?: { namespace: string; serviceAccountName: string; serviceAccountUid: string; podName?: string };
}

/**
 * Signs and verifies access-token JWTs (ES256, `kid` in the header, issuer PUBLIC_URL). Signing
 * is a plain JWS built here so that the ECDSA signature runs in libuv's thread pool (jsonwebtoken
 * signs synchronously, on the event loop, for every login); verification stays with @nestjs/jwt.
 */
@Injectable()
export class TokenCodec {
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sign(claims: Omit<AccessTokenClaims, 'iss'>): Promise<string> {
    const key = this.keys.current();
    const header = base64url({ alg: 'ES256', typ: 'JWT', kid: key.kid });
    const input = `${header}.${base64url({ ...claims, iss: this.config.publicUrl })}`;
    // JWS ES256: the raw r || s pair (IEEE P1363), not DER.
    const signature = await signInThreadPool('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /**
   * Verifies signature and issuer. `ignoreExpiration` serves renewal and revocation, which report
   * an expired token after other checks. Expired → AccessTokenExpired; anything else → InvalidAccessToken.
   * The same bytes always get the same signature verdict, so a verified token is remembered (by its
   * exact string, bounded LRU) and later calls only re-check its key and `exp`: ES256 verification
   * is the largest cost of an authenticated request. Revocation and uses are the caller's checks.
   */
  async verify(token: string, ignoreExpiration = false): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) throw invalid();
    const known = this.verified.get(token);
    if (known && (await this.keys.publicKey(known.kid)) === known.key) {
      this.verified.delete(token);
      this.verified.set(token, known);
      // jsonwebtoken's rule: expired once the current second reaches `exp`.
      if (!ignoreExpiration && Math.floor(Date.now() / 1000) >= known.claims.exp) throw expired();
      return known.claims;
    }
    if (known) this.verified.delete(token);
    const kid = headerKid(token);
    if (!kid) throw invalid();
    const publicKey = await this.keys.publicKey(kid);
    if (!publicKey) throw invalid();
    let claims: AccessTokenClaims;
    try {
      // Expiry is checked below, so that an expired token with a good signature is still remembered.
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, { publicKey: publicKey as never, algorithms: ['ES256'], issuer: this.config.publicUrl, ignoreExpiration: true });
    } catch {
      throw invalid();
    }
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw invalid();
    this.remember(token, { claims, kid, key: publicKey });
    if (!ignoreExpiration && Math.floor(Date.now() / 1000) >= claims.exp) throw expired();
    return claims;
  }

  private remember(token: string, entry: VerifiedToken): void {
    this.verified.set(token, entry);
    if (this.verified.size > VERIFIED_TOKEN_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
  }
}

// Built only when thrown: an Error captures a stack trace, too costly to make on every request.
const invalid = (): DomainError => new DomainError('InvalidAccessToken', 'the access token is invalid');
const expired = (): DomainError => new DomainError('AccessTokenExpired', 'the access token has expired: log in again');

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function headerKid(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 1024) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
    return header.alg === 'ES256' && typeof header.kid === 'string' && header.kid.length <= 64 ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
