import { createHash, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';

export type SigningAlgorithm = 'RS256' | 'ES256';

/** A service-account signing key, like the one behind kube-apiserver's --service-account-signing-key-file. */
export interface SigningKey {
  alg: SigningAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export type JwtPayload = Record<string, unknown>;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: JwtPayload;
  signingInput: string;
  signature: Buffer;
}

export function generateSigningKey(alg: SigningAlgorithm): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { alg, kid: keyIdOf(publicKey), privateKey, publicKey };
}

/** kube-apiserver's key id: unpadded base64url of the SHA-256 of the DER (SPKI) public key. */
function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** Signs a compact JWS. The header carries alg and kid only: real service-account tokens have no typ. */
export function signJwt(payload: JwtPayload, key: SigningKey): string {
  const header = { alg: key.alg, kid: key.kid };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const data = Buffer.from(signingInput, 'ascii');
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', data, key.privateKey)
      : sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Parses a compact JWS without trusting it; null when it is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) return null;
  const header = parseSegment(parts[0]);
  const payload = parseSegment(parts[1]);
  if (!header || !payload || typeof header['alg'] !== 'string') return null;
  return {
    header,
    payload,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

/** True when the token's signature was made by `key` with the algorithm the header names. */
export function verifyJwtSignature(jwt: DecodedJwt, key: SigningKey): boolean {
  if (jwt.header['alg'] !== key.alg) return false;
  const data = Buffer.from(jwt.signingInput, 'ascii');
  try {
    return key.alg === 'RS256'
      ? verify('sha256', data, key.publicKey, jwt.signature)
      : verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature);
  } catch {
    return false;
  }
}

/** The public half as a JWK, the way /openid/v1/jwks lists it. */
export function publicJwk(key: SigningKey): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { use: 'sig', ...jwk, kid: key.kid, alg: key.alg };
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function parseSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
