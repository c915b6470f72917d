import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('status')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({ operationId: 'getMetrics', summary: 'Prometheus metrics' })
  @ApiOkResponse({ description: 'Prometheus text format' })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    // With METRICS_PORT, /metrics lives on its own port only: here it is an unknown route.
    if (!this.metrics.onApiPort) throw new DomainError('NotFound', 'Cannot GET /metrics');
    const { contentType, body } = await this.metrics.scrape();
    await reply.header('content-type', contentType).send(body);
  }
}
