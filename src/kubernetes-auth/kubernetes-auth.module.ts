import { Module } from '@nestjs/common';
import { AccessTokensModule } from '../access-tokens/access-tokens.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { ConnectionCheckService } from './connection-check.service.js';
import { InClusterCredentials } from './in-cluster-credentials.js';
import { KubernetesAuthConfigRepository } from './kubernetes-auth-config.repository.js';
import { KubernetesAuthController } from './kubernetes-auth.controller.js';
import { JwksVerifier } from './jwks-verifier.js';
import { KubernetesAuthService } from './kubernetes-auth.service.js';
import { KubernetesClusterRepository } from './kubernetes-cluster.repository.js';
import { KubernetesClustersController } from './kubernetes-clusters.controller.js';
import { KubernetesClustersService } from './kubernetes-clusters.service.js';
import { KubernetesLoginController } from './kubernetes-login.controller.js';
import { KubernetesLoginGuard } from './kubernetes-login.guard.js';
import { KubernetesLoginService } from './kubernetes-login.service.js';
import { TokenReviewService } from './token-review.service.js';

@Module({
  imports: [AccessTokensModule, IdentitiesModule],
  controllers: [KubernetesAuthController, KubernetesClustersController, KubernetesLoginController],
  providers: [KubernetesAuthConfigRepository, KubernetesClusterRepository, KubernetesClustersService, KubernetesAuthService, ConnectionCheckService, TokenReviewService, JwksVerifier, InClusterCredentials, KubernetesLoginService, KubernetesLoginGuard],
})
export class KubernetesAuthModule {}
