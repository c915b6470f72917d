import { Injectable } from '@nestjs/common';
import type { IpMatcher } from '../common/net/cidr.js';
import type { AccessToken } from './access-token.entity.js';

/**
 * What an auth method tells the token guard about the tokens it issued. Auth methods register
 * themselves here, so access-tokens never imports an auth method.
 */
export interface AuthMethodPolicy {
  /** The *current* trusted IPs for a token (null: no restriction). */
  trustedIps(token: AccessToken): Promise<IpMatcher | null>;
  /**
   * The trusted IPs this replica last read for the token (undefined: none yet), with an SQL
   * condition on the token's row that holds only while they are still current; `authConfigId`
   * is the row's qualified auth-config column. The guard counts a use under that condition, so
   * the IP check and the use are one statement; when the condition fails it reads afresh.
   */
  lastTrustedIps(token: AccessToken, authConfigId: string): { matcher: IpMatcher | null; condition: string; params: unknown[] } | undefined;
}

@Injectable()
export class AuthMethodRegistry {
  private readonly policies = new Map<string, AuthMethodPolicy>();

  register(authMethod: string, policy: AuthMethodPolicy): void {
    this.policies.set(authMethod, policy);
  }

  get(authMethod: string): AuthMethodPolicy | undefined {
    return this.policies.get(authMethod);
  }
}
