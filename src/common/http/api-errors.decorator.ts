import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../errors/error-codes.js';

/** Documents the error codes a route can answer with, grouped by status, in the OpenAPI spec. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: `error: ${list.join(' | ')}`,
        schema: {
          type: 'object',
          properties: {
            statusCode: { type: 'integer', example: status },
            error: { type: 'string', enum: list },
            message: { type: 'string' },
            reqId: { type: 'string' },
          },
        },
      }),
    ),
  );
}
