import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { EXP_LEEWAY_SECONDS } from './service-account-jwt.js';
import { type ClusterConnection, type ReviewedUser, TokenReviewService } from './token-review.service.js';

/** The only algorithms a Kubernetes API server signs service-account tokens with that we accept. */
const ALGORITHMS = ['RS256', 'ES256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** An unknown `kid` fetches the keys again at most this often per connection. */
export const KEY_REFRESH_MIN_MS = 10_000;
/** Connections whose keys are kept. */
const KEY_SETS_KEPT = 1000;

interface KeySet {
  issuer: string;
  keys: Map<string, { pem: string; alg: Algorithm }>;
  fetchedAt: number;
}

const rejected = (why: string): DomainError => new DomainError('ServiceAccountTokenRejected', `the service-account token was rejected: ${why}`);

/**
 * Login step 4 with `verification: "jwks"` (docs/api.md "JWKS verification"): the token is checked
 * with the cluster's own signing keys, and no TokenReview is sent. Keys and issuer come from the
 * API server (through TokenReviewService, the only code that talks to a cluster), are kept for
 * KUBERNETES_KEYS_CACHE_S per connection version, and are fetched again on an unknown `kid`, at
 * most once per 10 s. The signature itself is checked by jsonwebtoken (through @nestjs/jwt).
 */
@Injectable()
export class JwksVerifier {
  private readonly sets: LRUCache<string, KeySet>;
  private readonly fetching = new Map<string, Promise<KeySet>>();
  private readonly jwt = new JwtService();

  constructor(
    private readonly reviews: TokenReviewService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sets = new LRUCache({ max: KEY_SETS_KEPT, ttl: config.kubernetesKeysCacheS * 1000 });
  }

  /** The reviewed identity the token proves, as a TokenReview would name it; failures as a TokenReview's. */
  async verify(connection: ClusterConnection, token: string, bearer: string, audience: string): Promise<{ user: ReviewedUser; audiences: string[] }> {
    if (!audience) throw rejected('verification "jwks" needs allowedAudience');
    const header = this.jwt.decode<{ header?: { alg?: unknown; kid?: unknown } } | null>(token, { complete: true })?.header;
    const alg = header?.alg;
    if (!ALGORITHMS.includes(alg as Algorithm)) throw rejected(`it is signed with ${JSON.stringify(alg ?? null).slice(0, 40)}; only RS256 and ES256 are accepted`);
    const kid = typeof header?.kid === 'string' ? header.kid : '';
    let set = await this.keySet(connection, bearer, false);
    let key = set.keys.get(kid);
    if (!key && Date.now() - set.fetchedAt >= KEY_REFRESH_MIN_MS) {
      set = await this.keySet(connection, bearer, true);
      key = set.keys.get(kid);
    }
    if (!key) throw rejected(`it is signed by a key the cluster does not publish (kid ${JSON.stringify(kid.slice(0, 80))})`);
    if (key.alg !== alg) throw rejected(`its alg ${String(alg)} is not the algorithm of key ${kid}`);
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify<Record<string, unknown>>(token, { publicKey: key.pem, algorithms: [key.alg], issuer: connection.issuer || set.issuer, audience, clockTolerance: EXP_LEEWAY_SECONDS });
    } catch (error) {
      throw rejected((error as Error).message);
    }
    if (typeof payload.exp !== 'number') throw rejected('it has no exp');
    return { user: userOf(payload), audiences: audiencesOf(payload.aud) };
  }

  /** For the connection report: the keys and issuer the cluster publishes now (fetched afresh). */
  async describe(connection: ClusterConnection, bearer: string): Promise<{ count: number; issuer: string }> {
    const set = await this.keySet(connection, bearer, true);
    return { count: set.keys.size, issuer: connection.issuer || set.issuer };
  }

  private keySet(connection: ClusterConnection, bearer: string, fresh: boolean): Promise<KeySet> {
    const id = `${connection.id}:${connection.version}`;
    const kept = fresh ? undefined : this.sets.get(id);
    if (kept) return Promise.resolve(kept);
    let pending = this.fetching.get(id);
    if (!pending) {
      pending = this.fetch(connection, bearer).finally(() => this.fetching.delete(id));
      this.fetching.set(id, pending);
    }
    return pending;
  }

  private async fetch(connection: ClusterConnection, bearer: string): Promise<KeySet> {
    const published = await this.reviews.publishedKeys(connection, bearer);
    const keys = new Map<string, { pem: string; alg: Algorithm }>();
    for (const jwk of published.keys) {
      const usable = usableKey(jwk);
      if (usable) keys.set(usable.kid, usable);
    }
    const set = { issuer: published.issuer, keys, fetchedAt: Date.now() };
    this.sets.set(`${connection.id}:${connection.version}`, set);
    return set;
  }
}

/** A published signing key we can use: RSA or P-256, for signatures, with a kid; others are skipped. */
function usableKey(value: unknown): { kid: string; pem: string; alg: Algorithm } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  if (typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  const alg: Algorithm | undefined = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (!alg || (jwk.alg !== undefined && jwk.alg !== alg)) return undefined;
  try {
    return { kid: jwk.kid, alg, pem: createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString() };
  } catch {
    return undefined;
  }
}

/** The service account (and pod) a verified projected token names, in TokenReview's terms. */
function userOf(payload: Record<string, unknown>): ReviewedUser {
  const k8s = object(payload['kubernetes.io']);
  const sa = object(k8s?.serviceaccount);
  const pod = object(k8s?.pod);
  if (typeof k8s?.namespace !== 'string' || typeof sa?.name !== 'string') throw rejected('it carries no service-account claims');
  const extra: Record<string, string[]> = {};
  if (typeof pod?.name === 'string') extra['authentication.kubernetes.io/pod-name'] = [pod.name];
  if (typeof pod?.uid === 'string') extra['authentication.kubernetes.io/pod-uid'] = [pod.uid];
  return { username: `system:serviceaccount:${k8s.namespace}:${sa.name}`, uid: typeof sa.uid === 'string' ? sa.uid : '', groups: [], extra };
}

function object(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}
