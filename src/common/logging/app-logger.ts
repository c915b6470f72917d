import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Level, type Logger as Pino } from 'pino';

/** The id of the request being handled, for every line logged while handling it. */
const currentRequest = new AsyncLocalStorage<string>();

/** Runs `next` (a Fastify hook's `done`) with `reqId` as the request of everything it leads to. */
export function withRequestId(reqId: string, next: () => void): void {
  currentRequest.run(reqId, next);
}

/**
 * The one pino logger of the process: JSON lines on stdout, `reqId` added from the request being
 * handled (a mixin, so nothing is built per request: no child logger, no bindings serialized
 * unless a line is written), the usual secret-bearing fields censored wherever they appear.
 * `destination` is for the specs; the service writes to stdout.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Pino {
  const options = {
    level,
    mixin: () => {
      const reqId = currentRequest.getStore();
      return reqId === undefined ? {} : { reqId };
    },
    redact: { paths: ['req.headers', 'headers.authorization', '*.authorization', '*.password', '*.jwt', '*.accessToken', '*.tokenReviewerJwt'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's logger interface over the root logger. Nest calls `log(message, context)`, and its
 * Logger passes an object first as `warn({ err }, 'message', context)`: the context becomes the
 * `context` field, an object's fields are merged into the line, an Error becomes `err`.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    // Nest's Logger always appends the context last; a bare LoggerService call may have none.
    const context = params.length > 0 ? params[params.length - 1] : undefined;
    if (typeof context === 'string') fields.context = context;
    const rest = typeof context === 'string' ? params.slice(0, -1) : params;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...message }, typeof rest[0] === 'string' ? rest[0] : undefined);
    } else if (level === 'error' && typeof rest[0] === 'string' && rest[0].includes('\n    at ')) {
      // Nest's own exception handlers call error(message, stack, context).
      const err = new Error(String(message));
      err.stack = rest[0];
      this.pino.error({ ...fields, err }, String(message));
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
