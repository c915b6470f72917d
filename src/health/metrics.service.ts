import { createServer, type Server } from 'node:http';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';

const LOGIN_ROUTES: Record<string, string> = {
  '/api/v1/auth/kubernetes-auth/login': 'kubernetes',
  '/api/v1/auth/login': 'session',
};

/** Answers of the bearer guard, counted as access-token validations. */
const TOKEN_CODES = new Set(['Unauthorized', 'InvalidAccessToken', 'AccessTokenExpired', 'AccessTokenRevoked', 'AccessTokenUsesExhausted', 'IpNotTrusted']);

export type MeteredRequest = FastifyRequest & { errorCode?: string; principal?: unknown };

/**
 * Prometheus metrics (GET /metrics). HTTP, login and token-validation figures are taken from one
 * Fastify onResponse hook, so the hot paths carry no metrics code; the error code comes from the
 * exception filter, which notes it on the request.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  /** The METRICS_PORT listener, when /metrics has a port of its own. */
  private ownServer: Server | undefined;
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'zerokey_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'zerokey_login_attempts_total',
    help: 'Login attempts by method (kubernetes, session), outcome and error code',
    labelNames: ['method', 'outcome', 'code'],
    registers: [this.registry],
  });
  private readonly validations = new Counter({
    name: 'zerokey_access_token_validations_total',
    help: 'Bearer token validations by outcome (valid or the error code)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly tokenReviewDuration = new Histogram({
    name: 'zerokey_tokenreview_duration_seconds',
    help: 'TokenReview round-trip time to the cluster, by result',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly tokenReviewErrors = new Counter({
    name: 'zerokey_tokenreview_errors_total',
    help: 'TokenReview calls that failed, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'zerokey_' });
    new Gauge({
      name: 'zerokey_rate_limit_degraded',
      help: '1 while Redis is unavailable and rate limits are counted per replica, in memory',
      registers: [this.registry],
      collect() {
        this.set(limiter.storeStatus().store === 'memory-fallback' ? 1 : 0);
      },
    });
    new Counter({
      name: 'zerokey_rate_limit_fallbacks_total',
      help: 'Rate-limit operations answered from memory because Redis failed',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(limiter.storeStatus().fallbacks);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => this.observe(request as MeteredRequest, reply));
    if (this.config.metricsPort !== undefined) await this.listenOnOwnPort(this.config.metricsPort);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.ownServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  }

  /** Whether /metrics is served on the API port (not when METRICS_PORT gives it its own). */
  get onApiPort(): boolean {
    return this.config.metricsPort === undefined;
  }

  /** The text Prometheus scrapes, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** METRICS_PORT: a plain HTTP listener on HOST that answers GET /metrics and 404 to anything else. */
  private async listenOnOwnPort(port: number): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: only GET /metrics is served on this port\n');
        return;
      }
      this.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => resolve());
    });
    this.ownServer = server;
  }

  /** Times one TokenReview; `code` is the error code when it failed. */
  observeTokenReview(seconds: number, code: string | null): void {
    this.tokenReviewDuration.observe({ result: code ? 'error' : 'ok' }, seconds);
    if (code) this.tokenReviewErrors.inc({ code });
  }

  private observe(request: MeteredRequest, reply: FastifyReply): void {
    const route = request.routeOptions?.url ?? 'unmatched';
    const status = reply.statusCode;
    this.httpDuration.observe({ method: request.method, route, status: String(status) }, reply.elapsedTime / 1000);
    const method = LOGIN_ROUTES[route];
    if (method && request.method === 'POST') {
      this.logins.inc({ method, outcome: status === 200 ? 'success' : 'failure', code: request.errorCode ?? '' });
      return;
    }
    if (request.principal) this.validations.inc({ outcome: 'valid' });
    else if (request.errorCode && TOKEN_CODES.has(request.errorCode)) this.validations.inc({ outcome: request.errorCode });
  }
}
