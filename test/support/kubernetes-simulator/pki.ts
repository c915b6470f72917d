// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Everything the simulator's HTTPS listener and its clients need. Generated fresh, offline, per start. */
export interface SimulatorPki {
  /** CA that signed the server certificate. */
  caPem: string;
  /** A second CA that has signed nothing the simulator serves (for wrong-CA tests). */
  otherCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

// P-256 keeps start-up fast (RSA-2048 generation costs ~100 ms per key).
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const ONE_HOUR_MS = 3_600_000;
const TEN_YEARS_MS = 10 * 365 * 24 * ONE_HOUR_MS;

// Node's webcrypto implements the WebCrypto interface the library expects; only the type names differ
// (the project compiles without the DOM lib, so the library's Crypto/CryptoKey names are borrowed from it).
type X509Crypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
type X509KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type X509PrivateKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P
  ? P extends { signingKey: infer K } ? K : never
  : never;
const provider = webcrypto as unknown as X509Crypto;

export async function createPki(): Promise<SimulatorPki> {
  const ca = await createCa('Kubernetes Simulator CA');
  const other = await createCa('Unrelated Test CA');
  const serverKeys = await generateKeys();
  const now = Date.now();
  const serverCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: 'CN=kube-apiserver',
      issuer: ca.cert.subject,
      // Backdated so a client whose clock runs slightly behind still accepts it.
      notBefore: new Date(now - ONE_HOUR_MS),
      notAfter: new Date(now + TEN_YEARS_MS),
      signingAlgorithm: EC_P256,
      publicKey: serverKeys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return {
    caPem: ca.cert.toString('pem'),
    otherCaPem: other.cert.toString('pem'),
    serverCertPem: serverCert.toString('pem'),
    serverKeyPem: privateKeyPem(serverKeys.privateKey),
  };
}

async function createCa(commonName: string): Promise<{ cert: x509.X509Certificate; keys: X509KeyPair }> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${commonName}`,
      notBefore: new Date(now - ONE_HOUR_MS),
      notAfter: new Date(now + TEN_YEARS_MS),
      signingAlgorithm: EC_P256,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return { cert, keys };
}

async function generateKeys(): Promise<X509KeyPair> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  return keys as unknown as X509KeyPair;
}

function privateKeyPem(key: X509PrivateKey): string {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** 16 random bytes with the top bit cleared: a positive DER INTEGER, as RFC 5280 requires. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f;
  return bytes.toString('hex');
}
