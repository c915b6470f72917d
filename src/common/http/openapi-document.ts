import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_SCHEMA, errorSchema, VALIDATION_ERROR_SCHEMA } from './api-errors.decorator.js';

type Json = Record<string, unknown>;
type Operation = { parameters?: Json[]; requestBody?: Json; responses: Record<string, Json>; security?: unknown[]; operationId?: string; summary?: string };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Codes every bearer route can answer before the route's own logic (docs/api.md "Access tokens", the bearer check). */
const BEARER_ERRORS: Record<number, string[]> = {
  401: ['Unauthorized', 'InvalidAccessToken', 'AccessTokenExpired', 'AccessTokenRevoked', 'AccessTokenUsesExhausted'],
  403: ['IpNotTrusted'],
  429: ['RateLimited'],
};
/** Codes of the HTTP layer for a route that takes a JSON body (docs/api.md "Errors"). */
const BODY_ERRORS: Record<number, string[]> = { 400: ['BadRequest'], 413: ['PayloadTooLarge'], 415: ['UnsupportedMediaType'], 422: ['ValidationError'] };
/** Any route: a real fault, or the database down or too slow. */
const ANY_ROUTE_ERRORS: Record<number, string[]> = { 500: ['InternalError'], 503: ['DatabaseUnavailable'] };

/**
 * Finishes the generated document so that clients can be generated from it (docs/api.md
 * "OpenAPI"): the shared `Error` and `ValidationError` schemas, every status a route can answer,
 * the `x-request-id` and `Retry-After` headers, uuid and integer formats, and
 * `additionalProperties: false` on every request body (the validation pipe refuses unknown fields).
 */
export function refineOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  document.info.version = packageVersion();
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {}) as Record<string, Json>;
  Object.assign(schemas, sharedErrorSchemas());
  components.headers = { ...components.headers, ...sharedHeaders() };
  const bodySchemas = new Set<string>();
  for (const item of Object.values(document.paths) as Record<string, Operation | undefined>[]) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      refineParameters(operation);
      const hasBody = operation.requestBody !== undefined;
      if (hasBody) collectRefs(operation.requestBody, bodySchemas);
      const extra: Record<number, string[]>[] = [ANY_ROUTE_ERRORS];
      if (hasBody) extra.push(BODY_ERRORS);
      if (operation.parameters?.some((p) => p.in === 'path')) extra.push({ 400: ['BadRequest'] });
      if (operation.parameters?.some((p) => p.in === 'query')) extra.push({ 422: ['ValidationError'] });
      if (operation.security?.length) extra.push(BEARER_ERRORS);
      for (const group of extra) for (const [status, codes] of Object.entries(group)) addErrors(operation, Number(status), codes);
      for (const [status, response] of Object.entries(operation.responses)) {
        response.headers = { 'x-request-id': { $ref: '#/components/headers/RequestId' }, ...(status === '429' ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}), ...(response.headers as Json | undefined) };
      }
    }
  }
  closeRequestSchemas(schemas, bodySchemas);
  for (const [name, schema] of Object.entries(schemas)) if (name !== ERROR_SCHEMA && name !== VALIDATION_ERROR_SCHEMA) refineTypes(schema);
  for (const item of Object.values(document.paths) as Json[]) refineTypes(item);
  return document;
}

function sharedErrorSchemas(): Record<string, Json> {
  const error = {
    type: 'object',
    description: 'Every error answer (docs/api.md "Errors"); `error` is a stable code, `reqId` equals the x-request-id header.',
    required: ['statusCode', 'error', 'message', 'reqId'],
    properties: { statusCode: { type: 'integer', minimum: 400, maximum: 599 }, error: { type: 'string' }, message: { type: 'string' }, reqId: { type: 'string' } },
  };
  return {
    [ERROR_SCHEMA]: { ...error, additionalProperties: false },
    [VALIDATION_ERROR_SCHEMA]: {
      ...error,
      description: 'A 422: one `details` entry per refused field (nested fields named with dots).',
      required: [...error.required, 'details'],
      additionalProperties: false,
      properties: {
        ...error.properties,
        details: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  };
}

function sharedHeaders(): Record<string, Json> {
  return {
    RequestId: { description: "The request's id: the caller's own X-Request-Id when it matches ^[A-Za-z0-9._:-]{1,128}$, else a new UUID; equals `reqId` of an error.", schema: { type: 'string' } },
    RetryAfter: { description: 'Seconds until the limit lets requests through again.', schema: { type: 'integer', minimum: 0 } },
  };
}

/** Adds `codes` to the documented errors of `status` (merging with the route's own). */
function addErrors(operation: Operation, status: number, codes: string[]): void {
  const key = String(status);
  const existing = operation.responses[key];
  if (existing && !existing.schema && !(existing.content as Json | undefined)?.['application/json']) return;
  const known = existing ? documentedCodes(existing) : [];
  if (existing && known.length === 0) return; // a success or a non-error answer of that status (readiness 503 is one)
  const all = [...new Set([...known, ...codes])];
  operation.responses[key] = { description: `error: ${all.join(' | ')}`, content: { 'application/json': { schema: errorSchema(status, all) } } };
}

function documentedCodes(response: Json): string[] {
  const schema = (response.content as Record<string, { schema?: Json }> | undefined)?.['application/json']?.schema;
  const parts = (schema?.allOf as Json[] | undefined) ?? [];
  for (const part of parts) {
    const codes = ((part.properties as Json | undefined)?.error as Json | undefined)?.enum;
    if (Array.isArray(codes)) return codes as string[];
  }
  return [];
}

/** Path parameters are ids (UUIDs, at most 256 characters); list paging is integer. */
function refineParameters(operation: Operation): void {
  for (const parameter of operation.parameters ?? []) {
    const schema = (parameter.schema ??= {}) as Json;
    if (parameter.in === 'path' && schema.type === 'string') schema.format = 'uuid';
  }
}

function collectRefs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, into));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') into.add(value.replace('#/components/schemas/', ''));
      else collectRefs(value, into);
    }
  }
}

/** Request bodies and everything they reference refuse unknown fields. */
function closeRequestSchemas(schemas: Record<string, Json>, roots: Set<string>): void {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !schemas[name]) return;
    seen.add(name);
    const refs = new Set<string>();
    collectRefs(schemas[name], refs);
    close(schemas[name]);
    refs.forEach(visit);
  };
  const close = (schema: Json): void => {
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
    for (const property of Object.values((schema.properties as Record<string, Json> | undefined) ?? {})) {
      if (property.type === 'object' && property.properties) close(property);
      if (property.type === 'array' && (property.items as Json | undefined)?.type === 'object') close(property.items as Json);
    }
  };
  roots.forEach(visit);
}

/**
 * The API has no fractional numbers (TTLs, counts, offsets, statuses), so every `number` is an
 * `integer`; ids (`id`, `…Id`) are UUIDs.
 */
function refineTypes(node: unknown, key?: string): void {
  if (Array.isArray(node)) return node.forEach((n) => refineTypes(n));
  if (!node || typeof node !== 'object') return;
  const schema = node as Json;
  if (schema.type === 'number') schema.type = 'integer';
  for (const [name, value] of Object.entries(schema)) {
    if (name === 'properties' && value && typeof value === 'object') {
      for (const [property, sub] of Object.entries(value as Record<string, Json>)) {
        if ((property === 'id' || (/[a-z]Id$/.test(property) && property !== 'reqId')) && sub.type === 'string' && !sub.format && !sub.enum) sub.format = 'uuid';
        refineTypes(sub, property);
      }
    } else if (name !== 'example' && name !== 'default') refineTypes(value, key);
  }
}

/** The `version` of the service's package.json (found above this file, in src/ or dist/src/). */
export function packageVersion(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${import.meta.dirname}`);
    dir = parent;
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
