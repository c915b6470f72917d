import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, expectError } from '../../support/api-client.js';
import { checkoutToken, identityWithConfig, type KubernetesWorld, startKubernetesWorld } from '../../support/kubernetes-fixture.js';

/** Newer Infisical clients send `organizationSlug`, older ones `subOrganizationName` (DESIGN.md "API"). */
describe('Kubernetes login: organizationSlug and subOrganizationName', () => {
  let w: KubernetesWorld;
  let identityId: string;
  let slug: string;
  const send = (body: Record<string, unknown>) => request(w.t.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt: checkoutToken(w), ...body });

  beforeAll(async () => {
    w = await startKubernetesWorld();
    identityId = await identityWithConfig(w);
    const orgs = await request(w.t.url).get('/api/v1/organizations').set(auth(w.admin.token));
    slug = orgs.body.organizations[0].slug as string;
    expect(slug).toMatch(/^acme-[0-9a-f]{6}$/);
  });
  afterAll(async () => w?.close());

  it('accepts the identity organization slug under either name', async () => {
    for (const body of [{ organizationSlug: slug }, { subOrganizationName: slug }, { organizationSlug: slug, subOrganizationName: slug }, {}]) {
      const res = await send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.tokenType).toBe('Bearer');
    }
  });

  it('answers a slug of no organization, or of another one, like an unknown identity', async () => {
    const other = await request(w.t.url).post('/api/v1/organizations').set(auth(w.admin.token)).send({ name: 'Other' });
    expect(other.status).toBe(201);
    for (const body of [{ organizationSlug: 'nope' }, { subOrganizationName: other.body.organization.slug }, { organizationSlug: slug.toUpperCase() }]) {
      expectError(await send(body), 404, 'KubernetesAuthNotConfigured');
    }
  });

  it('refuses a slug that is not a string, or null, with 422', async () => {
    for (const body of [{ organizationSlug: 5 }, { subOrganizationName: null }, { organizationSlug: 'x'.repeat(81) }]) {
      const res = await send(body);
      expectError(res, 422, 'ValidationError');
    }
  });
});
