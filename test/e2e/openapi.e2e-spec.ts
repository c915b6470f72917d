import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/build.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

/**
 * The OpenAPI document is good enough to generate clients from (docs/api.md "OpenAPI"): stable
 * operation ids, one Error schema, every status a route can answer, headers, formats, closed
 * request bodies; and a typed client generated from it compiles.
 */
describe('OpenAPI document (GET /api/docs-json)', () => {
  let t: TestApp;
  let doc: Json;
  const operations = (): [string, string, Json][] => Object.entries(doc.paths as Json).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m): [string, string, Json] => [path, m, item[m]]));
  const op = (path: string, method: string): Json => doc.paths[path][method];

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.url).get('/api/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Json;
  });
  afterAll(async () => t?.close());

  it('names every operation with a stable, unique operationId and a summary; info.version is the package version', () => {
    const ids = operations().map(([, , o]) => o.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, method, o] of operations()) {
      expect(o.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(typeof o.summary === 'string' && o.summary.length > 5, `${method} ${path} summary`).toBe(true);
    }
    expect(op('/api/v1/auth/kubernetes-auth/login', 'post').operationId).toBe('loginKubernetes');
    expect(op('/api/v1/auth/token/renew', 'post').operationId).toBe('renewAccessToken');
    expect(op('/api/v1/auth/token/revoke', 'post').operationId).toBe('revokeAccessToken');
    expect(op('/api/v1/auth/token/self', 'get').operationId).toBe('getTokenSelf');
    expect(doc.info.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('has one Error schema and a ValidationError with details, used by every error answer', () => {
    expect(doc.components.schemas.Error).toMatchObject({ required: ['statusCode', 'error', 'message', 'reqId'], additionalProperties: false });
    expect(doc.components.schemas.ValidationError.properties.details).toMatchObject({ type: 'array', items: { required: ['field', 'message'] } });
    for (const [path, method, o] of operations()) {
      for (const [status, response] of Object.entries(o.responses as Json)) {
        expect(response.headers?.['x-request-id'], `${method} ${path} ${status} x-request-id`).toEqual({ $ref: '#/components/headers/RequestId' });
        if (Number(status) < 400 || (path === '/api/status/ready' && status === '503' && !response.content?.['application/json']?.schema?.allOf)) continue;
        const ref = response.content['application/json'].schema.allOf[0].$ref;
        expect(ref, `${method} ${path} ${status}`).toBe(status === '422' ? '#/components/schemas/ValidationError' : '#/components/schemas/Error');
      }
    }
  });

  it('documents every status a route can answer: 413/415/422 with a body, 429 with Retry-After, 500 and 503 everywhere', () => {
    for (const [path, method, o] of operations()) {
      const statuses = Object.keys(o.responses);
      expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['500', '503']));
      if (o.requestBody) expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
      if (o.security?.length) expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '429']));
      if (o.responses['429']) expect(o.responses['429'].headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    }
    const login = op('/api/v1/auth/kubernetes-auth/login', 'post').responses;
    expect(Object.keys(login).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '429', '500', '502', '503', '504']);
    expect(login['404'].content['application/json'].schema.allOf[1].properties.error.enum).toEqual(['KubernetesAuthNotConfigured']);
    expect(doc.components.headers.RetryAfter.schema.type).toBe('integer');
  });

  it('closes request bodies, types ids as uuid and counts as integer, and takes the Infisical login fields', () => {
    const schemas = doc.components.schemas as Json;
    const login = schemas.KubernetesLoginDto;
    expect(login.additionalProperties).toBe(false);
    expect(Object.keys(login.properties).sort()).toEqual(['identityId', 'jwt', 'organizationSlug', 'subOrganizationName']);
    expect(login.properties.identityId.format).toBe('uuid');
    expect(schemas.KubernetesAuthFieldsDto.additionalProperties).toBe(false);
    expect(schemas.KubernetesAuthFieldsDto.properties.tokenReviewerJwt).toMatchObject({ type: 'string', nullable: true });
    expect(schemas.TrustedIpDto.additionalProperties).toBe(false);
    expect(schemas.CreateIdentityDto.properties.metadata.additionalProperties).toEqual({ type: 'string' });
    expect(schemas.IssuedTokenDto.properties.expiresIn.type).toBe('integer');
    expect(schemas.IdentityDto.properties.id.format).toBe('uuid');
    expect(JSON.stringify(doc)).not.toContain('"type":"number"');
    const pathParams = operations().flatMap(([, , o]) => (o.parameters ?? []).filter((p: Json) => p.in === 'path'));
    expect(pathParams.length).toBeGreaterThan(10);
    expect(pathParams.every((p: Json) => p.schema.format === 'uuid')).toBe(true);
  });

  it('generates a typed client (openapi-typescript) that compiles against a use of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zerokey-openapi-'));
    try {
      writeFileSync(join(dir, 'zerokey-api.d.ts'), astToString(await openapiTS(doc as never)));
      writeFileSync(join(dir, 'use.ts'), CLIENT_USE);
      const compilerOptions = { noEmit: true, strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: [] };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['use.ts'] }));
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        throw new Error(`the generated client does not compile:\n${(error as { stdout: string }).stdout}`, { cause: error });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A client's use of the generated types; every line depends on a property of the document. */
const CLIENT_USE = `
import type { components, operations, paths } from './zerokey-api.js';

type Login = operations['loginKubernetes'];
type LoginBody = Login['requestBody']['content']['application/json'];
type Issued = paths['/api/v1/auth/kubernetes-auth/login']['post']['responses'][200]['content']['application/json'];

export const body: LoginBody = { identityId: '7f1c0d7e-0000-4000-8000-000000000000', jwt: 'eyJ…', organizationSlug: 'acme-1a2b3c', subOrganizationName: 'acme-1a2b3c' };
// @ts-expect-error unknown fields are refused
export const unknownField: LoginBody = { identityId: 'x', jwt: 'y', orgSlug: 'z' };
export const issued: Issued = { accessToken: 'a', expiresIn: 2, accessTokenMaxTTL: 5, tokenType: 'Bearer' };
export const notFound: Login['responses'][404]['content']['application/json']['error'] = 'KubernetesAuthNotConfigured';
// @ts-expect-error a code the route does not answer
export const otherCode: Login['responses'][404]['content']['application/json']['error'] = 'LastAdmin';
export const retryAfter: Login['responses'][429]['headers']['Retry-After'] = 30;
export const requestId: Login['responses'][503]['headers']['x-request-id'] = 'abc';
export const invalid: components['schemas']['ValidationError'] = { statusCode: 422, error: 'ValidationError', message: 'm', reqId: 'r', details: [{ field: 'jwt', message: 'jwt must be a string' }] };
export const tooLarge: Login['responses'][413]['content']['application/json']['error'] = 'PayloadTooLarge';
export const renewBody: operations['renewAccessToken']['requestBody']['content']['application/json'] = { accessToken: 'a' };
export const renewed: operations['renewAccessToken']['responses'][200]['content']['application/json']['expiresIn'] = 3;
export const revoked: operations['revokeAccessToken']['responses'][200]['content']['application/json'] = { message: 'Successfully revoked access token' };
export const reviewer: components['schemas']['KubernetesAuthFieldsDto']['tokenReviewerJwt'] = 'static-token';
export const cleared: components['schemas']['KubernetesAuthFieldsDto']['tokenReviewerJwt'] = null;
export const self: operations['getTokenSelf']['responses'][200]['content']['application/json']['numUses'] = 1;
`;
