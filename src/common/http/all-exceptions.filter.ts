import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ValidationDetail } from '../errors/domain-error.js';
import { ERROR_STATUS, type ErrorCode } from '../errors/error-codes.js';
import { isDatabaseUnavailable } from '../errors/database-errors.js';

interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  reqId: string;
  details?: ValidationDetail[];
}

/** Codes used when an error carries only an HTTP status (Nest's own and Fastify's errors). */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'ValidationError',
  429: 'RateLimited',
};

/**
 * The single place where errors become HTTP answers: domain errors, Nest's HTTP exceptions,
 * Fastify's own errors (bad JSON, body too large, unknown route) and unexpected faults.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (reply.sent) return;
    const { body, headers } = this.toBody(exception, request);
    // Noted for the metrics hook (login outcomes, token validations by code).
    if (request) (request as FastifyRequest & { errorCode?: string }).errorCode = body.error;
    for (const [name, value] of Object.entries(headers ?? {})) void reply.header(name, value);
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): { body: ErrorBody; headers?: Record<string, string> } {
    const reqId = String(request?.id ?? '');
    if (exception instanceof DomainError) {
      const body: ErrorBody = { statusCode: exception.status, error: exception.code, message: exception.message, reqId };
      if (exception.details) body.details = exception.details;
      if (exception.status >= 500) this.logger.warn({ code: exception.code }, exception.message);
      return { body, headers: exception.headers };
    }
    // Nest's own exceptions, and Fastify's client errors (bad JSON, body too large, bad media
    // type), which Nest wraps into HttpExceptions carrying Fastify's message.
    const clientStatus = exception instanceof HttpException ? exception.getStatus() : rawClientStatus(exception);
    if (clientStatus !== undefined && clientStatus < 500) {
      const known = CODE_BY_STATUS[clientStatus];
      const message = exception instanceof HttpException ? this.httpMessage(exception) : (exception as Error).message;
      return { body: { statusCode: known ? clientStatus : 400, error: known ?? 'BadRequest', message, reqId } };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.error({ err: describe(exception) }, 'database unavailable');
      const status = ERROR_STATUS.DatabaseUnavailable;
      return { body: { statusCode: status, error: 'DatabaseUnavailable', message: 'the database is unavailable, try again shortly', reqId } };
    }
    this.logger.error({ err: describe(exception) }, 'unhandled error');
    return { body: { statusCode: 500, error: 'InternalError', message: 'internal server error', reqId } };
  }

  private httpMessage(exception: HttpException): string {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    return typeof message === 'string' ? message : exception.message;
  }
}

/** A Fastify error that reached the filter unwrapped: FST_ codes with a 4xx `statusCode`. */
function rawClientStatus(exception: unknown): number | undefined {
  const { code, statusCode } = (typeof exception === 'object' && exception !== null ? exception : {}) as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
}

/** A loggable summary of an unexpected error: never the query parameters, which may hold secrets. */
function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    return { type: exception.name, message: exception.message, code, stack: exception.stack };
  }
  return { type: typeof exception };
}
