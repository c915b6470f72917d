import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

// A login commits its token row and its audit row together (one commit). Writing the audit row must
// still never fail the login: when it cannot be written, the token is written alone.

describe('Kubernetes login: token and audit row', () => {
  let w: KubernetesWorld;
  let db: DataSource;

  beforeAll(async () => {
    w = await startKubernetesWorld();
    db = w.t.app.get(DataSource);
  });
  afterAll(async () => w?.close());

  const rows = async (identityId: string): Promise<{ tokens: number; audits: Array<{ outcome: string; metadata: unknown }> }> => {
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM access_tokens WHERE identityId = ?', [identityId]);
    const audits = await db.query("SELECT outcome, metadata FROM audit_logs WHERE identityId = ? AND event = 'kubernetes-auth.login' ORDER BY id", [identityId]);
    return { tokens: Number(n), audits };
  };

  it('writes one token row and one success audit row per login', async () => {
    const identityId = await identityWithConfig(w);
    for (let i = 0; i < 2; i++) expect((await login(w, identityId, checkoutToken(w))).status).toBe(200);
    const { tokens, audits } = await rows(identityId);
    expect(tokens).toBe(2);
    expect(audits.map((a) => a.outcome)).toEqual(['success', 'success']);
    const metadata = typeof audits[0].metadata === 'string' ? JSON.parse(audits[0].metadata) : audits[0].metadata;
    expect(metadata).toMatchObject({ namespace: 'shop', serviceAccountName: 'checkout', podName: 'checkout-7d9f' });
  });

  it('still issues a working token when the audit row cannot be written', async () => {
    const identityId = await identityWithConfig(w);
    const refuse =
      db.options.type === 'mysql'
        ? "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit refused by the test'"
        : "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END";
    await db.query(refuse);
    let res: request.Response;
    try {
      res = await login(w, identityId, checkoutToken(w));
    } finally {
      await db.query('DROP TRIGGER refuse_audit');
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const self = await request(w.t.url).get('/api/v1/auth/token/self').set(auth(res.body.accessToken));
    expect(self.status, JSON.stringify(self.body)).toBe(200);
    expect(self.body).toMatchObject({ type: 'identity', numUses: 1 });
    // The token row was written (alone); no audit row could be.
    expect(await rows(identityId)).toEqual({ tokens: 1, audits: [] });
  });
});
