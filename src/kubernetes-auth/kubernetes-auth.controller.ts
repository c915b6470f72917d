import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/ids.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { KubernetesAuthFieldsDto, KubernetesAuthResponseDto, KubernetesAuthWriteResponseDto } from './dto/kubernetes-auth.dto.js';
import { ConnectionCheckService } from './connection-check.service.js';
import { ConnectionReportDto } from './dto/connection-report.dto.js';
import { KubernetesAuthService } from './kubernetes-auth.service.js';

@ApiTags('kubernetes auth')
@ApiBearerAuth()
@Controller('api/v1/auth/kubernetes-auth/identities/:identityId')
export class KubernetesAuthController {
  constructor(
    private readonly configs: KubernetesAuthService,
    private readonly connection: ConnectionCheckService,
  ) {}

  @Post()
  @ApiOperation({ operationId: 'attachKubernetesAuth', summary: 'Attach Kubernetes auth to an identity' })
  @ApiCreatedResponse({ type: KubernetesAuthWriteResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'KubernetesAuthAlreadyConfigured')
  attach(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string, @Body() body: KubernetesAuthFieldsDto, @Client() client: ClientInfo): Promise<KubernetesAuthWriteResponseDto> {
    return this.configs.attach(principal, identityId, body, client);
  }

  @Get()
  @ApiOperation({ operationId: 'getKubernetesAuth', summary: "Get an identity's Kubernetes auth config" })
  @ApiOkResponse({ type: KubernetesAuthResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'KubernetesAuthNotConfigured')
  async get(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string): Promise<KubernetesAuthResponseDto> {
    return { identityKubernetesAuth: await this.configs.get(principal, identityId) };
  }

  @Patch()
  @ApiOperation({ operationId: 'updateKubernetesAuth', summary: "Update an identity's Kubernetes auth config" })
  @ApiOkResponse({ type: KubernetesAuthWriteResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'KubernetesAuthNotConfigured')
  update(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string, @Body() body: KubernetesAuthFieldsDto, @Client() client: ClientInfo): Promise<KubernetesAuthWriteResponseDto> {
    return this.configs.update(principal, identityId, body, client);
  }

  @Delete()
  @ApiOperation({ operationId: 'detachKubernetesAuth', summary: 'Remove Kubernetes auth from an identity and revoke its tokens' })
  @ApiOkResponse({ type: KubernetesAuthResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'KubernetesAuthNotConfigured')
  async remove(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string, @Client() client: ClientInfo): Promise<KubernetesAuthResponseDto> {
    return { identityKubernetesAuth: await this.configs.remove(principal, identityId, client) };
  }

  @Post('check')
  @ApiOperation({ operationId: 'checkKubernetesAuth', summary: 'Check the connection to the cluster of a Kubernetes auth config' })
  @HttpCode(200)
  @ApiOkResponse({ type: ConnectionReportDto, description: 'GET /version plus a TokenReview of an invalid token, with each problem and its fix' })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'IdentityNotFound', 'KubernetesAuthNotConfigured')
  check(@CurrentPrincipal() principal: Principal, @Param('identityId', ParseIdPipe) identityId: string): Promise<ConnectionReportDto> {
    return this.connection.check(principal, identityId);
  }
}
