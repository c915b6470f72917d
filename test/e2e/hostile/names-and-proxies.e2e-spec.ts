import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError, PASSWORD } from '../../support/api-client.js';
import { auditRowsFor } from '../../support/audit.js';
import { checkoutToken, createIdentity, identityWithConfig, type KubernetesWorld, login, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/*
 * Unicode, NUL and control characters in what is stored and shown (identity and organization
 * names, metadata, emails, the reviewer token), and X-Forwarded-For as attacker input when
 * TRUST_PROXY=true. Every value must either round-trip exactly or be refused with 422, on SQLite
 * and on MySQL alike.
 */

const mysql = process.env.DB_TYPE === 'mysql';

let w: KubernetesWorld;

beforeAll(async () => {
  w = await startKubernetesWorld({ TRUST_PROXY: 'true' });
});

afterAll(async () => {
  await w?.close();
});

const createIdentityRaw = (body: Record<string, unknown>): request.Test => request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).send({ organizationId: w.admin.orgId, ...body });

describe('identity names', () => {
  const names = [
    'n01-中文名字',
    'n02-العربية',
    'n03-\u202eevil.exe',
    'n04-e\u0301\u0301\u0301',
    'n05-Z̷̡̛̠͓̈a̴̢̛͚̝̓l̸̨̛̥̓g̶̡̛̝̈o̵̢̡͗',
    'n06-🚀',
    'n07-\u200b\u200d\ufeff-zw',
    'n08-Ω≈ç√∫',
    `n09-${'💥'.repeat(125)}`,
    "n10-' OR '1'='1",
    'n11-<script>alert(1)</script>',
    'n12-%00%2e%2e',
  ];

  it.each(names)('%s round-trips exactly: create, read, search', async (name) => {
    const created = await createIdentityRaw({ name });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.identity.name).toBe(name);
    const read = await request(w.t.url).get(`/api/v1/identities/${created.body.identity.id}`).set(auth(w.admin.token));
    expect(read.body.identity.name).toBe(name);
    const found = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities?search=${encodeURIComponent(name.slice(0, 4))}`).set(auth(w.admin.token));
    expect((found.body.identities as { name: string }[]).map((i) => i.name)).toContain(name);
  });

  it.each(['n-nul\u0000', 'n-bell\u0007', 'n-esc\u001b[31mred', 'n-line\nbreak', 'n-del\u007f', 'n-tab\tx', '\u0000'])('%j is refused with 422 (control characters)', async (name) => {
    const body = expectError(await createIdentityRaw({ name }), 422, 'ValidationError');
    expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['name']);
  });

  it.each([
    ['a lone high surrogate in a name', '{"name":"n-\\ud800-x"}', 'name'],
    ['a lone low surrogate at the end of a name', '{"name":"n-x\\udfff"}', 'name'],
    ['a reversed pair', '{"name":"n-\\udc00\\ud800"}', 'name'],
    ['a lone surrogate in a metadata value', '{"name":"n-meta","metadata":{"k":"v\\ud83d"}}', 'metadata.k'],
  ])('%s is refused with 422 instead of being stored altered (U+FFFD)', async (_case, json, field) => {
    const raw = json.replace('{', `{"organizationId":"${w.admin.orgId}",`);
    const res = await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).set('Content-Type', 'application/json').send(raw);
    const body = expectError(res, 422, 'ValidationError');
    expect((body.details as { field: string }[]).map((d) => d.field)).toEqual([field]);
    const listed = await request(w.t.url).get(`/api/v1/organizations/${w.admin.orgId}/identities?search=n-`).set(auth(w.admin.token));
    expect((listed.body.identities as { name: string }[]).some((i) => i.name.includes('\ufffd'))).toBe(false);
  });

  it('a well-formed surrogate pair written as JSON escapes round-trips exactly', async () => {
    const raw = `{"organizationId":"${w.admin.orgId}","name":"n-pair-\\ud83d\\ude80"}`;
    const created = await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).set('Content-Type', 'application/json').send(raw);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = await request(w.t.url).get(`/api/v1/identities/${created.body.identity.id}`).set(auth(w.admin.token));
    expect(read.body.identity.name).toBe('n-pair-🚀');
  });

  it('the 255-character limit counts characters, not bytes: 255 four-byte emoji fit (the varchar(255) column on MySQL too), 256 do not', async () => {
    expectError(await createIdentityRaw({ name: 'x'.repeat(256) }), 422, 'ValidationError');
    expectError(await createIdentityRaw({ name: '🔥'.repeat(256) }), 422, 'ValidationError');
    const longest = await createIdentityRaw({ name: `🔥${'x'.repeat(254)}` });
    expect(longest.status, JSON.stringify(longest.body)).toBe(201);
    const emoji = await createIdentityRaw({ name: `a${'🐝'.repeat(254)}` });
    expect(emoji.status, JSON.stringify(emoji.body)).toBe(201);
    expect(emoji.body.identity.name).toBe(`a${'🐝'.repeat(254)}`);
  });

  it('names that differ only in emoji: distinct on SQLite; MySQL’s utf8mb4_unicode_ci collation may count them as equal (409, never a 5xx)', async () => {
    const first = await createIdentityRaw({ name: 'deploy-🐢' });
    expect(first.status).toBe(201);
    for (const name of ['deploy-🐇', 'deploy-\u{1F9A9}']) {
      const second = await createIdentityRaw({ name });
      // On MySQL a collision is a 409 (docs/security.md, residual risks); a binary collation would make it a 201.
      if (mysql && second.status !== 201) expectError(second, 409, 'IdentityNameTaken');
      else expect(second.status).toBe(201);
    }
  });
});

describe('metadata, organization names, emails', () => {
  it('metadata values and keys with NUL, RTL, zero-width and astral characters round-trip exactly', async () => {
    const metadata = { 'k-nul\u0000': 'v\u0000v', 'k-rtl': '\u202eabc', 'k-zw': '\u200b', 'k-🚀': '🚀'.repeat(512), 'k-quote': '"\'\\', 'k-empty': '' };
    const created = await createIdentityRaw({ name: 'meta-roundtrip', metadata });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = await request(w.t.url).get(`/api/v1/identities/${created.body.identity.id}`).set(auth(w.admin.token));
    expect(read.body.identity.metadata).toEqual(metadata);
  });

  it('metadata that is not a flat object of strings is refused with 422', async () => {
    for (const metadata of [{ a: 1 }, { a: null }, { a: { b: 'c' } }, ['a'], 'a', { ['x'.repeat(65)]: 'v' }, { a: 'x'.repeat(1025) }, Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))]) {
      const body = expectError(await createIdentityRaw({ name: 'meta-bad', metadata }), 422, 'ValidationError');
      expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['metadata']);
    }
  });

  it('a JSON body with __proto__ or constructor.prototype keys is refused with 400 and pollutes nothing', async () => {
    for (const raw of [`{"name":"p1","organizationId":"${w.admin.orgId}","__proto__":{"role":"admin"}}`, `{"name":"p2","organizationId":"${w.admin.orgId}","metadata":{"__proto__":{"x":"y"}}}`, `{"name":"p3","organizationId":"${w.admin.orgId}","constructor":{"prototype":{"role":"admin"}}}`]) {
      expectError(await request(w.t.url).post('/api/v1/identities').set(auth(w.admin.token)).set('Content-Type', 'application/json').send(raw), 400, 'BadRequest');
    }
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('organization names: unicode round-trips (with an ASCII slug), control characters are refused', async () => {
    const created = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name: 'Équipe 中文 🚀' });
    expect(created.status).toBe(201);
    expect(created.body.organization.name).toBe('Équipe 中文 🚀');
    expect(created.body.organization.slug).toMatch(/^[a-z0-9-]+$/);
    for (const name of ['a\u0000b', 'esc\u001b[2J', 'line\nbreak']) {
      expectError(await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name }), 422, 'ValidationError');
      expectError(await request(w.t.url).post('/api/v1/admin/bootstrap').send({ email: 'x@example.com', password: PASSWORD, organization: name }), 422, 'ValidationError');
    }
  });

  it('a unicode email becomes a member who can log in (case-insensitively); NUL or control characters in an email are refused', async () => {
    const added = await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/memberships`).set(auth(w.admin.token)).send({ email: 'Ünïcødé@Exämple.com', password: PASSWORD, role: 'viewer' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.membership.email).toBe('ünïcødé@exämple.com');
    const session = await request(w.t.url).post('/api/v1/auth/login').send({ email: 'ÜNÏCØDÉ@EXÄMPLE.COM', password: PASSWORD });
    expect(session.status).toBe(200);
    for (const email of ['a\u0000b@example.com', 'ab@exam\u0000ple.com', 'a\nb@example.com', '\u0000']) {
      expectError(await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/memberships`).set(auth(w.admin.token)).send({ email, password: PASSWORD, role: 'viewer' }), 422, 'ValidationError');
    }
    // The session login takes any string as the email. SQLite compares it exactly; MySQL's
    // utf8mb4_unicode_ci ignores NUL and accents, so there the variant names the same account
    // (the password still has to be right; see docs/security.md on the per-account back-off).
    const variant = await request(w.t.url).post('/api/v1/auth/login').send({ email: 'admin@example.com\u0000', password: PASSWORD });
    if (mysql && variant.status === 200) expect(variant.body.tokenType).toBe('Bearer');
    else expectError(variant, 401, 'InvalidCredentials');
  });

  it('passwords with NUL, astral and combining characters work (NFKC-normalized)', async () => {
    const password = 'p\u0000ss-🔑-e\u0301-ﬁ-中文';
    const added = await request(w.t.url).post(`/api/v1/organizations/${w.admin.orgId}/memberships`).set(auth(w.admin.token)).send({ email: 'pw@example.com', password, role: 'viewer' });
    expect(added.status).toBe(201);
    expect((await request(w.t.url).post('/api/v1/auth/login').send({ email: 'pw@example.com', password })).status).toBe(200);
    expect((await request(w.t.url).post('/api/v1/auth/login').send({ email: 'pw@example.com', password: password.normalize('NFKC') })).status).toBe(200);
    expectError(await request(w.t.url).post('/api/v1/auth/login').send({ email: 'pw@example.com', password: password.replace('\u0000', '') }), 401, 'InvalidCredentials');
  });
});

describe('the reviewer token is a bearer: visible ASCII only', () => {
  it.each([
    ['a line break', 'eyJhbGciOi.x\n'],
    ['a space', 'static token'],
    ['a tab', 'static\ttoken'],
    ['latin-1', 'tökén'],
    ['16k three-byte characters (too long for a TEXT column once encrypted, on MySQL)', '中'.repeat(16_380)],
    ['NUL', 'token\u0000'],
  ])('a reviewer token with %s is refused at write with 422', async (_label, tokenReviewerJwt) => {
    const identityId = await createIdentity(w);
    const res = await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt, allowedNamespaces: 'shop' });
    const body = expectError(res, 422, 'ValidationError');
    expect((body.details as { field: string }[]).map((d) => d.field)).toEqual(['tokenReviewerJwt']);
  });

  it('the longest allowed reviewer token (16384 visible ASCII characters) is stored, on MySQL too', async () => {
    const identityId = await createIdentity(w);
    const res = await request(w.t.url).post(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(auth(w.admin.token)).send({ kubernetesHost: w.sim.url, caCert: w.sim.caPem, tokenReviewerJwt: '~'.repeat(16_384), allowedNamespaces: 'shop' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.identityKubernetesAuth.tokenReviewerJwtSet).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain('~~~~');
  });
});

describe('X-Forwarded-For with TRUST_PROXY=true', () => {
  it('a non-address longer than the column is stored cut to 64 characters: the writes that record it (session, audit) do not fail', async () => {
    const xff = `attacker-${'x'.repeat(200)}`;
    const session = await request(w.t.url).post('/api/v1/auth/login').set('X-Forwarded-For', xff).send({ email: 'admin@example.com', password: PASSWORD });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const audit = await request(w.t.url).get('/api/v1/admin/audit-logs?event=auth.login&outcome=success&limit=1').set(auth(w.admin.token));
    expect(audit.body.auditLogs[0].ip).toBe(xff.slice(0, 64));
  });

  it('a Kubernetes login from a non-address is refused as untrusted and still audited', async () => {
    const identityId = await identityWithConfig(w);
    for (const xff of ['garbage', 'x'.repeat(300), 'unknown', '[::1]:8080', '1.2.3.4.5', '']) {
      const res = await login(w, identityId, checkoutToken(w), { 'X-Forwarded-For': xff });
      if (xff === '') expect(res.status).toBe(200);
      else expectError(res, 403, 'IpNotTrusted');
    }
    const rows = await auditRowsFor(w.t, identityId);
    expect(rows.filter((r) => r.errorCode === 'IpNotTrusted')).toHaveLength(5);
  });

  it('the client IP is the leftmost X-Forwarded-For entry: the proxy in front must overwrite the header, not append to it', async () => {
    // What a client can do through a proxy that appends ($proxy_add_x_forwarded_for): name any
    // address it likes as its own. Documented in docs/security.md as an operator requirement.
    const identityId = await identityWithConfig(w, { accessTokenTrustedIps: [{ ipAddress: '10.0.0.0/8' }] });
    expectError(await login(w, identityId, checkoutToken(w)), 403, 'IpNotTrusted');
    const spoofed = await login(w, identityId, checkoutToken(w), { 'X-Forwarded-For': '10.9.9.9, 127.0.0.1' });
    expect(spoofed.status).toBe(200);
  });
});
