import { type KeyObject, sign as signCallback, verify as verifyCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain-error';
import { SigningKeysService } from './signing-keys.service';

const signInThreadPool = promisify(signCallback);
const verifyInThreadPool = promisify(verifyCallback);

/** A compact JWS with an ES256 signature: base64url segments, no padding, a 64-byte (86-character) signature. */
const ES256_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})$/;

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
 * Signs and verifies access-token JWTs (ES256, `kid` in the header, issuer PUBLIC_URL) as plain
 * JWS, so that the ECDSA work runs in libuv's thread pool: @nestjs/jwt (jsonwebtoken) signs and
 * verifies synchronously, on the event loop, for every login and every token's first use, and
 * for every forged token sent at the guard.
 */
@Injectable()
export class TokenCodec {
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
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
    const jws = ES256_JWS.exec(token);
    const kid = jws && headerKid(jws[1]);
    if (!jws || !kid) throw invalid();
    const publicKey = await this.keys.publicKey(kid);
    if (!publicKey) throw invalid();
    const signature = Buffer.from(jws[3], 'base64url');
    const genuine =
      signature.length === 64 &&
      (await verifyInThreadPool('sha256', Buffer.from(`${jws[1]}.${jws[2]}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature).catch(() => false));
    // Expiry is checked below, so that an expired token with a good signature is still remembered.
    const claims = genuine ? this.claimsOf(jws[2]) : undefined;
    if (!claims) throw invalid();
    this.remember(token, { claims, kid, key: publicKey });
    if (!ignoreExpiration && Math.floor(Date.now() / 1000) >= claims.exp) throw expired();
    return claims;
  }

  /** The claims of a genuine token, checked as jsonwebtoken checks them (issuer, `nbf`) plus the types this service relies on. */
  private claimsOf(payload: string): AccessTokenClaims | undefined {
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    const { iss, jti, sub, exp, iat, nbf } = claims as Record<string, unknown>;
    if (iss !== this.config.publicUrl || typeof jti !== 'string' || typeof sub !== 'string' || typeof exp !== 'number') return undefined;
    if (iat !== undefined && typeof iat !== 'number') return undefined;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > Math.floor(Date.now() / 1000))) return undefined;
    return claims as AccessTokenClaims;
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

/** The `kid` of an ES256 JWS header segment; a header over 1 KiB is refused before any parsing. */
function headerKid(segment: string): string | undefined {
  if (segment.length > 1024) return undefined;
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
    return header.alg === 'ES256' && typeof header.kid === 'string' && header.kid.length <= 64 ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
