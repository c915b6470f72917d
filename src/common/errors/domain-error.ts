import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

export interface ValidationDetail {
  field: string;
  message: string;
}

/**
 * The one error type services throw. The global filter turns it into
 * `{ statusCode, error, message, reqId }` with the status of its code.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ValidationDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = ERROR_STATUS[code];
  }
}

export function validationError(details: ValidationDetail[], message = 'request validation failed'): DomainError {
  return new DomainError('ValidationError', message, details);
}
