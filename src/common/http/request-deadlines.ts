import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '../errors/error-codes.js';

/** Time kept, out of SHUTDOWN_GRACE_MS, for flushing writes and closing pools after requests stop. */
const CLOSE_RESERVE_MS = 2000;

type Metered = FastifyRequest & { errorCode?: string };

const SHUTTING_DOWN = 'the service is shutting down, try again (another replica will answer)';

/** Sends the API's error shape from outside the Nest pipeline (a hook or a timer). */
export function sendError(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string): void {
  (request as Metered).errorCode = code;
  void reply
    .code(ERROR_STATUS[code])
    .header('content-type', 'application/json; charset=utf-8')
    .send({ statusCode: ERROR_STATUS[code], error: code, message, reqId: request.id });
}

/**
 * Every request is answered, whatever its handler waits for (docs/architecture.md "Faults and
 * shutdown"):
 *
 * - A request still unanswered after REQUEST_TIMEOUT_MS gets 503 RequestTimeout (before, the
 *   socket's inactivity timeout closed the connection with no answer at all). The handler's own
 *   answer, should it come later, is dropped by Fastify.
 * - From the moment the server closes (SIGTERM): a request arriving on a connection that is still
 *   open gets 503 ShuttingDown with `Connection: close` (readiness included, so the load
 *   balancer stops sending); requests already running may finish until SHUTDOWN_GRACE_MS minus
 *   the time kept for closing, then get 503 ShuttingDown (never the 502 a closed cluster pool
 *   would cause), so the process exits within the grace even when a handler hangs.
 */
export function installRequestDeadlines(fastify: FastifyInstance, options: { requestTimeoutMs: number; shutdownGraceMs: number }): void {
  const running = new Map<FastifyRequest, { reply: FastifyReply; timer: NodeJS.Timeout }>();
  let closing = false;

  const settle = (request: FastifyRequest): void => {
    const entry = running.get(request);
    if (!entry) return;
    clearTimeout(entry.timer);
    running.delete(request);
  };
  const answerLate = (request: FastifyRequest, reply: FastifyReply, code: 'RequestTimeout' | 'ShuttingDown'): void => {
    settle(request);
    if (reply.sent || reply.raw.headersSent) return;
    sendError(request, reply, code, code === 'RequestTimeout' ? `the request was not answered within ${options.requestTimeoutMs} ms, try again` : SHUTTING_DOWN);
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    if (closing) {
      sendError(request, reply, 'ShuttingDown', SHUTTING_DOWN);
      return;
    }
    const timer = setTimeout(() => answerLate(request, reply, 'RequestTimeout'), options.requestTimeoutMs);
    running.set(request, { reply, timer });
    done();
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    settle(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    settle(request);
    done();
  });
  // On close, every answer (ShuttingDown ones included) closes its connection: an idle keep-alive
  // socket would otherwise hold the closing server (and the exit) until the client drops it.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('preClose', (done) => {
    closing = true;
    const drainMs = Math.max(options.shutdownGraceMs / 2, options.shutdownGraceMs - CLOSE_RESERVE_MS);
    setTimeout(() => {
      for (const [request, { reply }] of running) answerLate(request, reply, 'ShuttingDown');
    }, drainMs).unref();
    done();
  });
}
