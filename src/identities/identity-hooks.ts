import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** What an auth method tells the identities module: which identities it is attached to. */
export interface IdentityAuthMethod {
  name: string;
  attachedTo(identityIds: string[]): Promise<Set<string>>;
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

  async authMethodsOf(identityIds: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(identityIds.map((id) => [id, []]));
    if (identityIds.length === 0) return result;
    for (const method of this.authMethods) {
      for (const id of await method.attachedTo(identityIds)) result.get(id)?.push(method.name);
    }
    return result;
  }
}
