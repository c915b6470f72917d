import type { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../support/api-client.js';
import { KubernetesSimulator } from '../support/kubernetes-simulator/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { expectSaved, launchBrowser, openPage } from './browser.js';

/**
 * The console's main path on whichever database DB_TYPE names (.ci/run runs this file on MariaDB
 * too): setup, an identity with Kubernetes auth, a workload login seen as a token and an event.
 */
describe(`admin console smoke path (${process.env.DB_TYPE === 'mysql' ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  let sim: KubernetesSimulator;
  let browser: Browser;

  beforeAll(async () => {
    sim = await KubernetesSimulator.start();
    t = await startTestApp({ KUBERNETES_TIMEOUT_MS: '3000' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.stop();
  });

  it('sets up, attaches Kubernetes auth, and shows a workload’s token and login event', async () => {
    const reviewerJwt = sim.createReviewer();
    sim.createServiceAccount('shop', 'checkout');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openPage(context);
    await page.goto(`${t.url}/ui/`);
    await page.waitForURL(/\/ui\/setup$/);
    await page.getByLabel('Email', { exact: true }).fill('smoke@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Organization name').fill('Smoke');
    await page.getByRole('button', { name: 'Create user and organization' }).click();
    await page.getByRole('button', { name: 'New identity' }).click();
    await page.getByLabel('Name', { exact: true }).fill('smoke-workload');
    await page.getByRole('button', { name: 'Create identity' }).click();
    await page.waitForURL(/\/identities\/[0-9a-f-]{36}\/kubernetes$/);
    const identityId = /identities\/([0-9a-f-]{36})\//.exec(page.url())![1];
    await page.getByLabel('Kubernetes API server URL').fill(sim.url);
    await page.getByLabel('CA certificate (PEM)').fill(sim.caPem);
    await page.getByLabel('Reviewer token').fill(reviewerJwt);
    await page.getByLabel('Allowed service accounts (namespace/name)').fill('shop/checkout');
    await page.getByRole('button', { name: 'Attach Kubernetes auth' }).click();
    await expectSaved(page);

    const jwt = sim.mint({ namespace: 'shop', serviceAccount: 'checkout', audience: 'zerokey' });
    expect((await request(t.url).post('/api/v1/auth/kubernetes-auth/login').send({ identityId, jwt })).status).toBe(200);
    await page.getByRole('link', { name: 'Access tokens' }).click();
    expect(await page.locator('tr[data-token-id]').first().textContent()).toContain('shop/checkout');
    await page.getByRole('link', { name: 'Audit events' }).click();
    await page.locator('tr[data-event="kubernetes-auth.login"][data-outcome="success"]').waitFor();
    expect(problems).toEqual({ csp: [], errors: [] });
    await context.close();
  });
});
