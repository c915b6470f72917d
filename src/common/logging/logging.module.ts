import { type DynamicModule, Global, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/app-config.js';
import { AppLogger, createRootLogger, withRequestId } from './app-logger.js';

/**
 * Request logs: one line per answer with method, path (no query string), status and duration,
 * never headers (Authorization) or bodies; liveness and readiness probes are not logged. Every
 * line logged while a request is handled carries its `reqId`: the request's id is made current
 * when it arrives, for everything that follows from it (body, guards, handler, filters).
 */
@Injectable()
export class RequestLogging implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const log = this.logger.pino;
    fastify.addHook('onRequest', (request, _reply, done) => withRequestId(request.id, done));
    fastify.addHook('onResponse', (request, reply, done) => {
      const statusCode = reply.statusCode;
      const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
      if (log.isLevelEnabled(level)) {
        const path = request.url.split('?', 1)[0];
        if (!path.startsWith('/api/status')) log[level]({ reqId: request.id, req: { method: request.method, path }, res: { statusCode }, responseTime: Math.round(reply.elapsedTime) }, 'request completed');
      }
      done();
    });
  }
}

/** JSON logs through one pino logger (app-logger.ts); Nest's own logs go through it too. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: AppLogger, useValue: new AppLogger(createRootLogger(config.logLevel)) }, RequestLogging],
      exports: [AppLogger],
    };
  }
}
