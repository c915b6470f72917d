import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call, fieldErrors, nestedError } from '../api/client';
import { useCurrentOrganization } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { Field, formatTime, ReadOnlyNotice } from '../components/Form';
import { ListTable } from '../components/ListTable';
import { Loading } from '../components/Layout';
import { textToMetadata } from '../components/metadata';

const PAGE = 20;
type Role = 'admin' | 'viewer' | 'no-access';
const ROLES: Role[] = ['no-access', 'viewer', 'admin'];

export const ROLE_HELP = 'What the identity’s own access token may do in this organization through the admin API: nothing (no-access, the usual case for a workload), read (viewer) or write (admin).';

export function IdentitiesPage() {
  const { orgId, organization, isAdmin } = useCurrentOrganization();
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const role = (params.get('role') ?? '') as Role | '';
  const sort = params.get('sort') === 'name' ? 'name' : 'createdAt';
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!('offset' in changes)) next.delete('offset');
    setParams(next, { replace: true });
  };
  const list = useQuery({
    queryKey: ['identities', orgId, search, role, sort, order, offset],
    placeholderData: keepPreviousData,
    queryFn: () =>
      call(
        api.GET('/api/v1/organizations/{orgId}/identities', {
          params: { path: { orgId }, query: { search: search || undefined, role: role || undefined, sort, order, offset, limit: PAGE } },
        }),
      ),
  });
  return (
    <>
      <h1>Identities{organization ? ` of ${organization.name}` : ''}</h1>
      <p className="muted">A workload proves it is one of these identities with its Kubernetes service-account token and gets a short-lived access token.</p>
      {isAdmin ? <CreateIdentity orgId={orgId} /> : <ReadOnlyNotice what="this organization" />}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search by name">{(p) => <input {...p} type="search" value={search} onChange={(e) => update({ search: e.target.value })} />}</Field>
        <Field label="Role">
          {(p) => (
            <select {...p} value={role} onChange={(e) => update({ role: e.target.value })}>
              <option value="">any</option>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Sort by">
          {(p) => (
            <select {...p} value={`${sort}:${order}`} onChange={(e) => update({ sort: e.target.value.split(':')[0], order: e.target.value.split(':')[1] })}>
              <option value="createdAt:asc">oldest first</option>
              <option value="createdAt:desc">newest first</option>
              <option value="name:asc">name A–Z</option>
              <option value="name:desc">name Z–A</option>
            </select>
          )}
        </Field>
      </form>
      <ErrorBox error={list.error} />
      {list.isPending && <Loading />}
      {list.data && (
        <ListTable
          caption="Identities"
          columns={['Name', 'Role', 'Auth methods', 'Last login', 'Created']}
          empty={`No identities${search || role ? ' match' : ' yet'}.`}
          paging={{ offset, limit: PAGE, total: list.data.totalCount, onChange: (o) => update({ offset: String(o) }) }}
          rows={list.data.identities.map((identity) => (
            <tr key={identity.id}>
              <td>
                <Link to={`/orgs/${orgId}/identities/${identity.id}`}>{identity.name}</Link>
              </td>
              <td>{identity.role}</td>
              <td>{identity.authMethods.length ? identity.authMethods.join(', ') : <span className="muted">none</span>}</td>
              <td>{formatTime(identity.lastLoginAt)}</td>
              <td>{formatTime(identity.createdAt)}</td>
            </tr>
          ))}
        />
      )}
    </>
  );
}

function CreateIdentity({ orgId }: { orgId: string }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('no-access');
  const [metadata, setMetadata] = useState('');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => call(api.POST('/api/v1/identities', { body: { name, organizationId: orgId, role, metadata: textToMetadata(metadata) } })),
    onSuccess: ({ identity }) => {
      void queryClient.invalidateQueries({ queryKey: ['identities', orgId] });
      navigate(`/orgs/${orgId}/identities/${identity.id}/kubernetes`);
    },
  });
  if (!open) {
    return (
      <p>
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          New identity
        </button>
      </p>
    );
  }
  const errors = fieldErrors(create.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="New identity" noValidate>
      <h2>New identity</h2>
      <Field label="Name" help="Unique in the organization (case-insensitive), e.g. the workload's name: checkout-service." error={errors.name}>
        {(p) => <input {...p} required autoFocus value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Role" help={ROLE_HELP} error={errors.role}>
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Metadata" help="Optional labels, one key=value per line (at most 32)." error={nestedError(errors, 'metadata')}>
        {(p) => <textarea {...p} rows={3} value={metadata} onChange={(e) => setMetadata(e.target.value)} />}
      </Field>
      <ErrorBox error={create.error} title="The identity was not created" />
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create identity
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
