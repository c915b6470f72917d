import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain-error';
import { SigningKeysService } from './signing-keys.service';

export const MAX_ACCESS_TOKEN_LENGTH = 8192;

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

/** Signs and verifies access-token JWTs (ES256, `kid` in the header, issuer PUBLIC_URL). */
@Injectable()
export class TokenCodec {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  sign(claims: Omit<AccessTokenClaims, 'iss'>): Promise<string> {
    const key = this.keys.current();
    const { exp, ...rest } = claims;
    return this.jwt.signAsync({ ...rest, exp, iss: this.config.publicUrl }, { privateKey: key.privateKey as never, algorithm: 'ES256', keyid: key.kid });
  }

  /**
   * Verifies signature and issuer. `ignoreExpiration` serves renewal and revocation, which report
   * an expired token after other checks. Expired → AccessTokenExpired; anything else → InvalidAccessToken.
   */
  async verify(token: string, ignoreExpiration = false): Promise<AccessTokenClaims> {
    const invalid = new DomainError('InvalidAccessToken', 'the access token is invalid');
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) throw invalid;
    const kid = headerKid(token);
    if (!kid) throw invalid;
    const publicKey = await this.keys.publicKey(kid);
    if (!publicKey) throw invalid;
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, {
        publicKey: publicKey as never,
        algorithms: ['ES256'],
        issuer: this.config.publicUrl,
        ignoreExpiration,
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TokenExpiredError') {
        throw new DomainError('AccessTokenExpired', 'the access token has expired: log in again');
      }
      throw invalid;
    }
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw invalid;
    return claims;
  }
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
