import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { createIdentity, type KubernetesWorld, startKubernetesWorld, workingConfig } from '../../support/kubernetes-fixture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_TRUSTED_IPS = [{ ipAddress: '0.0.0.0/0' }, { ipAddress: '::/0' }];
const MAX_TTL = 315_360_000;

type Detail = { field: string; message: string };
type Body = Record<string, unknown>;
const fields = (body: Body): string[] => (body.details as Detail[]).map((d) => d.field);
const codes = (res: request.Response): string[] => (res.body.warnings as { code: string }[]).map((w) => w.code);
/** Whether `key` is an object key anywhere in `value` (error details may name the field as a value). */
const hasKey = (value: unknown, key: string): boolean =>
  typeof value === 'object' && value !== null && (Object.prototype.hasOwnProperty.call(value, key) || Object.values(value).some((v) => hasKey(v, key)));

/** docs/api.md "Kubernetes auth config fields": attach, read and PATCH with every rule of the fields table. */
describe('Kubernetes auth config: attach, read, patch', () => {
  let w: KubernetesWorld;
  /** Every response body of this file, to prove no reviewer token ever leaves the service. */
  const seen: string[] = [];
  /** Reviewer bearers written through PATCH (static tokens exist too). */
  const secrets: string[] = [];

  const path = (identityId: string): string => `/api/v1/auth/kubernetes-auth/identities/${identityId}`;
  const track = async (req: request.Test): Promise<request.Response> => {
    const res = await req;
    seen.push(res.text);
    return res;
  };
  const attach = (identityId: string, body: Body) => track(request(w.t.url).post(path(identityId)).set(auth(w.admin.token)).send(body));
  const read = (identityId: string) => track(request(w.t.url).get(path(identityId)).set(auth(w.admin.token)));
  const patch = (identityId: string, body: Body) => track(request(w.t.url).patch(path(identityId)).set(auth(w.admin.token)).send(body));
  const remove = (identityId: string) => track(request(w.t.url).delete(path(identityId)).set(auth(w.admin.token)));
  const configRow = async (identityId: string): Promise<Body | undefined> => {
    const rows: Body[] = await w.t.app.get(DataSource).query('SELECT * FROM kubernetes_auth_configs WHERE identityId = ?', [identityId]);
    return rows[0];
  };
  /** Attaches `body` to a fresh identity and expects 201. */
  const attached = async (body: Body): Promise<{ identityId: string; res: request.Response }> => {
    const identityId = await createIdentity(w);
    const res = await attach(identityId, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { identityId, res };
  };
  /** Attaches `body` to a fresh identity and expects 422 naming exactly `expectedFields`, with nothing stored. */
  const refused = async (body: Body, expectedFields: string[]): Promise<Body> => {
    const identityId = await createIdentity(w);
    const err = expectError(await attach(identityId, body), 422, 'ValidationError');
    expect(fields(err).sort()).toEqual([...expectedFields].sort());
    expect(await configRow(identityId)).toBeUndefined();
    return err;
  };
  const expectNoSecret = (res: request.Response): void => {
    expect(res.text).not.toContain(w.reviewerJwt);
    for (const secret of secrets) expect(res.text).not.toContain(secret);
    if (res.body?.identityKubernetesAuth) expect(res.body.identityKubernetesAuth).not.toHaveProperty('tokenReviewerJwt');
    expect(hasKey(res.body, 'tokenReviewerJwt')).toBe(false);
    expect(res.text).not.toContain('tokenReviewerJwtEncrypted');
  };

  beforeAll(async () => {
    w = await startKubernetesWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  describe('attach', () => {
    it('answers 201 { identityKubernetesAuth, warnings } with every default of the table (reviewer JWT given → stored)', async () => {
      const identityId = await createIdentity(w);
      const before = Date.now();
      const res = await attach(identityId, { kubernetesHost: w.sim.url, tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['identityKubernetesAuth', 'warnings']);
      expect(res.body.identityKubernetesAuth).toEqual({
        id: expect.stringMatching(UUID),
        identityId,
        kubernetesHost: w.sim.url,
        caCert: '',
        verifyTlsCertificate: true,
        tokenReviewerSource: 'stored',
        tokenReviewerJwtSet: true,
        allowedNamespaces: 'shop',
        allowedNames: '',
        allowedServiceAccounts: '',
        clusterIds: [],
        verification: 'token-review',
        issuer: '',
        allowedAudience: '',
        allowedPodNames: '',
        namespaceSelector: null,
        accessTokenTTL: 3600,
        accessTokenMaxTTL: 86400,
        accessTokenNumUsesLimit: 0,
        accessTokenTrustedIps: DEFAULT_TRUSTED_IPS,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(Date.parse(res.body.identityKubernetesAuth.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(res.body.warnings).toEqual([{ code: 'AudienceNotSet', message: expect.any(String) }]);
      expectNoSecret(res);

      const got = await read(identityId);
      expect(got.status).toBe(200);
      expect(Object.keys(got.body)).toEqual(['identityKubernetesAuth']);
      expect(got.body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
      expectNoSecret(got);

      const row = await configRow(identityId);
      expect(row).toMatchObject({ id: res.body.identityKubernetesAuth.id, identityId, tokenReviewerSource: 'stored', accessTokenTTL: 3600, accessTokenMaxTTL: 86400 });
      expect(Number(row?.version)).toBe(1);
    });

    it('defaults tokenReviewerSource to client when no reviewer JWT is given', async () => {
      const { res } = await attached({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, allowedNames: 'checkout' });
      expect(res.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'client', tokenReviewerJwtSet: false, allowedNames: 'checkout', allowedNamespaces: '', caCert: w.sim.caPem.trim() });
      expectNoSecret(res);
    });

    it('echoes every field it was given; no warning when the audience is set and TLS is verified', async () => {
      const body = {
        kubernetesHost: w.sim.url,
        caCert: w.sim.caPem,
        verifyTlsCertificate: true,
        tokenReviewerSource: 'stored',
        tokenReviewerJwt: w.reviewerJwt,
        allowedNamespaces: 'shop, web-*',
        allowedNames: 'checkout,api',
        allowedServiceAccounts: 'shop/checkout',
        allowedAudience: 'zerokey',
        accessTokenTTL: 600,
        accessTokenMaxTTL: 1200,
        accessTokenNumUsesLimit: 5,
        accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }, { ipAddress: '2001:db8::/32' }, { ipAddress: '127.0.0.1' }],
      };
      const { res } = await attached(body);
      const { tokenReviewerJwt: _secret, ...echoed } = body;
      expect(res.body.identityKubernetesAuth).toMatchObject({ ...echoed, caCert: w.sim.caPem.trim(), tokenReviewerJwtSet: true });
      expect(res.body.warnings).toEqual([]);
      expectNoSecret(res);
    });

    it('a second attach answers 409 KubernetesAuthAlreadyConfigured and keeps the first config', async () => {
      const { identityId, res } = await attached(workingConfig(w));
      const again = await attach(identityId, workingConfig(w, { allowedNamespaces: '*', accessTokenTTL: 5 }));
      expectError(again, 409, 'KubernetesAuthAlreadyConfigured');
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
    });

    it('two concurrent attaches: exactly one 201, the other 409', async () => {
      const identityId = await createIdentity(w);
      const results = await Promise.all([attach(identityId, workingConfig(w)), attach(identityId, workingConfig(w, { allowedNamespaces: '*' }))]);
      expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).toEqual([201, 409]);
      expectError(results.find((r) => r.status === 409)!, 409, 'KubernetesAuthAlreadyConfigured');
      const rows: Body[] = await w.t.app.get(DataSource).query('SELECT id FROM kubernetes_auth_configs WHERE identityId = ?', [identityId]);
      expect(rows).toHaveLength(1);
    });

    it('GET, PATCH and DELETE before attach answer 404 KubernetesAuthNotConfigured', async () => {
      const identityId = await createIdentity(w);
      expectError(await read(identityId), 404, 'KubernetesAuthNotConfigured');
      expectError(await patch(identityId, { allowedNamespaces: '*' }), 404, 'KubernetesAuthNotConfigured');
      expectError(await remove(identityId), 404, 'KubernetesAuthNotConfigured');
      expect(await configRow(identityId)).toBeUndefined();
    });

    it('an unknown identity answers 404 IdentityNotFound on every verb; a bad UUID 400 BadRequest', async () => {
      const ghost = randomUUID();
      expectError(await attach(ghost, workingConfig(w)), 404, 'IdentityNotFound');
      expectError(await read(ghost), 404, 'IdentityNotFound');
      expectError(await patch(ghost, { allowedNamespaces: '*' }), 404, 'IdentityNotFound');
      expectError(await remove(ghost), 404, 'IdentityNotFound');
      expect(await configRow(ghost)).toBeUndefined();
      expectError(await attach('nope', workingConfig(w)), 400, 'BadRequest');
      expectError(await read('nope'), 400, 'BadRequest');
      expectError(await patch('nope', {}), 400, 'BadRequest');
      expectError(await remove('nope'), 400, 'BadRequest');
    });

    it('answers 401 Unauthorized without a bearer', async () => {
      const identityId = await createIdentity(w);
      expectError(await track(request(w.t.url).post(path(identityId)).send(workingConfig(w))), 401, 'Unauthorized');
      expect(await configRow(identityId)).toBeUndefined();
    });

    it('unknown fields are 422 with one details entry each', async () => {
      await refused(workingConfig(w, { identityId: randomUUID(), tokenReviewerJWT: 'typo' }), ['identityId', 'tokenReviewerJWT']);
    });
  });

  describe('caCert', () => {
    const brokenBase64 = '-----BEGIN CERTIFICATE-----\nMIIB!!!not*base64@@@\n-----END CERTIFICATE-----\n';
    const notACert = `-----BEGIN CERTIFICATE-----\n${Buffer.from('hello, I am not DER').toString('base64')}\n-----END CERTIFICATE-----\n`;

    it.each([
      ['plain text', () => 'hello'],
      ['a PEM block with broken base64', () => brokenBase64],
      ['a PEM block that is not a certificate', () => notACert],
      ['a valid certificate followed by junk', (w2: KubernetesWorld) => `${w2.sim.caPem}\ntrailing junk`],
      ['a valid certificate and a broken one', (w2: KubernetesWorld) => `${w2.sim.caPem}${brokenBase64}`],
      ['a private key instead of a certificate', () => '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n'],
    ])('garbage (%s) answers 422 with a details entry for caCert', async (_label, make) => {
      const err = await refused(workingConfig(w, { caCert: make(w) }), ['caCert']);
      expect((err.details as Detail[])[0].message).toMatch(/certificate/i);
    });

    it('accepts a PEM chain of two certificates and returns it', async () => {
      const chain = `${w.sim.caPem.trim()}\n${w.sim.otherCaPem.trim()}\n`;
      const { res } = await attached(workingConfig(w, { caCert: chain }));
      expect(res.body.identityKubernetesAuth.caCert).toBe(chain.trim());
      expect(res.body.identityKubernetesAuth.caCert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    });

    it('an empty caCert means the system trust store (accepted, stored empty)', async () => {
      const { res } = await attached(workingConfig(w, { caCert: '' }));
      expect(res.body.identityKubernetesAuth.caCert).toBe('');
    });

    it('PATCH with a garbage caCert is 422 and keeps the stored one', async () => {
      const { identityId, res } = await attached(workingConfig(w));
      const err = expectError(await patch(identityId, { caCert: 'hello' }), 422, 'ValidationError');
      expect(fields(err)).toEqual(['caCert']);
      expect((await read(identityId)).body.identityKubernetesAuth.caCert).toBe(res.body.identityKubernetesAuth.caCert);
    });
  });

  describe('kubernetesHost and the reviewer source', () => {
    it('is required for the stored source: missing or empty → 422 kubernetesHost', async () => {
      await refused({ tokenReviewerJwt: w.reviewerJwt, allowedNamespaces: 'shop' }, ['kubernetesHost']);
      await refused(workingConfig(w, { kubernetesHost: '' }), ['kubernetesHost']);
      await refused(workingConfig(w, { kubernetesHost: '   ' }), ['kubernetesHost']);
    });

    it('is required for the client source too', async () => {
      await refused({ allowedNamespaces: 'shop' }, ['kubernetesHost']);
    });

    it.each([
      ['ftp://x'],
      ['not a url'],
      ['kubernetes.example.com:6443'],
      ['https://user:secret@kubernetes.example.com'],
      ['https://kubernetes.example.com?x=1'],
    ])('refuses %j with 422 kubernetesHost', async (kubernetesHost) => {
      await refused(workingConfig(w, { kubernetesHost }), ['kubernetesHost']);
    });

    it('refuses plain http:// while TLS verification is on', async () => {
      const err = await refused(workingConfig(w, { kubernetesHost: 'http://127.0.0.1:8001' }), ['kubernetesHost']);
      expect((err.details as Detail[])[0].message).toMatch(/verifyTlsCertificate/);
    });

    it('accepts http:// with verifyTlsCertificate false, with a TlsVerificationDisabled warning', async () => {
      const { res } = await attached(workingConfig(w, { kubernetesHost: 'http://127.0.0.1:8001', verifyTlsCertificate: false }));
      expect(res.body.identityKubernetesAuth).toMatchObject({ kubernetesHost: 'http://127.0.0.1:8001', verifyTlsCertificate: false });
      expect(res.body.warnings).toEqual([{ code: 'TlsVerificationDisabled', message: expect.any(String) }]);
    });

    it('verifyTlsCertificate false on https:// warns too; with no audience both warnings appear', async () => {
      const { res } = await attached(workingConfig(w, { verifyTlsCertificate: false, allowedAudience: '' }));
      expect(codes(res).sort()).toEqual(['AudienceNotSet', 'TlsVerificationDisabled']);
    });

    it('PATCH back to verifyTlsCertificate true on an http:// host is refused (rules apply to the merged config)', async () => {
      const { identityId } = await attached(workingConfig(w, { kubernetesHost: 'http://127.0.0.1:8001', verifyTlsCertificate: false }));
      expect(fields(expectError(await patch(identityId, { verifyTlsCertificate: true }), 422, 'ValidationError'))).toEqual(['kubernetesHost']);
      const ok = await patch(identityId, { verifyTlsCertificate: true, kubernetesHost: w.sim.url, tokenReviewerJwt: w.reviewerJwt });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.warnings).toEqual([]);
    });

    it('in-cluster needs no host', async () => {
      const { res } = await attached({ tokenReviewerSource: 'in-cluster', allowedNamespaces: 'shop', allowedAudience: 'zerokey' });
      expect(res.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'in-cluster', tokenReviewerJwtSet: false });
      expect(typeof res.body.identityKubernetesAuth.kubernetesHost).toBe('string');
    });

    it('stored without a reviewer JWT (absent, empty or null) answers 422 tokenReviewerJwt', async () => {
      await refused(workingConfig(w, { tokenReviewerSource: 'stored', tokenReviewerJwt: undefined }), ['tokenReviewerJwt']);
      await refused(workingConfig(w, { tokenReviewerSource: 'stored', tokenReviewerJwt: '' }), ['tokenReviewerJwt']);
      await refused(workingConfig(w, { tokenReviewerSource: 'stored', tokenReviewerJwt: null }), ['tokenReviewerJwt']);
    });

    it('an unknown source is 422', async () => {
      await refused(workingConfig(w, { tokenReviewerSource: 'kubeconfig' }), ['tokenReviewerSource']);
    });

    it('accepts a static (non-JWT) reviewer bearer', async () => {
      const secret = `static-reviewer-${randomUUID()}`;
      secrets.push(secret);
      const { res } = await attached(workingConfig(w, { tokenReviewerJwt: secret }));
      expect(res.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'stored', tokenReviewerJwtSet: true });
      expectNoSecret(res);
    });
  });

  describe('TTLs and uses', () => {
    it('accessTokenTTL above accessTokenMaxTTL answers 422 accessTokenTTL', async () => {
      await refused(workingConfig(w, { accessTokenTTL: 7200, accessTokenMaxTTL: 3600 }), ['accessTokenTTL']);
      // against the default max TTL (86400)
      await refused(workingConfig(w, { accessTokenTTL: 86401 }), ['accessTokenTTL']);
    });

    it.each([
      ['accessTokenTTL', 0],
      ['accessTokenTTL', -5],
      ['accessTokenTTL', MAX_TTL + 1],
      ['accessTokenTTL', 1.5],
      ['accessTokenTTL', '60'],
      ['accessTokenMaxTTL', 0],
      ['accessTokenMaxTTL', MAX_TTL + 1],
      ['accessTokenNumUsesLimit', -1],
      ['accessTokenNumUsesLimit', 2.5],
      ['verifyTlsCertificate', 'yes'],
    ])('%s = %j answers 422 on that field', async (field, value) => {
      const extra = field === 'accessTokenTTL' ? { accessTokenMaxTTL: MAX_TTL } : {};
      await refused(workingConfig(w, { ...extra, [field]: value }), [field]);
    });

    it('accepts the bounds: TTL = max TTL = 315360000, and TTL = max TTL = 1', async () => {
      const { res } = await attached(workingConfig(w, { accessTokenTTL: MAX_TTL, accessTokenMaxTTL: MAX_TTL }));
      expect(res.body.identityKubernetesAuth).toMatchObject({ accessTokenTTL: MAX_TTL, accessTokenMaxTTL: MAX_TTL });
      const one = await attached(workingConfig(w, { accessTokenTTL: 1, accessTokenMaxTTL: 1, accessTokenNumUsesLimit: 0 }));
      expect(one.res.body.identityKubernetesAuth).toMatchObject({ accessTokenTTL: 1, accessTokenMaxTTL: 1 });
    });

    it('PATCH of accessTokenTTL alone above the stored max TTL is 422, and nothing changes', async () => {
      const { identityId, res } = await attached(workingConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 }));
      const err = expectError(await patch(identityId, { accessTokenTTL: 1201 }), 422, 'ValidationError');
      expect(fields(err)).toEqual(['accessTokenTTL']);
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
      const ok = await patch(identityId, { accessTokenTTL: 1200 });
      expect(ok.status).toBe(200);
      expect(ok.body.identityKubernetesAuth).toMatchObject({ accessTokenTTL: 1200, accessTokenMaxTTL: 1200 });
    });

    it('PATCH of accessTokenMaxTTL alone below the stored TTL is 422, and nothing changes', async () => {
      const { identityId, res } = await attached(workingConfig(w, { accessTokenTTL: 600, accessTokenMaxTTL: 1200 }));
      const err = expectError(await patch(identityId, { accessTokenMaxTTL: 599 }), 422, 'ValidationError');
      expect(fields(err)).toEqual(['accessTokenTTL']);
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
      const both = await patch(identityId, { accessTokenTTL: 60, accessTokenMaxTTL: 120 });
      expect(both.status).toBe(200);
      expect(both.body.identityKubernetesAuth).toMatchObject({ accessTokenTTL: 60, accessTokenMaxTTL: 120 });
    });
  });

  describe('bindings', () => {
    it.each([
      ['all three absent', {}],
      ['all three empty', { allowedNamespaces: '', allowedNames: '', allowedServiceAccounts: '' }],
      ['whitespace only', { allowedNamespaces: '   ', allowedNames: ' \t ', allowedServiceAccounts: ' ' }],
      ['commas only', { allowedNamespaces: ',', allowedNames: ' , ,', allowedServiceAccounts: ',,,' }],
    ])('a config that binds nothing (%s) is 422', async (_label, lists) => {
      const body: Body = { ...workingConfig(w, lists) };
      if (!('allowedNamespaces' in lists)) delete body.allowedNamespaces;
      const err = await refused(body, ['allowedNamespaces']);
      expect((err.details as Detail[])[0].message).toContain('*');
    });

    it('`*` admits every service account on purpose', async () => {
      const { res } = await attached(workingConfig(w, { allowedNamespaces: '*' }));
      expect(res.body.identityKubernetesAuth.allowedNamespaces).toBe('*');
    });

    it('any one non-empty list is enough', async () => {
      const names = await attached({ ...workingConfig(w, { allowedNamespaces: undefined }), allowedNames: 'checkout' });
      expect(names.res.body.identityKubernetesAuth).toMatchObject({ allowedNames: 'checkout', allowedNamespaces: '' });
      const pairs = await attached({ ...workingConfig(w, { allowedNamespaces: undefined }), allowedServiceAccounts: 'shop/checkout, web-*/front*' });
      expect(pairs.res.body.identityKubernetesAuth.allowedServiceAccounts).toBe('shop/checkout, web-*/front*');
    });

    it.each([['shop'], ['shop/checkout/extra'], ['/checkout'], ['shop/'], ['shop/checkout,web']])('allowedServiceAccounts %j is not namespace/name pairs: 422', async (allowedServiceAccounts) => {
      await refused(workingConfig(w, { allowedServiceAccounts }), ['allowedServiceAccounts']);
    });

    it('PATCH that empties the only binding is 422 and keeps it', async () => {
      const { identityId } = await attached(workingConfig(w));
      const err = expectError(await patch(identityId, { allowedNamespaces: ' , ' }), 422, 'ValidationError');
      expect(fields(err)).toEqual(['allowedNamespaces']);
      expect((await read(identityId)).body.identityKubernetesAuth.allowedNamespaces).toBe('shop');
    });
  });

  describe('trusted IPs', () => {
    it.each([
      ['an invalid prefix length', [{ ipAddress: '10.0.0.0/33' }]],
      ['a word', [{ ipAddress: 'nope' }]],
      ['an invalid IPv6 prefix', [{ ipAddress: '2001:db8::/129' }]],
      ['the second entry bad', [{ ipAddress: '10.0.0.0/8' }, { ipAddress: '300.1.1.1' }]],
    ])('%s answers 422 naming the entry', async (_label, accessTokenTrustedIps) => {
      const identityId = await createIdentity(w);
      const err = expectError(await attach(identityId, workingConfig(w, { accessTokenTrustedIps })), 422, 'ValidationError');
      const bad = accessTokenTrustedIps.length - 1;
      expect(fields(err)).toEqual([`accessTokenTrustedIps.${bad}.ipAddress`]);
      expect(await configRow(identityId)).toBeUndefined();
    });

    it.each([
      ['an empty list', []],
      ['a string instead of a list', '10.0.0.0/8'],
      ['entries without ipAddress', [{}]],
      ['entries with unknown keys', [{ ipAddress: '10.0.0.0/8', note: 'x' }]],
    ])('%s answers 422', async (_label, accessTokenTrustedIps) => {
      const identityId = await createIdentity(w);
      const err = expectError(await attach(identityId, workingConfig(w, { accessTokenTrustedIps })), 422, 'ValidationError');
      expect(fields(err).every((f) => f.startsWith('accessTokenTrustedIps'))).toBe(true);
      expect(fields(err).length).toBeGreaterThan(0);
      expect(await configRow(identityId)).toBeUndefined();
    });

    it('accepts IPv4 and IPv6 addresses and CIDRs and returns them as given', async () => {
      const accessTokenTrustedIps = [{ ipAddress: '2001:db8::/32' }, { ipAddress: 'fd00::1' }, { ipAddress: '192.168.0.0/16' }, { ipAddress: '10.1.2.3' }];
      const { identityId, res } = await attached(workingConfig(w, { accessTokenTrustedIps }));
      expect(res.body.identityKubernetesAuth.accessTokenTrustedIps).toEqual(accessTokenTrustedIps);
      expect((await read(identityId)).body.identityKubernetesAuth.accessTokenTrustedIps).toEqual(accessTokenTrustedIps);
    });
  });

  describe('warnings', () => {
    it('AudienceNotSet when allowedAudience is empty; none once it is set (PATCH answers warnings too)', async () => {
      const { identityId, res } = await attached(workingConfig(w, { allowedAudience: '' }));
      expect(codes(res)).toEqual(['AudienceNotSet']);
      const set = await patch(identityId, { allowedAudience: 'zerokey' });
      expect(set.status).toBe(200);
      expect(Object.keys(set.body).sort()).toEqual(['identityKubernetesAuth', 'warnings']);
      expect(set.body.warnings).toEqual([]);
      const cleared = await patch(identityId, { allowedAudience: '' });
      expect(codes(cleared)).toEqual(['AudienceNotSet']);
      for (const warning of cleared.body.warnings) expect(warning).toEqual({ code: expect.any(String), message: expect.stringMatching(/\S/) });
    });
  });

  describe('PATCH', () => {
    it('keeps every omitted field, bumps updatedAt and version, and GET agrees', async () => {
      const { identityId, res } = await attached(
        workingConfig(w, {
          allowedNames: 'checkout',
          allowedServiceAccounts: 'shop/*',
          accessTokenTTL: 300,
          accessTokenMaxTTL: 900,
          accessTokenNumUsesLimit: 7,
          accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }],
        }),
      );
      const original = res.body.identityKubernetesAuth;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const patched = await patch(identityId, { accessTokenNumUsesLimit: 3 });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      const { updatedAt: _u, ...unchanged } = original;
      expect(patched.body.identityKubernetesAuth).toEqual({ ...unchanged, accessTokenNumUsesLimit: 3, updatedAt: expect.any(String) });
      expect(Date.parse(patched.body.identityKubernetesAuth.updatedAt)).toBeGreaterThan(Date.parse(original.updatedAt));
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(patched.body.identityKubernetesAuth);
      expect(Number((await configRow(identityId))?.version)).toBe(2);

      const empty = await patch(identityId, {});
      expect(empty.status).toBe(200);
      expect({ ...empty.body.identityKubernetesAuth, updatedAt: 0 }).toEqual({ ...patched.body.identityKubernetesAuth, updatedAt: 0 });
      expect(Number((await configRow(identityId))?.version)).toBe(3);
    });

    it.each([
      'kubernetesHost',
      'caCert',
      'verifyTlsCertificate',
      'tokenReviewerSource',
      'allowedNamespaces',
      'allowedNames',
      'allowedServiceAccounts',
      'allowedAudience',
      'accessTokenTTL',
      'accessTokenMaxTTL',
      'accessTokenNumUsesLimit',
      'accessTokenTrustedIps',
    ])('%s: null answers 422 on that field and changes nothing', async (field) => {
      const { identityId, res } = await attached(workingConfig(w));
      const err = expectError(await patch(identityId, { [field]: null }), 422, 'ValidationError');
      expect(fields(err)).toEqual([field]);
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
      expect(Number((await configRow(identityId))?.version)).toBe(1);
    });

    it('tokenReviewerJwt: null with the source still stored is 422 and keeps the JWT', async () => {
      const { identityId } = await attached(workingConfig(w));
      const before = await configRow(identityId);
      const err = expectError(await patch(identityId, { tokenReviewerJwt: null }), 422, 'ValidationError');
      expect(fields(err)).toEqual(['tokenReviewerJwt']);
      const after = await configRow(identityId);
      expect(after?.tokenReviewerJwtEncrypted).toBe(before?.tokenReviewerJwtEncrypted);
      expect((await read(identityId)).body.identityKubernetesAuth.tokenReviewerJwtSet).toBe(true);
    });

    it('tokenReviewerJwt: null with tokenReviewerSource client in the same PATCH clears it', async () => {
      const { identityId } = await attached(workingConfig(w, { allowedAudience: '' }));
      const res = await patch(identityId, { tokenReviewerJwt: null, tokenReviewerSource: 'client' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'client', tokenReviewerJwtSet: false });
      expect((await read(identityId)).body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'client', tokenReviewerJwtSet: false });
      const row = await configRow(identityId);
      expect(row?.tokenReviewerJwtEncrypted).toBeNull();
      // back to stored: needs a JWT again
      expect(fields(expectError(await patch(identityId, { tokenReviewerSource: 'stored' }), 422, 'ValidationError'))).toEqual(['tokenReviewerJwt']);
      const secret = `static-reviewer-${randomUUID()}`;
      secrets.push(secret);
      const restored = await patch(identityId, { tokenReviewerSource: 'stored', tokenReviewerJwt: secret });
      expect(restored.status).toBe(200);
      expect(restored.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'stored', tokenReviewerJwtSet: true });
      expectNoSecret(restored);
    });

    it('tokenReviewerJwt: "" is 422 (null is the way to clear)', async () => {
      const { identityId } = await attached(workingConfig(w));
      expect(fields(expectError(await patch(identityId, { tokenReviewerJwt: '' }), 422, 'ValidationError'))).toEqual(['tokenReviewerJwt']);
    });

    it('a new reviewer JWT replaces the ciphertext and is still never returned', async () => {
      const { identityId } = await attached(workingConfig(w));
      const before = await configRow(identityId);
      const secret = `static-reviewer-${randomUUID()}`;
      secrets.push(secret);
      const res = await patch(identityId, { tokenReviewerJwt: secret });
      expect(res.status).toBe(200);
      expect(res.body.identityKubernetesAuth.tokenReviewerJwtSet).toBe(true);
      expectNoSecret(res);
      expectNoSecret(await read(identityId));
      const after = await configRow(identityId);
      expect(after?.tokenReviewerJwtEncrypted).toEqual(expect.any(String));
      expect(after?.tokenReviewerJwtEncrypted).not.toBe(before?.tokenReviewerJwtEncrypted);
    });

    it('the tokenReviewerSource default applies on attach only: a JWT PATCHed onto a client config keeps source client', async () => {
      const { identityId } = await attached({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, allowedNamespaces: 'shop' });
      const secret = `static-reviewer-${randomUUID()}`;
      secrets.push(secret);
      const res = await patch(identityId, { tokenReviewerJwt: secret });
      expect(res.status).toBe(200);
      expect(res.body.identityKubernetesAuth).toMatchObject({ tokenReviewerSource: 'client', tokenReviewerJwtSet: true });
    });

    it('unknown fields are 422 and change nothing', async () => {
      const { identityId, res } = await attached(workingConfig(w));
      const err = expectError(await patch(identityId, { id: randomUUID(), version: 9 }), 422, 'ValidationError');
      expect(fields(err).sort()).toEqual(['id', 'version']);
      expect((await read(identityId)).body.identityKubernetesAuth).toEqual(res.body.identityKubernetesAuth);
    });
  });

  describe('the reviewer token never leaves', () => {
    it('no response body of this file contained a reviewer token, a tokenReviewerJwt key or the ciphertext', () => {
      expect(seen.length).toBeGreaterThan(50);
      for (const text of seen) {
        expect(text).not.toContain(w.reviewerJwt);
        expect(text).not.toContain(w.reviewerJwt.split('.')[2]);
        for (const secret of secrets) expect(text).not.toContain(secret);
        expect(hasKey(JSON.parse(text), 'tokenReviewerJwt')).toBe(false);
        expect(text).not.toContain('tokenReviewerJwtEncrypted');
      }
    });

    it('the stored column holds AES-GCM ciphertext, never the token', async () => {
      const rows: Body[] = await w.t.app.get(DataSource).query('SELECT tokenReviewerJwtEncrypted FROM kubernetes_auth_configs WHERE tokenReviewerJwtEncrypted IS NOT NULL');
      expect(rows.length).toBeGreaterThan(10);
      for (const { tokenReviewerJwtEncrypted: value } of rows) {
        expect(value).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        expect(value).not.toContain(w.reviewerJwt.split('.')[2]);
        for (const secret of secrets) expect(value).not.toContain(secret);
        for (const text of seen) expect(text).not.toContain(value as string);
      }
    });
  });
});
