import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, call } from '../api/client';
import { useMe, useOrganizations } from '../api/hooks';
import { sessionExpired, useSessionToken } from '../api/session';
import { ErrorBox } from './ErrorBox';

export function useBootstrapStatus() {
  return useQuery({ queryKey: ['bootstrap'], queryFn: () => call(api.GET('/api/v1/admin/bootstrap')), staleTime: 5_000 });
}

/** /ui/: first run → setup; no session → sign-in; else the first organization. */
export function Start() {
  const token = useSessionToken();
  const bootstrap = useBootstrapStatus();
  const organizations = useOrganizations();
  if (bootstrap.error) return <CenteredError error={bootstrap.error} />;
  if (!bootstrap.data) return <Loading />;
  if (!bootstrap.data.bootstrapped) return <Navigate to="/setup" replace />;
  if (!token) return <Navigate to="/sign-in" replace />;
  if (organizations.error) return <CenteredError error={organizations.error} />;
  if (!organizations.data) return <Loading />;
  const first = organizations.data[0];
  return <Navigate to={first ? `/orgs/${first.id}/identities` : '/account'} replace />;
}

function CenteredError({ error }: { error: unknown }) {
  return (
    <main className="narrow" id="main">
      <ErrorBox error={error} />
    </main>
  );
}

export function Loading() {
  return (
    <p className="muted" aria-live="polite">
      Loading…
    </p>
  );
}

/** Screens behind a session: without one (or when it ends) the sign-in screen, then back here. */
export function RequireSession() {
  const token = useSessionToken();
  const location = useLocation();
  if (!token) return <Navigate to="/sign-in" replace state={sessionExpired() ? { from: location.pathname + location.search + location.hash } : null} />;
  return <Outlet />;
}

function OrganizationSwitcher() {
  const { orgId } = useParams();
  const organizations = useOrganizations();
  const navigate = useNavigate();
  const location = useLocation();
  if (!organizations.data?.length) return null;
  const section = orgId ? (location.pathname.split('/')[3] ?? 'identities') : 'identities';
  return (
    <div className="org-switcher">
      <label htmlFor="org-switcher">Organization</label>
      <select id="org-switcher" value={orgId ?? ''} onChange={(e) => navigate(`/orgs/${e.target.value}/${section === 'new' ? 'identities' : section}`)}>
        {!orgId && <option value="">Choose…</option>}
        {organizations.data.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.role})
          </option>
        ))}
      </select>
    </div>
  );
}

/** Header, organization switcher, navigation, and the screen. */
export function Layout() {
  const token = useSessionToken();
  const me = useMe();
  const organizations = useOrganizations();
  const { orgId: routeOrg } = useParams();
  const orgId = routeOrg ?? organizations.data?.[0]?.id;
  const organization = organizations.data?.find((o) => o.id === orgId);
  const location = useLocation();
  useEffect(() => {
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Zerokey
        </Link>
        {token && <OrganizationSwitcher />}
        {token && me.data?.user && (
          <span className="whoami" title="signed in as">
            {me.data.user.email}
          </span>
        )}
      </header>
      {token && (
        <nav className="main-nav" aria-label="Main">
          {orgId && (
            <>
              <NavLink to={`/orgs/${orgId}/identities`}>Identities</NavLink>
              <NavLink to={`/orgs/${orgId}/clusters`}>Clusters</NavLink>
              <NavLink to={`/orgs/${orgId}/members`}>Members</NavLink>
              {organization?.role === 'admin' && <NavLink to={`/orgs/${orgId}/audit`}>Audit log</NavLink>}
            </>
          )}
          {me.data?.user?.superAdmin && <NavLink to="/instance">Instance</NavLink>}
          <NavLink to="/account">Account</NavLink>
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
