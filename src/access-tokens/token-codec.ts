import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../common/errors/domain-error.js';
import { headerKid } from './jwt-options.js';
import { SigningKeysService } from './signing-keys.service.js';

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
 * Signs and verifies access-tokens through @nestjs/jwt's JwtService (ES256, `kid` in the header,
 * issuer PUBLIC_URL); the keys come from `secretOrKeyProvider` (jwt-options.ts). A bounded cache
 * of verified tokens sits in front, so a token's signature is checked once: later uses only
 * re-check its key and `exp`. Forged-token floods are limited per client IP by the caller
 * (AccessTokensService), not here.
 */
@Injectable()
export class TokenCodec {
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKEN_CACHE_SIZE });

  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
  ) {}

  sign(claims: Omit<AccessTokenClaims, 'iss'>): Promise<string> {
    // The key itself comes from secretOrKeyProvider (jwt-options.ts), read in the same tick as this kid.
    return this.jwt.signAsync({ ...claims }, { keyid: this.keys.current().kid });
  }

  /**
   * Verifies signature, issuer and `nbf`; then `exp` unless `ignoreExpiration` (renewal and
   * revocation report an expired token after other checks). Expired → AccessTokenExpired;
   * anything else → InvalidAccessToken. Revocation and uses are the caller's checks.
   * `beforeSignatureCheck` runs only when the signature must be checked (the token is not among
   * those already verified), and may refuse by throwing.
   */
  async verify(token: string, ignoreExpiration = false, beforeSignatureCheck?: () => Promise<void>): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) throw invalid();
    let claims = await this.known(token);
    if (!claims) {
      await beforeSignatureCheck?.();
      claims = await this.verifySignature(token);
    }
    // jsonwebtoken's rule: expired once the current second reaches `exp`.
    if (!ignoreExpiration && Math.floor(Date.now() / 1000) >= claims.exp) throw expired();
    return claims;
  }

  /** A token already verified under a key that still verifies: its claims, without a signature check. */
  private async known(token: string): Promise<AccessTokenClaims | undefined> {
    const known = this.verified.get(token);
    if (!known) return undefined;
    if ((await this.keys.publicKey(known.kid)) === known.key) return known.claims;
    this.verified.delete(token);
    return undefined;
  }

  private async verifySignature(token: string): Promise<AccessTokenClaims> {
    const kid = headerKid(token);
    const key = kid === undefined ? undefined : await this.keys.publicKey(kid);
    if (kid === undefined || !key) throw invalid();
    let claims: unknown;
    try {
      // Expiry is checked by verify(), so that an expired token with a good signature is still remembered.
      claims = await this.jwt.verifyAsync(token, { ignoreExpiration: true });
    } catch {
      throw invalid();
    }
    if (!hasClaimTypes(claims)) throw invalid();
    this.verified.set(token, { claims, kid, key });
    return claims;
  }
}

// Built only when thrown: an Error captures a stack trace, too costly to make on every request.
const invalid = (): DomainError => new DomainError('InvalidAccessToken', 'the access token is invalid');
const expired = (): DomainError => new DomainError('AccessTokenExpired', 'the access token has expired: log in again');

/** The claim types this service relies on (jsonwebtoken checks `exp`, `nbf` and `iss`, not these). */
function hasClaimTypes(claims: unknown): claims is AccessTokenClaims {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return false;
  const { jti, sub, exp, iat } = claims as Record<string, unknown>;
  return typeof jti === 'string' && typeof sub === 'string' && typeof exp === 'number' && (iat === undefined || typeof iat === 'number');
}
