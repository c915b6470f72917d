import { type JwtModuleOptions, JwtSecretRequestType } from '@nestjs/jwt';
import type { AppConfig } from '../config/app-config.js';
import type { SigningKeysService } from './signing-keys.service.js';

/** A header segment longer than this is refused before it is decoded (a signed 7 KB header is no access token of ours). */
const MAX_HEADER_SEGMENT = 1024;

/**
 * JwtService's options for access tokens: ES256 only, issuer PUBLIC_URL, and the key picked per
 * token through `secretOrKeyProvider` — the current private key to sign (its `kid` goes in the
 * header, see TokenCodec.sign), the public key named by the token's `kid` to verify.
 */
export function jwtOptions(keys: SigningKeysService, config: AppConfig): JwtModuleOptions {
  return {
    signOptions: { algorithm: 'ES256', issuer: config.publicUrl },
    verifyOptions: { algorithms: ['ES256'], issuer: config.publicUrl },
    secretOrKeyProvider: async (type, tokenOrPayload) => {
      if (type === JwtSecretRequestType.SIGN) return keys.current().privateKey;
      const kid = typeof tokenOrPayload === 'string' ? headerKid(tokenOrPayload) : undefined;
      const key = kid === undefined ? undefined : await keys.publicKey(kid);
      if (!key) throw new Error('no signing key for this token');
      return key;
    },
  };
}

/**
 * The `kid` of a compact JWS whose header says ES256, read before any key is looked up; an
 * oversized or non-base64url header is refused unparsed.
 */
export function headerKid(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > MAX_HEADER_SEGMENT || !/^[A-Za-z0-9_-]+$/.test(token.slice(0, dot))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
    return header.alg === 'ES256' && typeof header.kid === 'string' && header.kid.length > 0 && header.kid.length <= 64 ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
