import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type AuthenticatedRequest, IS_PUBLIC } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { AccessTokensService } from './access-tokens.service.js';

/** The one bearer guard (registered as APP_GUARD): every route is protected unless @Public(). */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new DomainError('Unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    request.principal = await this.tokens.authenticate(match[1], request.ip);
    return true;
  }
}
