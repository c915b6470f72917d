import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessTokensModule } from './access-tokens/access-tokens.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter.js';
import { createValidationPipe } from './common/http/validation.pipe.js';
import { LoggingModule } from './common/logging/logging.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import type { AppConfig } from './config/app-config.js';
import { CoreModule } from './config/core.module.js';
import { ConsoleModule } from './console/console.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentitiesModule } from './identities/identities.module.js';
import { KubernetesAuthModule } from './kubernetes-auth/kubernetes-auth.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { OrganizationsModule } from './organizations/organizations.module.js';
import { UsersModule } from './users/users.module.js';

/** Wires the feature modules; the global pipe and filter are APP_* providers, so tests run them too. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(config),
        RateLimitModule,
        AuditModule,
        OrganizationsModule,
        IdentitiesModule,
        AccessTokensModule,
        UsersModule,
        KubernetesAuthModule,
        HealthModule,
        MaintenanceModule,
        ConsoleModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
