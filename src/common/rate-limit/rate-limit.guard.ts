import { type CanActivate, type ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RateLimiterService } from './rate-limiter.service.js';

const BUCKET = 'zerokey:rateLimitBucket';

/**
 * Limits a route per client IP within a named bucket (routes sharing a bucket share the count),
 * and per identity when the body names one. Runs before any other guard of the route.
 */
export const RateLimited = (bucket: string): MethodDecorator => applyDecorators(RateLimitBucket(bucket), UseGuards(RateLimitGuard));

/** Names the bucket only, for routes that list RateLimitGuard first in their own @UseGuards. */
export const RateLimitBucket = (bucket: string): MethodDecorator => SetMetadata(BUCKET, bucket);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiterService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const bucket = this.reflector.get<string>(BUCKET, context.getHandler()) ?? 'default';
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const keys = [`${bucket}:ip:${request.ip}`];
    const identityId = (request.body as { identityId?: unknown } | undefined)?.identityId;
    if (typeof identityId === 'string' && identityId.length <= 64) keys.push(`${bucket}:identity:${identityId.toLowerCase()}`); // one bucket whatever the id's case (src/common/http/ids.ts)
    await this.limiter.consume(...keys);
    return true;
  }
}
