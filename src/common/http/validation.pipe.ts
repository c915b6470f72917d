import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { validationError, type ValidationDetail } from '../errors/domain-error';

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

/** The one validation pipe: unknown fields and bad values become 422 ValidationError with details. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationError(flatten(errors)),
  });
}
