import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** What an auth method tells the identities module: how to see that it is attached to an identity. */
export interface IdentityAuthMethod {
  name: string;
  /** An SQL condition, true when the method is attached to the identity whose id is the column `identityId`. */
  attachedSql(identityId: string): string;
}

export type IdentityDeleteHook = (manager: EntityManager, identityId: string) => Promise<void>;

/**
 * Extension points so that modules depending on identities (access tokens, auth methods) take
 * part in identity deletion and listings without identities importing them.
 */
@Injectable()
export class IdentityHooks {
  readonly authMethods: IdentityAuthMethod[] = [];
  readonly onDelete: IdentityDeleteHook[] = [];

  registerAuthMethod(method: IdentityAuthMethod): void {
    this.authMethods.push(method);
  }

  registerDeleteHook(hook: IdentityDeleteHook): void {
    this.onDelete.push(hook);
  }
}
