/** Who is calling, as established by the bearer guard. */
export type Principal =
  | { kind: 'user'; userId: string; tokenId: string; authMethod: 'session' }
  | { kind: 'identity'; identityId: string; orgId: string; tokenId: string; authMethod: string };

export type OrgRoleNeeded = 'admin' | 'viewer';
