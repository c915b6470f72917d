import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { validationError, type ValidationDetail } from '../errors/domain-error.js';

function flatten(errors: ValidationError[], prefix = ''): ValidationDetail[] {
  const details: ValidationDetail[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) {
      const messages = Object.values(error.constraints);
      details.push({ field: field || '(body)', message: messages.join('; ') });
    }
    if (error.children?.length) details.push(...flatten(error.children, field));
  }
  return details;
}

/** No DTO nests deeper than this; Nest's pipe recurses per level and overflows the stack on ~5000. */
const MAX_DEPTH = 32;

function deeperThan(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth === 0) return true;
  return Object.values(value).some((child) => deeperThan(child, depth - 1));
}

/** Refuses absurdly nested bodies and queries (valid JSON under 64 KiB) before they reach the pipe. */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if ((metadata.type === 'body' || metadata.type === 'query') && deeperThan(value, MAX_DEPTH)) {
      throw validationError([{ field: `(${metadata.type})`, message: `nested deeper than ${MAX_DEPTH} levels` }]);
    }
    return super.transform(value, metadata);
  }
}

/** The one validation pipe: unknown fields and bad values become 422 ValidationError with details. */
export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationError(flatten(errors)),
  });
}
