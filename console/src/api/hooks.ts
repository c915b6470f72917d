import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, call, type Schemas } from './client';
import { useSessionToken } from './session';

/** The signed-in user (GET /api/v1/auth/token/self). */
export function useMe() {
  const token = useSessionToken();
  return useQuery({
    queryKey: ['me', token],
    enabled: Boolean(token),
    staleTime: 60_000,
    queryFn: () => call(api.GET('/api/v1/auth/token/self')),
  });
}

export function useOrganizations() {
  const token = useSessionToken();
  return useQuery({
    queryKey: ['organizations', token],
    enabled: Boolean(token),
    queryFn: async () => (await call(api.GET('/api/v1/organizations'))).organizations,
  });
}

/** The organization of the current route, with the caller's role in it. */
export function useCurrentOrganization(): { orgId: string; organization: Schemas['OrganizationDto'] | undefined; isAdmin: boolean } {
  const { orgId = '' } = useParams();
  const { data } = useOrganizations();
  const organization = data?.find((o) => o.id === orgId);
  return { orgId, organization, isAdmin: organization?.role === 'admin' };
}
