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

/**
 * Where `value` holds a string that is not well-formed UTF-16 (a lone surrogate, which JSON's
 * `\ud800` escapes allow): such a string cannot be stored as given (MySQL and SQLite store UTF-8
 * and would turn it into U+FFFD), so it is refused rather than silently altered.
 */
function illFormedStrings(value: unknown, path: string, found: ValidationDetail[]): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) found.push({ field: path || '(body)', message: 'contains a lone surrogate: not valid Unicode text' });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (!key.isWellFormed()) found.push({ field, message: 'the field name contains a lone surrogate: not valid Unicode text' });
      illFormedStrings(child, field, found);
    }
  }
}

/** Refuses absurdly nested bodies and queries (valid JSON under 64 KiB), and text that is not valid Unicode, before they reach the pipe. */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      if (deeperThan(value, MAX_DEPTH)) throw validationError([{ field: `(${metadata.type})`, message: `nested deeper than ${MAX_DEPTH} levels` }]);
      const illFormed: ValidationDetail[] = [];
      illFormedStrings(value, '', illFormed);
      if (illFormed.length) throw validationError(illFormed);
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
