import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../support/api-client.js';
import { KubernetesSimulator } from '../support/kubernetes-simulator/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { expectSaved, focusedLabel, launchBrowser, openPage, type PageProblems, screenshot, tabTo } from './browser.js';

const ADMIN = 'platform@example.com';
const VIEWER = 'auditor@example.com';

/**
 * The admin console (docs/console.md) driven in Debian's chromium against the real service and
 * the Kubernetes simulator: first run, sign-in, an identity with Kubernetes auth attached through
 * the form, its check, a workload's login seen as a token and an audit event, revocation, clusters,
 * members, audit filters, instance settings, account, a viewer, the keyboard and a narrow window.
 * The steps share one instance and run in order.
 */
describe('admin console in a browser', () => {
  let t: TestApp;
  let sim: KubernetesSimulator;
  let reviewerJwt: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  let orgId: string;
  let identityId: string;
  let workloadToken: string;
  const ui = (path = '') => `${t.url}/ui/${path}`;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    reviewerJwt = sim.createReviewer();
    sim.createServiceAccount('shop', 'checkout');
    sim.createPod('shop', 'checkout-7d9f', 'checkout');
    t = await startTestApp({ KUBERNETES_TIMEOUT_MS: '3000' });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, problems } = await openPage(context));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.stop();
  });

  it('serves the console under /ui/ with a strict CSP and no inline script', async () => {
    const answer = await request(t.url).get('/ui/');
    expect(answer.status).toBe(200);
    const csp = answer.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(answer.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // The app's own routes survive a reload; a missing file is a 404 in the API's error shape.
    expect((await request(t.url).get('/ui/orgs/x/identities')).headers['content-security-policy']).toBe(csp);
    const missing = await request(t.url).get('/ui/assets/missing-0000.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('NotFound');
    expect((await request(t.url).get('/ui')).headers.location).toBe('/ui/');
  });

  it('first run: the setup screen creates the super admin and the organization', async () => {
    await page.goto(ui());
    await page.waitForURL(/\/ui\/setup$/);
    await screenshot(page, 'setup');
    await page.getByLabel('Email', { exact: true }).fill(ADMIN);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Organization name').fill('Acme Platform');
    await page.getByRole('button', { name: 'Create user and organization' }).click();
    await page.waitForURL(/\/ui\/orgs\/[0-9a-f-]{36}\/identities$/);
    orgId = /orgs\/([0-9a-f-]{36})\//.exec(page.url())![1];
    await page.getByRole('heading', { name: 'Identities of Acme Platform' }).waitFor();
    expect((await request(t.url).get('/api/v1/admin/bootstrap')).body).toEqual({ bootstrapped: true });
  });

  it('signs out and in again; the session lives in sessionStorage only', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/ui\/sign-in$/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.getByLabel('Email', { exact: true }).fill(ADMIN);
    await page.getByLabel('Password', { exact: true }).fill('wrong password, surely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-error-code="InvalidCredentials"]').waitFor();
    await screenshot(page, 'sign-in-error');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/identities$/);
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
    expect(storage).toEqual({ local: 0, session: ['zerokey.session'] });
    expect(await page.locator('script:not([src])').count()).toBe(0);
  });

  it('creates an identity; a duplicate name shows its code and links the troubleshooting entry', async () => {
    await page.getByRole('button', { name: 'New identity' }).click();
    await page.getByLabel('Name', { exact: true }).fill('checkout-service');
    await page.getByLabel('Metadata').fill('team=payments');
    await page.getByRole('button', { name: 'Create identity' }).click();
    await page.waitForURL(/\/identities\/[0-9a-f-]{36}\/kubernetes$/);
    identityId = /identities\/([0-9a-f-]{36})\//.exec(page.url())![1];

    await page.getByRole('link', { name: 'Settings' }).click();
    expect(await page.getByLabel('Metadata').inputValue()).toBe('team=payments');
    await screenshot(page, 'identity-settings');

    await page.goto(ui(`orgs/${orgId}/identities`));
    await page.getByRole('button', { name: 'New identity' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Checkout-Service');
    await page.getByRole('button', { name: 'Create identity' }).click();
    const error = page.locator('[data-error-code="IdentityNameTaken"]');
    await error.waitFor();
    expect(await error.textContent()).toContain('(409)');
    await error.getByRole('link', { name: /What IdentityNameTaken means/ }).click();
    await page.waitForURL(/\/ui\/help\/troubleshooting#IdentityNameTaken$/);
    await page.locator('h4#IdentityNameTaken').waitFor();
    expect(await page.locator('h4#IdentityNameTaken').textContent()).toContain('IdentityNameTaken');
    await screenshot(page, 'troubleshooting', { fullPage: false });
    await page.goBack();
    await page.getByRole('link', { name: 'checkout-service' }).waitFor();
    await screenshot(page, 'identities');
  });

  it('attaches Kubernetes auth through the form; a missing audience warns live and on save', async () => {
    await page.goto(ui(`orgs/${orgId}/identities/${identityId}/kubernetes`));
    await page.getByLabel('Kubernetes API server URL').fill(sim.url);
    await page.getByLabel('CA certificate (PEM)').fill(sim.caPem);
    await page.getByLabel('Reviewer token').fill(reviewerJwt);
    await page.getByLabel('Allowed namespaces').fill('shop');
    await page.getByLabel('Allowed service account names').fill('checkout');
    await page.getByLabel('Allowed pod names').fill('checkout-*');
    const warning = page.locator('[data-warning="AudienceNotSet"]');
    expect(await warning.count()).toBe(0);
    await page.getByLabel('Allowed audience').fill('');
    await warning.waitFor();
    await page.getByLabel('Verify the API server\'s TLS certificate').uncheck();
    await page.locator('[data-warning="TlsVerificationDisabled"]').waitFor();
    await page.getByLabel('Verify the API server\'s TLS certificate').check();
    expect(await page.locator('[data-warning="TlsVerificationDisabled"]').count()).toBe(0);
    await page.getByLabel('TTL (seconds)', { exact: true }).fill('600');
    await page.getByLabel('Trusted IPs').fill('127.0.0.1/32, ::1');
    await page.getByRole('button', { name: 'Attach Kubernetes auth' }).click();
    await expectSaved(page);
    // The service's own answer: the same warning, now from the write.
    await page.locator('[data-warning="AudienceNotSet"]').waitFor();
    await screenshot(page, 'kubernetes-auth-form');
    const stored = await request(t.url).get(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(await adminAuth());
    expect(stored.status).toBe(200);
    expect(stored.body.identityKubernetesAuth).toMatchObject({
      kubernetesHost: sim.url,
      tokenReviewerSource: 'stored',
      tokenReviewerJwtSet: true,
      allowedNamespaces: 'shop',
      allowedNames: 'checkout',
      allowedPodNames: 'checkout-*',
      allowedAudience: '',
      accessTokenTTL: 600,
      accessTokenTrustedIps: [{ ipAddress: '127.0.0.1/32' }, { ipAddress: '::1' }],
    });
    // The reviewer token is write-only: nothing in the page shows it.
    expect(await page.content()).not.toContain(reviewerJwt);
  });

  it('edits the config: a namespace selector and the audience, sent as a PATCH of the changed fields', async () => {
    await page.getByLabel('Allowed audience').fill('zerokey');
    await page.waitForFunction(() => !document.querySelector('[data-warning="AudienceNotSet"]'));
    await page.getByLabel('Also admit namespaces by their labels').check();
    await page.getByRole('button', { name: 'Add label' }).click();
    await page.getByLabel('Label key 1').fill('team');
    await page.getByLabel('Value 1').fill('payments');
    await page.getByRole('button', { name: 'Add expression' }).click();
    await page.getByLabel('Expression key 1').fill('environment');
    await page.getByLabel('Operator 1').selectOption('NotIn');
    await page.getByLabel('Values 1 (comma-separated)').fill('sandbox, dev');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectSaved(page);
    const stored = (await request(t.url).get(`/api/v1/auth/kubernetes-auth/identities/${identityId}`).set(await adminAuth())).body.identityKubernetesAuth;
    expect(stored.allowedAudience).toBe('zerokey');
    expect(stored.namespaceSelector).toEqual({ matchLabels: { team: 'payments' }, matchExpressions: [{ key: 'environment', operator: 'NotIn', values: ['sandbox', 'dev'] }] });
    const updated = await request(t.url).get(`/api/v1/organizations/${orgId}/audit-logs`).query({ event: 'kubernetes-auth.updated' }).set(await adminAuth());
    expect(updated.body.auditLogs[0].metadata.fields.sort()).toEqual(['allowedAudience', 'namespaceSelector']);
    // A refused write names its field in the form.
    await page.getByLabel('Max TTL (seconds)').fill('60');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('[data-error-code="ValidationError"]').waitFor();
    expect(await page.locator('.field.invalid').count()).toBeGreaterThan(0);
    await page.reload();
    await page.getByLabel('Also admit namespaces by their labels').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectSaved(page);
  });

  it('runs the connection check and shows it as a checklist', async () => {
    await page.getByRole('button', { name: 'Run check' }).click();
    const report = page.getByRole('region', { name: 'Connection check' });
    await report.getByRole('heading', { name: 'All checks passed' }).waitFor();
    for (const item of ['The API server answers', 'TLS verified', 'The reviewer may create TokenReviews', 'Kubernetes version']) {
      expect(await report.locator(`[data-check="${item}"]`).getAttribute('class')).toContain('ok');
    }
    await screenshot(page, 'connection-check');
  });

  it('shows a workload’s login as an access token and an audit event, and revokes it', async () => {
    const jwt = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', pod: 'checkout-7d9f', audience: 'zerokey' });
    const login = await request(t.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt });
    expect(login.status).toBe(200);
    workloadToken = login.body.accessToken;
    await page.getByRole('link', { name: 'Access tokens' }).click();
    const row = page.locator('tr[data-token-id]');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('shop/checkout (pod checkout-7d9f)');
    expect(await row.textContent()).toContain('active');
    expect(await page.content()).not.toContain(workloadToken);
    await screenshot(page, 'access-tokens');

    await page.getByRole('link', { name: 'Audit events' }).click();
    const event = page.locator('tr[data-event="kubernetes-auth.login"]');
    await event.first().waitFor();
    expect(await event.first().getAttribute('data-outcome')).toBe('success');
    await screenshot(page, 'identity-audit');

    await page.getByRole('link', { name: 'Access tokens' }).click();
    await page.getByRole('button', { name: /^Revoke token / }).click();
    await page.locator('tr[data-token-id] td.state-revoked').waitFor();
    const self = await request(t.url).get('/api/v1/auth/token/self').set({ Authorization: `Bearer ${workloadToken}` });
    expect(self.status).toBe(401);
    expect(self.body.error).toBe('AccessTokenRevoked');

    // Revoke all: two fresh logins, one click, both refused after.
    const tokens = await Promise.all(
      [1, 2].map(async () => (await request(t.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt })).body.accessToken as string),
    );
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-token-id]').length === 3);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke all' }).click();
    await page.getByText('2 token(s) revoked.').waitFor();
    for (const token of tokens) expect((await request(t.url).get('/api/v1/auth/token/self').set({ Authorization: `Bearer ${token}` })).body.error).toBe('AccessTokenRevoked');
  });

  it('clusters: creates one, its check reports a refused reviewer with the fix, and it is listed', async () => {
    await page.getByRole('link', { name: 'Clusters' }).click();
    await page.getByRole('link', { name: 'New cluster' }).click();
    await page.getByLabel('Name', { exact: true }).fill('prod-eu-1');
    await page.getByLabel('Kubernetes API server URL').fill(sim.url);
    await page.getByLabel('CA certificate (PEM)').fill(sim.caPem);
    await page.getByLabel('Reviewer token').fill('not-a-valid-reviewer-token');
    await page.getByLabel('Verification').selectOption('jwks');
    await page.locator('[data-warning="NoRevocationCheck"]').waitFor();
    await page.getByLabel('Verification').selectOption('token-review');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.waitForURL(/\/clusters\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Run check' }).click();
    const report = page.getByRole('region', { name: 'Connection check' });
    await report.getByRole('heading', { name: /problem/ }).waitFor();
    expect(await report.locator('[data-check="The reviewer may create TokenReviews"]').getAttribute('class')).toContain('bad');
    const fix = report.locator('[data-error-code="TokenReviewerUnauthorized"]');
    await fix.waitFor();
    expect(await fix.getByRole('link').getAttribute('href')).toBe('/ui/help/troubleshooting#TokenReviewerUnauthorized');
    await screenshot(page, 'cluster');
    // Fixed with the right reviewer: one PATCH, then every check passes.
    await page.getByLabel('Replace the reviewer token').fill(reviewerJwt);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectSaved(page);
    await page.getByRole('button', { name: 'Run check' }).click();
    await report.getByRole('heading', { name: 'All checks passed' }).waitFor();
    await page.getByRole('link', { name: 'Clusters' }).first().click();
    await page.getByRole('link', { name: 'prod-eu-1' }).waitFor();
    await screenshot(page, 'clusters');
  });

  it('members: adds a viewer', async () => {
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Email', { exact: true }).fill(VIEWER);
    await page.getByLabel('Initial password').fill(PASSWORD);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('cell', { name: VIEWER }).waitFor();
    await screenshot(page, 'members');
  });

  it('audit log: every filter narrows the list', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tr[data-event]').first().waitFor();
    const events = async () => page.locator('tr[data-event]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-event')}:${r.getAttribute('data-outcome')}`));
    expect((await events()).length).toBeGreaterThan(5);
    await page.getByLabel('Event', { exact: true }).fill('identity.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-event]')].every((r) => r.getAttribute('data-event') === 'identity.created'));
    expect(await events()).toEqual(['identity.created:success']);
    await page.getByLabel('Event', { exact: true }).fill('');
    await page.getByLabel('Identity id').fill(identityId);
    await page.getByLabel('Outcome').selectOption('success');
    const from = new Date(Date.now() - 3600_000);
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByLabel('From', { exact: true }).fill(local(from));
    await page.getByLabel('To', { exact: true }).fill(local(new Date(Date.now() + 3600_000)));
    // The previous filter's rows would pass any "no such event" check: wait until the table shows this answer's rows.
    const answer = page.waitForResponse((res) => res.url().includes('/audit-logs') && res.url().includes(`identityId=${identityId}`));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const shown = ((await (await answer).json()) as { auditLogs: { event: string; outcome: string }[] }).auditLogs.map((a) => `${a.event}:${a.outcome}`);
    await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('tr[data-event]')].map((r) => `${r.getAttribute('data-event')}:${r.getAttribute('data-outcome')}`)) === want, JSON.stringify(shown));
    const byIdentity = await events();
    expect(byIdentity).toContain('kubernetes-auth.login:success');
    expect(byIdentity.every((e) => e.endsWith(':success'))).toBe(true);
    const me = (await request(t.url).get('/api/v1/auth/token/self').set(await adminAuth())).body.user.id as string;
    await page.getByLabel('Identity id').fill('');
    await page.getByLabel('Actor id').fill(me);
    await page.getByLabel('Outcome').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-event]')].every((r) => r.getAttribute('data-event') !== 'kubernetes-auth.login'));
    expect(await events()).toContain('membership.created:success');
    await screenshot(page, 'audit-log');
    // An invalid filter is the API's 422, shown with its field.
    await page.getByLabel('Actor id').fill('not-a-uuid');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('[data-error-code="ValidationError"]').waitFor();
    expect(await page.locator('[data-error-code="ValidationError"]').textContent()).toContain('actorId');
  });

  it('instance settings: rotates the signing key and lists instance events', async () => {
    await page.getByRole('link', { name: 'Instance' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await page.getByText(/^New key /).waitFor();
    await page.locator('tr[data-event="signing-key.rotated"]').waitFor();
    await page.locator('tr[data-event="auth.login"][data-outcome="failure"]').first().waitFor();
    await screenshot(page, 'instance');
  });

  it('account: a wrong current password is refused; the right one changes it', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('[data-error-code="InvalidCredentials"]').waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await screenshot(page, 'account');
    expect((await request(t.url).post('/api/v1/auth/login').send({ email: ADMIN, password: 'a brand new passphrase' })).status).toBe(200);
  });

  it('organization switcher: a new organization, then back to the first', async () => {
    await page.getByLabel('Organization name').fill('Second Org');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Identities of Second Org' }).waitFor();
    expect(await page.getByText('No identities yet.').isVisible()).toBe(true);
    const switcher = page.getByLabel('Organization', { exact: true });
    expect(await switcher.locator('option').allTextContents()).toEqual(['Acme Platform (admin)', 'Second Org (admin)']);
    await page.getByRole('link', { name: 'Members' }).click();
    await switcher.selectOption({ label: 'Acme Platform (admin)' });
    await page.waitForURL(new RegExp(`/orgs/${orgId}/members$`));
    await page.getByRole('cell', { name: VIEWER }).waitFor();
    await screenshot(page, 'organization-switcher');
  });

  it('a viewer reads but cannot write', async () => {
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page: viewer, problems: viewerProblems } = await openPage(viewerContext);
      await viewer.goto(ui('sign-in'));
      await viewer.getByLabel('Email', { exact: true }).fill(VIEWER);
      await viewer.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.getByRole('heading', { name: 'Identities of Acme Platform' }).waitFor();
      expect(await viewer.getByRole('button', { name: 'New identity' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Instance' }).count()).toBe(0);
      await viewer.getByRole('link', { name: 'checkout-service' }).click();
      await viewer.getByRole('link', { name: 'Kubernetes auth' }).click();
      await viewer.getByText('You are a viewer in this organization').first().waitFor();
      expect(await viewer.getByLabel('Allowed namespaces').inputValue()).toBe('shop');
      expect(await viewer.getByLabel('Allowed namespaces').isDisabled()).toBe(true);
      expect(await viewer.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
      expect(await viewer.getByRole('button', { name: 'Run check' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Access tokens' }).count()).toBe(0);
      await screenshot(viewer, 'viewer');
      await viewer.getByRole('link', { name: 'Settings' }).click();
      expect(await viewer.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
      expect(viewerProblems).toEqual({ csp: [], errors: [] });
    } finally {
      await viewerContext.close();
    }
  });

  it('the Kubernetes auth form works with the keyboard alone', async () => {
    // A second identity, created and configured without the mouse.
    await page.goto(ui(`orgs/${orgId}/identities`));
    await tabTo(page, 'New identity');
    await page.keyboard.press('Enter');
    expect(await focusedLabel(page)).toBe('Name');
    await page.keyboard.type('keyboard-service');
    await tabTo(page, 'Create identity');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/kubernetes$/);
    const keyboardIdentity = /identities\/([0-9a-f-]{36})\//.exec(page.url())![1];
    await page.getByLabel('Kubernetes API server URL').waitFor();
    await tabTo(page, 'Kubernetes API server URL');
    await page.keyboard.type(sim.url);
    await tabTo(page, 'CA certificate (PEM)');
    await page.keyboard.insertText(sim.caPem);
    await tabTo(page, 'Reviewer token');
    await page.keyboard.type(reviewerJwt);
    await tabTo(page, 'Allowed service accounts (namespace/name)');
    await page.keyboard.type('shop/checkout');
    await tabTo(page, 'Also admit namespaces by their labels');
    await page.keyboard.press('Space');
    await tabTo(page, 'Add label');
    await page.keyboard.press('Enter');
    await tabTo(page, /^Label key 1/);
    await page.keyboard.type('team');
    await page.keyboard.press('Tab');
    await page.keyboard.type('payments');
    await tabTo(page, 'Uses per token');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('5');
    await tabTo(page, 'Attach Kubernetes auth');
    await page.keyboard.press('Enter');
    await expectSaved(page);
    await screenshot(page, 'keyboard');
    const stored = (await request(t.url).get(`/api/v1/auth/kubernetes-auth/identities/${keyboardIdentity}`).set(await adminAuth())).body.identityKubernetesAuth;
    expect(stored).toMatchObject({ allowedServiceAccounts: 'shop/checkout', allowedAudience: 'zerokey', accessTokenNumUsesLimit: 5, tokenReviewerJwtSet: true, namespaceSelector: { matchLabels: { team: 'payments' } } });
  });

  it('works in a narrow window', async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const { page: phone, problems: phoneProblems } = await openPage(narrow);
      await phone.goto(ui('sign-in'));
      await phone.getByLabel('Email', { exact: true }).fill(ADMIN);
      await phone.getByLabel('Password', { exact: true }).fill('a brand new passphrase');
      await phone.getByRole('button', { name: 'Sign in' }).click();
      await phone.getByRole('heading', { name: 'Identities of Acme Platform' }).waitFor();
      const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(phone, 'narrow-identities');
      await phone.goto(ui(`orgs/${orgId}/identities/${identityId}/kubernetes`));
      await phone.getByLabel('Allowed namespaces').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      expect(await phone.getByRole('button', { name: 'Save changes' }).isVisible()).toBe(true);
      await screenshot(phone, 'narrow-kubernetes-auth');
      expect(phoneProblems).toEqual({ csp: [], errors: [] });
    } finally {
      await narrow.close();
    }
  });

  it('reported no CSP violation and no script error on the way', () => {
    expect(problems).toEqual({ csp: [], errors: [] });
  });

  /** A fresh session of the admin, for the API-side assertions. */
  async function adminAuth(): Promise<{ Authorization: string }> {
    for (const password of [PASSWORD, 'a brand new passphrase']) {
      const res = await request(t.url).post('/api/v1/auth/login').send({ email: ADMIN, password });
      if (res.status === 200) return { Authorization: `Bearer ${res.body.accessToken}` };
    }
    throw new Error('admin cannot sign in');
  }
});
