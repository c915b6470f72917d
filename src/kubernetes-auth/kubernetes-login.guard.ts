import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientInfo } from '../common/auth/decorators.js';
import { createValidationPipe } from '../common/http/validation.pipe.js';
import { KubernetesLoginDto } from './dto/kubernetes-auth.dto.js';
import { KubernetesLoginService, type VerifiedLogin } from './kubernetes-login.service.js';

export type KubernetesLoginRequest = FastifyRequest & { kubernetesLogin?: VerifiedLogin };

/**
 * Guards the login route: runs login steps 1-6 and attaches the verified service account.
 * Guards run before pipes, so it validates the body itself with the same global pipe rules.
 */
@Injectable()
export class KubernetesLoginGuard implements CanActivate {
  private readonly pipe = createValidationPipe();

  constructor(private readonly login: KubernetesLoginService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KubernetesLoginRequest>();
    const body = (await this.pipe.transform(request.body, { type: 'body', metatype: KubernetesLoginDto, data: '' })) as KubernetesLoginDto;
    request.kubernetesLogin = await this.login.verify(body, clientInfo(request));
    return true;
  }
}
