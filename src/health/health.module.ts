import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** Liveness, readiness and metrics. Global so the cluster client can report TokenReview timings. */
@Global()
@Module({ controllers: [HealthController, MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class HealthModule {}
