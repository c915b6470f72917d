import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IssuedTokenDto } from '../access-tokens/dto/access-token.dto.js';
import { Client, type ClientInfo, Public } from '../common/auth/decorators.js';
import { RateLimitBucket, RateLimitGuard } from '../common/rate-limit/rate-limit.guard.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { KubernetesLoginDto } from './dto/kubernetes-auth.dto.js';
import { KubernetesLoginGuard, type KubernetesLoginRequest } from './kubernetes-login.guard.js';
import { KubernetesLoginService } from './kubernetes-login.service.js';

@ApiTags('kubernetes auth')
@Controller('api/v1/auth/kubernetes-auth')
export class KubernetesLoginController {
  constructor(private readonly login: KubernetesLoginService) {}

  @Public()
  // The rate limit runs first, so a flood never reaches the TokenReview.
  @UseGuards(RateLimitGuard, KubernetesLoginGuard)
  @RateLimitBucket('token')
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ operationId: 'loginKubernetes', summary: 'Exchange a Kubernetes service-account JWT for an access token (Infisical-compatible)' })
  @ApiBody({ type: KubernetesLoginDto })
  @ApiOkResponse({ type: IssuedTokenDto })
  @ApiErrors(
    'ValidationError',
    'RateLimited',
    'KubernetesAuthNotConfigured',
    'IpNotTrusted',
    'InvalidServiceAccountToken',
    'ServiceAccountTokenExpired',
    'AudienceNotAllowed',
    'ServiceAccountTokenRejected',
    'NotAServiceAccount',
    'ServiceAccountMismatch',
    'NamespaceNotAllowed',
    'NameNotAllowed',
    'ServiceAccountNotAllowed',
    'PodNotAllowed',
    'TokenReviewerUnauthorized',
    'TokenReviewerForbidden',
    'KubernetesTlsError',
    'KubernetesUnreachable',
    'KubernetesBadResponse',
    'NamespaceReadForbidden',
    'KubernetesTimeout',
  )
  issue(@Req() request: KubernetesLoginRequest, @Client() client: ClientInfo): Promise<IssuedTokenDto> {
    return this.login.issue(request.kubernetesLogin!, client);
  }
}
