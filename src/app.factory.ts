import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { AppLogger } from './common/logging/app-logger.js';
import { refineOpenApiDocument } from './common/http/openapi-document.js';
import { installRequestDeadlines, sendError } from './common/http/request-deadlines.js';
import { readTlsPair, watchTlsPair } from './common/http/tls-files.js';
import { securityHeaders } from './common/http/security-headers.js';
import type { AppConfig } from './config/app-config.js';

export const BODY_LIMIT_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane; otherwise a new UUID. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify answers a badly encoded URL (`%FF`) or an over-long path parameter before any hook or
 * filter runs; this gives those answers the API's error shape and request id.
 */
function frameworkError(error: { code: string }, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_BAD_URL') sendError(request, reply, 'BadRequest', 'the URL is not validly percent-encoded');
  else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') sendError(request, reply, 'BadRequest', 'a path parameter is too long');
  else sendError(request, reply, 'InternalError', 'internal server error');
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them: a raw non-ASCII byte or a
 * space in the request line, a header block over 16 KiB, a request still incomplete after
 * requestTimeout. Fastify's default answer is not the API's error shape and leaves the connection
 * open-looking; this one is `{ statusCode, error, message, reqId }` (400 BadRequest: the contract
 * has no other code for a request that is not valid HTTP) and says `Connection: close`.
 */
function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'the request headers are larger than 16 KiB'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'the request did not arrive in time'
        : 'the request is not valid HTTP';
  const reqId = randomUUID();
  const body = JSON.stringify({ statusCode: 400, error: 'BadRequest', message, reqId });
  if (socket.writable) {
    socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${reqId}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Builds the application exactly as production runs it; main.ts and the tests both call this,
 * so the global pipeline, error shape, limits and docs are the same everywhere.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const tls = config.tlsCertFile && config.tlsKeyFile ? readTlsPair(config.tlsCertFile, config.tlsKeyFile) : undefined;
  const adapter = new FastifyAdapter({
    // HTTPS with TLS_CERT_FILE/TLS_KEY_FILE (docs/security.md "Transport"); its type is the http one's otherwise.
    ...((tls ? { https: tls } : {}) as object),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(config.trustProxy),
    genReqId: requestId,
    // Fastify types this option with route generics a plain handler cannot satisfy; it passes a Request and a Reply.
    frameworkErrors: frameworkError as never,
    clientErrorHandler: clientError,
    routerOptions: { maxParamLength: 256 },
    // Receiving a whole request may take REQUEST_TIMEOUT_MS; answering it too (request-deadlines.ts),
    // so the socket's inactivity timeout is set past that and never drops a request unanswered.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs + 5000,
    keepAliveTimeout: 65_000,
    // Requests arriving while the server closes get 503 ShuttingDown in the API's error shape (request-deadlines.ts).
    return503OnClosing: false,
    logger: false,
    // No Nest middleware is used (request logging is a Fastify hook): no Express-style layer per request.
    skipMiddie: true,
  });
  const fastify = adapter.getInstance();
  // Helmet's headers (computed once) and the request id, on every answer including errors and 404s.
  const security = securityHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(security).header('x-request-id', request.id);
    done();
  });
  installRequestDeadlines(fastify, config);
  if (tls) {
    const stopWatching = watchTlsPair(config.tlsCertFile!, config.tlsKeyFile!, (pair) => (fastify.server as unknown as HttpsServer).setSecureContext(pair));
    fastify.addHook('onClose', (_instance, done) => {
      stopWatching();
      done();
    });
  }
  // bodyParser false: only Fastify's own JSON parser (and text/plain, removed below) remain, so a
  // form-encoded or other body is 415 instead of being parsed into something surprising.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, { bufferLogs: true, abortOnError: false, bodyParser: false });
  fastify.removeContentTypeParser('text/plain');
  app.useLogger(app.get(AppLogger));
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, methods: ['GET', 'POST', 'PATCH', 'DELETE'], allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'], exposedHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 });
  }
  setupOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
}

/**
 * SIGTERM/SIGINT (docs/architecture.md "Faults and shutdown"): the HTTP server closes first (no
 * new connections; readiness and any request on a still open connection answer 503
 * ShuttingDown; running requests finish, or get 503 ShuttingDown near the end of the grace), then
 * the application: coalesced writes are flushed, timers stop, cluster pools and the database
 * close. Whatever hangs (a frozen database), the process exits within SHUTDOWN_GRACE_MS: 0 when
 * everything closed, 1 when the grace ran out.
 */
export function exitOnSignals(app: NestFastifyApplication, config: AppConfig): void {
  const logger = new NestLogger('Shutdown');
  let started = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    logger.log(`${signal}: closing (at most ${config.shutdownGraceMs} ms)`);
    setTimeout(() => {
      logger.error(`still closing after SHUTDOWN_GRACE_MS=${config.shutdownGraceMs}; exiting now`);
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    try {
      await app.getHttpAdapter().getInstance().close();
      await app.close();
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'error while closing');
      process.exit(1);
    }
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void stop(s));
}

/** A hop count as Fastify applies it (trust the `hops` addresses nearest to us); its types take only the function form. */
function trustProxyOption(trust: AppConfig['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** GET /api/docs-json: the OpenAPI 3 document that clients are generated from (docs/api.md "OpenAPI"). */
function setupOpenApi(app: NestFastifyApplication): void {
  const document = refineOpenApiDocument(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Zerokey')
        .setDescription('Machine identity for Kubernetes workloads. Errors are `{ statusCode, error, message, reqId }` (schema `Error`; 422 adds `details`, schema `ValidationError`).')
        .setVersion('0.0.0')
        .addBearerAuth()
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
}
