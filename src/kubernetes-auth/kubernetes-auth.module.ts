import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokensModule } from '../access-tokens/access-tokens.module';
import { IdentitiesModule } from '../identities/identities.module';
import { ConnectionCheckService } from './connection-check.service';
import { InClusterCredentials } from './in-cluster-credentials';
import { KubernetesAuthConfig } from './kubernetes-auth-config.entity';
import { KubernetesAuthController } from './kubernetes-auth.controller';
import { KubernetesAuthService } from './kubernetes-auth.service';
import { KubernetesLoginController } from './kubernetes-login.controller';
import { KubernetesLoginGuard } from './kubernetes-login.guard';
import { KubernetesLoginService } from './kubernetes-login.service';
import { TokenReviewService } from './token-review.service';

@Module({
  imports: [TypeOrmModule.forFeature([KubernetesAuthConfig]), AccessTokensModule, IdentitiesModule],
  controllers: [KubernetesAuthController, KubernetesLoginController],
  providers: [KubernetesAuthService, ConnectionCheckService, TokenReviewService, InClusterCredentials, KubernetesLoginService, KubernetesLoginGuard],
})
export class KubernetesAuthModule {}
