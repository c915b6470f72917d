import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SCHEMA_FILE, consoleSchemaSource } from '../../scripts/gen-console-api.js';
import { ROOT } from '../support/build.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The console talks to the API only through types generated from the service's OpenAPI document
 * (docs/console.md "API client"); a route or field changed without regenerating them fails here.
 */
describe('the admin console’s API types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('are what the current OpenAPI document generates (node dist/scripts/gen-console-api.js)', async () => {
    const document = (await request(t.url).get('/api/docs-json')).body as unknown;
    const committed = readFileSync(join(ROOT, CONSOLE_SCHEMA_FILE), 'utf8');
    const fresh = await consoleSchemaSource(document);
    expect(fresh).toContain('"/api/v1/auth/kubernetes-auth/identities/{identityId}/check"');
    expect(committed === fresh, `${CONSOLE_SCHEMA_FILE} is out of date: run npm run console:api`).toBe(true);
  }, 60_000);
});
