import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessTokensModule } from './access-tokens/access-tokens.module';
import { AuditModule } from './audit/audit.module';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { createValidationPipe } from './common/http/validation.pipe';
import { LoggingModule } from './common/logging/logging.module';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import type { AppConfig } from './config/app-config';
import { CoreModule } from './config/core.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { IdentitiesModule } from './identities/identities.module';
import { KubernetesAuthModule } from './kubernetes-auth/kubernetes-auth.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { UsersModule } from './users/users.module';

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
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
