import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../errors/error-codes.js';

/** The shared error schemas of the OpenAPI document (components.schemas), docs/api.md "Errors". */
export const ERROR_SCHEMA = 'Error';
export const VALIDATION_ERROR_SCHEMA = 'ValidationError';

/**
 * The schema of an error answer with one of `codes`: the shared `Error` (or, for 422,
 * `ValidationError` with `details`), its `error` narrowed to those codes.
 */
export function errorSchema(status: number, codes: readonly string[]): Record<string, unknown> {
  const base = status === 422 ? VALIDATION_ERROR_SCHEMA : ERROR_SCHEMA;
  return { allOf: [{ $ref: `#/components/schemas/${base}` }, { type: 'object', properties: { statusCode: { type: 'integer', enum: [status] }, error: { type: 'string', enum: [...codes] } } }] };
}

/** Documents the error codes a route can answer with, grouped by status, in the OpenAPI spec. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(...[...byStatus].map(([status, list]) => ApiResponse({ status, description: `error: ${list.join(' | ')}`, schema: errorSchema(status, list) })));
}
