import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate, useOutletContext, useParams } from 'react-router';
import { api, ApiError, call, fieldErrors, nestedError, type Schemas } from '../api/client';
import { useCurrentOrganization } from '../api/hooks';
import { AuditTable } from '../components/AuditTable';
import { ErrorBox } from '../components/ErrorBox';
import { Field, formatTime, ReadOnlyNotice } from '../components/Form';
import { ListTable } from '../components/ListTable';
import { Loading } from '../components/Layout';
import { metadataToText, textToMetadata } from '../components/metadata';
import { CheckReport } from '../kubernetes/CheckReport';
import { KubernetesAuthForm } from '../kubernetes/KubernetesAuthForm';
import { ROLE_HELP } from './Identities';

type Identity = Schemas['IdentityDto'];

function useIdentity() {
  const { identityId = '' } = useParams();
  return useQuery({ queryKey: ['identity', identityId], queryFn: async () => (await call(api.GET('/api/v1/identities/{identityId}', { params: { path: { identityId } } }))).identity });
}

/** One identity: its settings, Kubernetes auth, access tokens and audit events, as tabs. */
export function IdentityPage() {
  const { orgId, isAdmin } = useCurrentOrganization();
  const identity = useIdentity();
  if (identity.error) return <ErrorBox error={identity.error} />;
  if (!identity.data) return <Loading />;
  const base = `/orgs/${orgId}/identities/${identity.data.id}`;
  return (
    <>
      <p className="crumbs">
        <Link to={`/orgs/${orgId}/identities`}>Identities</Link> /
      </p>
      <h1>{identity.data.name}</h1>
      <p className="muted">
        Identity id <code className="copyable">{identity.data.id}</code> · role {identity.data.role} · last login {formatTime(identity.data.lastLoginAt)}
      </p>
      <nav className="tabs" aria-label="Identity">
        <NavLink to={`${base}/settings`}>Settings</NavLink>
        <NavLink to={`${base}/kubernetes`}>Kubernetes auth</NavLink>
        {isAdmin && <NavLink to={`${base}/tokens`}>Access tokens</NavLink>}
        {isAdmin && <NavLink to={`${base}/audit`}>Audit events</NavLink>}
      </nav>
      <Outlet context={identity.data} />
    </>
  );
}

function useIdentityData(): Identity {
  return useOutletContext<Identity>();
}

export function IdentitySettingsTab() {
  const identity = useIdentityData();
  const { orgId, isAdmin } = useCurrentOrganization();
  const [name, setName] = useState(identity.name);
  const [role, setRole] = useState(identity.role);
  const [metadata, setMetadata] = useState(metadataToText(identity.metadata));
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const save = useMutation({
    mutationFn: () => call(api.PATCH('/api/v1/identities/{identityId}', { params: { path: { identityId: identity.id } }, body: { name, role, metadata: textToMetadata(metadata) } })),
    onSuccess: ({ identity: updated }) => {
      queryClient.setQueryData(['identity', identity.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['identities', orgId] });
    },
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/identities/{identityId}', { params: { path: { identityId: identity.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['identities', orgId] });
      navigate(`/orgs/${orgId}/identities`);
    },
  });
  const errors = fieldErrors(save.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <>
      {!isAdmin && <ReadOnlyNotice what="this identity" />}
      <form onSubmit={submit} className="card" aria-label="Identity settings" noValidate>
        <fieldset disabled={!isAdmin} className="plain">
          <Field label="Name" error={errors.name}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Role" help={ROLE_HELP} error={errors.role}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Identity['role'])}>
                <option>no-access</option>
                <option>viewer</option>
                <option>admin</option>
              </select>
            )}
          </Field>
          <Field label="Metadata" help="One key=value per line; replaces the whole set." error={nestedError(errors, 'metadata')}>
            {(p) => <textarea {...p} rows={3} value={metadata} onChange={(e) => setMetadata(e.target.value)} />}
          </Field>
          <ErrorBox error={save.error} title="Not saved" />
          {save.isSuccess && !save.isPending && <p className="success" role="status">Saved.</p>}
          {isAdmin && (
            <div className="actions">
              <button type="submit" className="primary" disabled={save.isPending}>
                Save
              </button>
            </div>
          )}
        </fieldset>
      </form>
      {isAdmin && (
        <section className="card danger">
          <h2>Delete this identity</h2>
          <p>Its Kubernetes auth is removed and every access token it holds is revoked at once.</p>
          <ErrorBox error={remove.error} />
          <button type="button" className="destructive" onClick={() => window.confirm(`Delete identity ${identity.name}?`) && remove.mutate()}>
            Delete identity
          </button>
        </section>
      )}
    </>
  );
}

export function IdentityKubernetesTab() {
  const identity = useIdentityData();
  const { orgId, isAdmin } = useCurrentOrganization();
  const queryClient = useQueryClient();
  const config = useQuery({
    queryKey: ['kubernetes-auth', identity.id],
    queryFn: async () => {
      try {
        return (await call(api.GET('/api/v1/auth/kubernetes-auth/identities/{identityId}', { params: { path: { identityId: identity.id } } }))).identityKubernetesAuth;
      } catch (error) {
        if (error instanceof ApiError && error.code === 'KubernetesAuthNotConfigured') return null;
        throw error;
      }
    },
  });
  // Bumped when the config is removed, so the form starts afresh; a save keeps the form (and its answer).
  const [detached, setDetached] = useState(0);
  const check = useMutation({ mutationFn: () => call(api.POST('/api/v1/auth/kubernetes-auth/identities/{identityId}/check', { params: { path: { identityId: identity.id } } })) });
  const detach = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/auth/kubernetes-auth/identities/{identityId}', { params: { path: { identityId: identity.id } } })),
    onSuccess: () => {
      queryClient.setQueryData(['kubernetes-auth', identity.id], null);
      setDetached((n) => n + 1);
      check.reset();
      void queryClient.invalidateQueries({ queryKey: ['identity', identity.id] });
    },
  });
  if (config.error) return <ErrorBox error={config.error} />;
  if (config.data === undefined) return <Loading />;
  const stored = config.data ?? undefined;
  return (
    <>
      {!isAdmin && <ReadOnlyNotice what="this Kubernetes auth" />}
      {!stored && <p>This identity has no Kubernetes auth yet. Fill in the form to let workloads of a cluster log in as it.</p>}
      {stored && (
        <p className="muted">
          Workloads log in with <code>POST /api/v1/auth/kubernetes-auth/login</code> and <code>{`{ "identityId": "${identity.id}", "jwt": "<service-account token>" }`}</code>. Last changed {formatTime(stored.updatedAt)}.
        </p>
      )}
      <KubernetesAuthForm key={detached} identityId={identity.id} orgId={orgId} config={stored} canWrite={isAdmin} />
      {stored && isAdmin && (
        <section className="card">
          <h2>Connection check</h2>
          <p className="help">Runs the connection as a login would: the API server's version over TLS, then a TokenReview (or the signing keys) with the configured reviewer.</p>
          <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
            {check.isPending ? 'Checking…' : 'Run check'}
          </button>
          <ErrorBox error={check.error} />
          {check.data && <CheckReport report={check.data} />}
        </section>
      )}
      {stored && isAdmin && (
        <section className="card danger">
          <h2>Remove Kubernetes auth</h2>
          <p>Every access token issued through it is revoked.</p>
          <ErrorBox error={detach.error} />
          <button type="button" className="destructive" onClick={() => window.confirm('Remove Kubernetes auth and revoke its tokens?') && detach.mutate()}>
            Remove Kubernetes auth
          </button>
        </section>
      )}
    </>
  );
}

const TOKENS_PAGE = 20;

function tokenState(token: Schemas['AccessTokenViewDto']): string {
  if (token.revokedAt) return 'revoked';
  if (new Date(token.expiresAt) < new Date()) return 'expired';
  if (token.numUsesLimit > 0 && token.numUses >= token.numUsesLimit) return 'used up';
  return 'active';
}

export function IdentityTokensTab() {
  const identity = useIdentityData();
  const [offset, setOffset] = useState(0);
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['tokens', identity.id, offset],
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/identities/{identityId}/access-tokens', { params: { path: { identityId: identity.id }, query: { offset, limit: TOKENS_PAGE } } })),
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['tokens', identity.id] });
    void queryClient.invalidateQueries({ queryKey: ['audit'] });
  };
  const revoke = useMutation({
    mutationFn: (tokenId: string) => call(api.DELETE('/api/v1/identities/{identityId}/access-tokens/{tokenId}', { params: { path: { identityId: identity.id, tokenId } } })),
    onSuccess: refresh,
  });
  const revokeAll = useMutation({
    mutationFn: () => call(api.POST('/api/v1/identities/{identityId}/access-tokens/revoke-all', { params: { path: { identityId: identity.id } } })),
    onSuccess: refresh,
  });
  return (
    <>
      <div className="actions">
        <button type="button" onClick={refresh}>
          Refresh
        </button>
        <button type="button" className="destructive" disabled={!tokens.data?.totalCount} onClick={() => window.confirm(`Revoke every access token of ${identity.name}?`) && revokeAll.mutate()}>
          Revoke all
        </button>
      </div>
      {revokeAll.data && (
        <p className="success" role="status">
          {revokeAll.data.revokedCount} token(s) revoked.
        </p>
      )}
      <ErrorBox error={tokens.error ?? revoke.error ?? revokeAll.error} />
      {tokens.isPending && <Loading />}
      {tokens.data && (
        <ListTable
          caption="Access tokens"
          columns={['Token id', 'Workload', 'Client IP', 'Issued', 'Expires', 'Uses', 'State', '']}
          empty="No access tokens. They appear here when a workload logs in."
          paging={{ offset, limit: TOKENS_PAGE, total: tokens.data.totalCount, onChange: setOffset }}
          rows={tokens.data.accessTokens.map((token) => {
            const state = tokenState(token);
            return (
              <tr key={token.id} data-token-id={token.id}>
                <td>
                  <code title={token.id}>{token.id.slice(0, 8)}</code>
                </td>
                <td>{token.subject ? `${token.subject.namespace}/${token.subject.serviceAccountName}${token.subject.podName ? ` (pod ${token.subject.podName})` : ''}` : '—'}</td>
                <td>{token.clientIp ?? '—'}</td>
                <td>{formatTime(token.createdAt)}</td>
                <td>{formatTime(token.expiresAt)}</td>
                <td>
                  {token.numUses}
                  {token.numUsesLimit ? ` / ${token.numUsesLimit}` : ''}
                </td>
                <td className={`state-${state.replace(' ', '-')}`}>{state === 'revoked' ? `revoked ${formatTime(token.revokedAt)}` : state}</td>
                <td>
                  {!token.revokedAt && (
                    <button type="button" onClick={() => revoke.mutate(token.id)} disabled={revoke.isPending} aria-label={`Revoke token ${token.id.slice(0, 8)}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        />
      )}
    </>
  );
}

export function IdentityAuditTab() {
  const identity = useIdentityData();
  const { orgId } = useCurrentOrganization();
  return <AuditTable scope={{ kind: 'organization', orgId }} fixedIdentityId={identity.id} />;
}
