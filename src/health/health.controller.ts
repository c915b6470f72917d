import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';

@ApiTags('status')
@Public()
@Controller('api/status')
export class HealthController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly limiter: RateLimiterService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'getStatus', summary: 'Liveness: answers while the process runs' })
  @ApiOkResponse({ description: 'the process is alive', schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the database answers in time' })
  @ApiOkResponse({
    description:
      'the database answers. `rateLimits` says where the rate-limit counters live: `memory` (no REDIS_URL), `redis` (shared by every replica) or `memory-fallback` (Redis unavailable: each replica counts alone; still ready)',
    schema: { example: { status: 'ready', database: 'up', rateLimits: 'redis' } },
  })
  @ApiErrors('DatabaseUnavailable')
  async ready(): Promise<{ status: 'ready'; database: 'up'; rateLimits: 'memory' | 'redis' | 'memory-fallback' }> {
    // Bounded by DB_QUERY_TIMEOUT_MS, like every database call (UnitOfWork).
    try {
      await this.uow.ping();
    } catch {
      throw new DomainError('DatabaseUnavailable', 'the database is unavailable');
    }
    return { status: 'ready', database: 'up', rateLimits: this.limiter.storeStatus().store };
  }
}
