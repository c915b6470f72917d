import { Injectable } from '@nestjs/common';

/** What an auth method tells the identities module: which identities it is attached to. */
export interface IdentityAuthMethod {
  name: string;
  /** The subset of `identityIds` the method is attached to. */
  attachedTo(identityIds: string[]): Promise<Set<string>>;
}

/** Runs inside the identity's deletion unit of work (repository calls join it). */
export type IdentityDeleteHook = (identityId: string) => Promise<unknown>;

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
