import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { Logger } from '@nestjs/common';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** How often the certificate files are looked at (a Kubernetes Secret volume swaps a symlink, which fs.watch misses). */
const POLL_MS = 2000;

/**
 * Reads TLS_CERT_FILE and TLS_KEY_FILE and checks that they make a usable pair (the key matches
 * the certificate). Throws an Error naming the file on anything else; never includes key material.
 */
export function readTlsPair(certFile: string, keyFile: string): TlsPair {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
  } catch (error) {
    throw new Error(`TLS_CERT_FILE ${certFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  try {
    key = readFileSync(keyFile);
  } catch (error) {
    throw new Error(`TLS_KEY_FILE ${keyFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`TLS_CERT_FILE and TLS_KEY_FILE are not a usable PEM certificate and key pair (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
  return { cert, key };
}

/**
 * Re-reads the pair whenever either file changes (cert-manager renewing the Secret) and hands a
 * valid new pair to `apply` (the HTTPS server's setSecureContext): new connections get the new
 * certificate, open ones keep theirs. A pair that does not work (half-written, mismatched) is
 * ignored with a warning and the current one stays. Returns the function that stops watching.
 */
export function watchTlsPair(certFile: string, keyFile: string, apply: (pair: TlsPair) => void): () => void {
  const logger = new Logger('Tls');
  let timer: NodeJS.Timeout | undefined;
  const reload = (): void => {
    clearTimeout(timer);
    // Both files of one renewal change within moments of each other: read them once, together.
    timer = setTimeout(() => {
      try {
        apply(readTlsPair(certFile, keyFile));
        logger.log('TLS certificate reloaded');
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'TLS files changed but do not make a usable pair; keeping the current certificate');
      }
    }, 200).unref();
  };
  watchFile(certFile, { interval: POLL_MS, persistent: false }, reload);
  watchFile(keyFile, { interval: POLL_MS, persistent: false }, reload);
  return () => {
    clearTimeout(timer);
    unwatchFile(certFile, reload);
    unwatchFile(keyFile, reload);
  };
}
