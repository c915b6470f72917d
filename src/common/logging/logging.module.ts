import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/app-config.js';

/**
 * JSON logs through pino. Every line logged while handling a request carries its `reqId`.
 * Request logs hold method, path, status and timing only: never headers (Authorization) or bodies.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req: IncomingMessage) => String((req as IncomingMessage & { id?: unknown }).id ?? ''),
            customAttributeKeys: { reqId: 'reqId' },
            serializers: {
              req: (req: { method?: string; url?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0] }),
              res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
            },
            // Under Fastify the middleware sees `req.url` stripped to its mount point ("/"); the path is in originalUrl.
            autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => (req.originalUrl ?? req.url ?? '').startsWith('/api/status') },
            customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
            redact: { paths: ['req.headers', 'headers.authorization', '*.authorization', '*.password', '*.jwt', '*.accessToken', '*.tokenReviewerJwt'], censor: '[redacted]' },
            quietReqLogger: true,
          },
          // nestjs-pino's default route pattern (`{/*splat}`) matches no request under Nest 12's
          // Fastify adapter: no request was logged at all (test/e2e/process.e2e-spec.ts "logs").
          forRoutes: [{ path: '*splat', method: RequestMethod.ALL }],
        }),
      ],
    };
  }
}
