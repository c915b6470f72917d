import { Injectable } from '@nestjs/common';
import type { IpMatcher } from '../common/net/cidr.js';
import type { AccessToken } from './access-token.entity.js';

/**
 * What an auth method tells the token guard about the tokens it issued. Auth methods register
 * themselves here, so access-tokens never imports an auth method.
 */
export interface AuthMethodPolicy {
  /** The *current* trusted IPs for a token (null: no restriction), read on every call. */
  trustedIps(token: AccessToken): Promise<IpMatcher | null>;
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
