import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'zerokey:isPublic';

/** Marks a route that needs no bearer token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** The principal the bearer guard attached to the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});

/** What the audit log and the login need to know about the caller's connection. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientInfo => clientInfo(ctx.switchToHttp().getRequest<FastifyRequest>()));

/** Width of the columns that store a client IP (an IPv6 address with its IPv4 tail is 45 characters). */
const MAX_IP_LENGTH = 64;

/**
 * `request.ip` honours X-Forwarded-For only when Fastify's trustProxy is on (TRUST_PROXY); it is
 * then whatever the leftmost entry says, not necessarily an address. It is cut to the column
 * width (a non-address never matches a trusted range either way): a longer one failed every
 * write that records it on MySQL.
 */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'];
  return { ip: request.ip.slice(0, MAX_IP_LENGTH), userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}
