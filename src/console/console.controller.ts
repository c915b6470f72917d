import { Controller, Get, Inject, Param, Redirect, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { securityHeaders } from '../common/http/security-headers.js';
import { type ConsoleAsset } from './console-assets.js';

export const CONSOLE_ASSETS = Symbol('CONSOLE_ASSETS');

/**
 * The console's headers (docs/console.md "Security"): helmet's, as on every answer, with a
 * stricter policy than the API's default (which lets Swagger UI use inline styles): its own
 * scripts, styles and API only, no inline script or style element, no other origin, no framing.
 */
const CONSOLE_HEADERS = securityHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-site' },
  frameguard: { action: 'deny' },
});

/**
 * Serves the admin console (a single-page app) under /ui/: its built files by exact path, and
 * index.html for every other path so that the app's own routes survive a reload. Not part of the
 * API, so not in the OpenAPI document.
 */
@ApiExcludeController()
@Public()
@Controller('ui')
export class ConsoleController {
  constructor(@Inject(CONSOLE_ASSETS) private readonly assets: Map<string, ConsoleAsset>) {}

  @Get()
  @Redirect('/ui/', 301)
  root(): void {}

  // Fastify's wildcard: the rest of the path after /ui/ is the `*` parameter.
  @Get('*')
  serve(@Param('*') path: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const asset = this.resolve(path ?? '');
    void reply
      .headers(CONSOLE_HEADERS)
      .header('content-type', asset.contentType)
      .header('etag', asset.etag)
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.headers['if-none-match'] === asset.etag) {
      void reply.code(304).send();
      return;
    }
    void reply.code(200).send(asset.body);
  }

  private resolve(path: string): ConsoleAsset {
    const index = this.assets.get('index.html');
    if (!index) throw new DomainError('NotFound', 'the admin console is not built: run `npm run build`');
    const asset = this.assets.get(path);
    if (asset) return asset;
    // A missing file (a stale hashed asset, a typo) is a 404; any other path is one of the app's routes.
    if (path.startsWith('assets/') || /\.[a-z0-9]+$/i.test(path)) throw new DomainError('NotFound', `no console file ${JSON.stringify(path.slice(0, 200))}`);
    return index;
  }
}
