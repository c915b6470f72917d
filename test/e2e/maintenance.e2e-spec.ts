import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessToken } from '../../src/access-tokens/access-token.entity.js';
import { SigningKey } from '../../src/access-tokens/signing-key.entity.js';
import { AuditLog } from '../../src/audit/audit-log.entity.js';
import { SecretBox } from '../../src/common/crypto/secret-box.js';
import { KubernetesAuthConfig } from '../../src/kubernetes-auth/kubernetes-auth-config.entity.js';
import { HousekeepingService, TOKEN_GRACE_MS } from '../../src/maintenance/housekeeping.service.js';
import { reencryptSecrets } from '../../src/maintenance/reencrypt-secrets.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../support/kubernetes-fixture.js';
import { startTestApp } from '../support/test-app.js';

const DAY = 24 * 3600 * 1000;

describe('housekeeping', () => {
  let w: KubernetesWorld;
  beforeAll(async () => {
    w = await startKubernetesWorld({ AUDIT_RETENTION_DAYS: '30' });
  });
  afterAll(async () => w?.close());

  function tokenRow(maxExpiresAt: Date): AccessToken {
    return { id: randomUUID(), identityId: randomUUID(), userId: null, orgId: randomUUID(), authConfigId: null, authMethod: 'kubernetes', ttl: 60, maxTtl: 60, numUses: 0, numUsesLimit: 0, createdAt: new Date(maxExpiresAt.getTime() - 60_000), expiresAt: maxExpiresAt, maxExpiresAt, lastRenewedAt: null, lastUsedAt: null, revokedAt: null, clientIp: null, subject: null, trustedIps: null };
  }

  it('deletes token rows past max expiry plus grace and audit rows past retention, in batches, and nothing else', async () => {
    const ds = w.t.app.get(DataSource);
    const now = Date.now();
    const old = Array.from({ length: 1203 }, () => tokenRow(new Date(now - TOKEN_GRACE_MS - DAY)));
    const recent = [tokenRow(new Date(now - TOKEN_GRACE_MS + DAY)), tokenRow(new Date(now + DAY))];
    for (let i = 0; i < old.length; i += 200) await ds.getRepository(AccessToken).insert(old.slice(i, i + 200));
    await ds.getRepository(AccessToken).insert(recent);
    const audit = (daysAgo: number) => ({ orgId: null, actorType: 'anonymous' as const, actorId: null, identityId: null, event: 'test.event', outcome: 'success' as const, errorCode: null, ip: null, userAgent: null, metadata: {} as Record<string, string>, createdAt: new Date(now - daysAgo * DAY) });
    await ds.getRepository(AuditLog).insert([audit(31), audit(45), audit(29), audit(1)]);

    const result = await w.t.app.get(HousekeepingService).runOnce();
    expect(result).toEqual({ accessTokens: 1203, auditLogs: 2 });
    const left = await ds.getRepository(AccessToken).findBy({ id: recent[0].id });
    expect(left).toHaveLength(1);
    expect(await ds.getRepository(AccessToken).countBy({ id: old[0].id })).toBe(0);
    expect(await ds.getRepository(AuditLog).countBy({ event: 'test.event' })).toBe(2);
    expect(await w.t.app.get(HousekeepingService).runOnce()).toEqual({ accessTokens: 0, auditLogs: 0 });
  });
});

describe('encryption key rotation', () => {
  it('reads secrets written under ENCRYPTION_KEY_PREVIOUS and re-encrypts them all under the new key', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const w = await startKubernetesWorld({ ENCRYPTION_KEY: oldKey });
    try {
      const identityId = await identityWithConfig(w);
      expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
      const ds = w.t.app.get(DataSource);
      const before = await ds.getRepository(KubernetesAuthConfig).findOneByOrFail({ identityId });
      // A second app on the same database with the keys swapped, as after a rotation.
      const rotated = await startTestApp({ ...(w.t.dbFile ? { DB_PATH: w.t.dbFile } : { DB_URL: w.t.config.dbUrl! }), ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey });
      try {
        const session = await request(rotated.url).post('/api/v1/auth/login').send({ email: w.admin.email, password: 'correct horse battery staple' });
        expect(session.status).toBe(200);
        const identityTokenRes = await request(rotated.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt: checkoutToken(w) });
        expect(identityTokenRes.status, JSON.stringify(identityTokenRes.body)).toBe(200);
        const both = new SecretBox([Buffer.from(newKey, 'base64'), Buffer.from(oldKey, 'base64')]);
        const result = await reencryptSecrets(rotated.app.get(DataSource), both);
        expect(result).toEqual({ reviewerJwts: 1, signingKeys: 1 });
        const after = await ds.getRepository(KubernetesAuthConfig).findOneByOrFail({ identityId });
        expect(after.tokenReviewerJwtEncrypted).not.toBe(before.tokenReviewerJwtEncrypted);
        const onlyNew = new SecretBox([Buffer.from(newKey, 'base64')]);
        expect(onlyNew.isCurrent(after.tokenReviewerJwtEncrypted!)).toBe(true);
        const keys = await ds.getRepository(SigningKey).find();
        expect(keys.every((k) => onlyNew.isCurrent(k.privateKeyEncrypted))).toBe(true);
        expect(await reencryptSecrets(rotated.app.get(DataSource), both)).toEqual({ reviewerJwts: 0, signingKeys: 0 });
      } finally {
        await rotated.close();
      }
    } finally {
      await w.close();
    }
  });

  it('npm run rotate-encryption-key refuses a bad key with one line', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, ['scripts/ensure-built.js'], { stdio: 'pipe' });
      execFileSync(process.execPath, ['dist/scripts/rotate-encryption-key.js'], { env: { ...process.env, ENCRYPTION_KEY: 'short', DB_TYPE: 'sqlite', DB_PATH: ':memory:' }, stdio: 'pipe' });
    } catch (error) {
      stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    expect(stderr.trim()).toBe('rotate-encryption-key: invalid configuration: ENCRYPTION_KEY must be 32 bytes encoded as base64 (openssl rand -base64 32)');
  });
});
