import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { ParseIdPipe } from '../common/http/ids.js';
import { ConnectionCheckService } from './connection-check.service.js';
import { ConnectionReportDto } from './dto/connection-report.dto.js';
import {
  KubernetesClusterCreateDto,
  KubernetesClusterListDto,
  KubernetesClusterPatchDto,
  KubernetesClusterResponseDto,
  KubernetesClusterWriteResponseDto,
  ListKubernetesClustersQueryDto,
} from './dto/kubernetes-cluster.dto.js';
import { KubernetesClustersService } from './kubernetes-clusters.service.js';

/** docs/api.md "Kubernetes clusters": shared cluster connections of an organization. */
@ApiTags('kubernetes clusters')
@ApiBearerAuth()
@Controller('api/v1')
export class KubernetesClustersController {
  constructor(
    private readonly clusters: KubernetesClustersService,
    private readonly connection: ConnectionCheckService,
  ) {}

  @Post('organizations/:orgId/kubernetes-clusters')
  @ApiOperation({ operationId: 'createKubernetesCluster', summary: 'Register a cluster connection shared by identities of the organization' })
  @ApiCreatedResponse({ type: KubernetesClusterWriteResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound', 'KubernetesClusterNameTaken')
  create(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Body() body: KubernetesClusterCreateDto, @Client() client: ClientInfo): Promise<KubernetesClusterWriteResponseDto> {
    return this.clusters.create(principal, orgId, body, client);
  }

  @Get('organizations/:orgId/kubernetes-clusters')
  @ApiOperation({ operationId: 'listKubernetesClusters', summary: 'List the cluster connections of an organization' })
  @ApiOkResponse({ type: KubernetesClusterListDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'OrganizationNotFound')
  list(@CurrentPrincipal() principal: Principal, @Param('orgId', ParseIdPipe) orgId: string, @Query() query: ListKubernetesClustersQueryDto): Promise<KubernetesClusterListDto> {
    return this.clusters.list(principal, orgId, query);
  }

  @Get('kubernetes-clusters/:clusterId')
  @ApiOperation({ operationId: 'getKubernetesCluster', summary: 'Get a cluster connection' })
  @ApiOkResponse({ type: KubernetesClusterResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'KubernetesClusterNotFound')
  async get(@CurrentPrincipal() principal: Principal, @Param('clusterId', ParseIdPipe) clusterId: string): Promise<KubernetesClusterResponseDto> {
    return { kubernetesCluster: await this.clusters.get(principal, clusterId) };
  }

  @Patch('kubernetes-clusters/:clusterId')
  @ApiOperation({ operationId: 'updateKubernetesCluster', summary: 'Update a cluster connection (every config listing it follows)' })
  @ApiOkResponse({ type: KubernetesClusterWriteResponseDto })
  @ApiErrors('BadRequest', 'ValidationError', 'Unauthorized', 'PermissionDenied', 'KubernetesClusterNotFound', 'KubernetesClusterNameTaken')
  update(@CurrentPrincipal() principal: Principal, @Param('clusterId', ParseIdPipe) clusterId: string, @Body() body: KubernetesClusterPatchDto, @Client() client: ClientInfo): Promise<KubernetesClusterWriteResponseDto> {
    return this.clusters.update(principal, clusterId, body, client);
  }

  @Delete('kubernetes-clusters/:clusterId')
  @ApiOperation({ operationId: 'deleteKubernetesCluster', summary: 'Delete a cluster connection that no config lists' })
  @ApiOkResponse({ type: KubernetesClusterResponseDto })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'KubernetesClusterNotFound', 'KubernetesClusterInUse')
  async remove(@CurrentPrincipal() principal: Principal, @Param('clusterId', ParseIdPipe) clusterId: string, @Client() client: ClientInfo): Promise<KubernetesClusterResponseDto> {
    return { kubernetesCluster: await this.clusters.remove(principal, clusterId, client) };
  }

  @Post('kubernetes-clusters/:clusterId/check')
  @HttpCode(200)
  @ApiOperation({ operationId: 'checkKubernetesCluster', summary: 'Check a cluster connection' })
  @ApiOkResponse({ type: ConnectionReportDto, description: 'GET /version, a TokenReview of an invalid token and a namespace read, with each problem and its fix' })
  @ApiErrors('BadRequest', 'Unauthorized', 'PermissionDenied', 'KubernetesClusterNotFound')
  check(@CurrentPrincipal() principal: Principal, @Param('clusterId', ParseIdPipe) clusterId: string): Promise<ConnectionReportDto> {
    return this.connection.checkCluster(principal, clusterId);
  }
}
