import { Module } from '@nestjs/common';
import { AccessTokensModule } from '../access-tokens/access-tokens.module.js';
import { HousekeepingService } from './housekeeping.service.js';

@Module({ imports: [AccessTokensModule], providers: [HousekeepingService] })
export class MaintenanceModule {}
