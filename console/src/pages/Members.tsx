import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, fieldErrors, type Schemas } from '../api/client';
import { useCurrentOrganization, useMe } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { Field, formatTime, ReadOnlyNotice } from '../components/Form';
import { ListTable } from '../components/ListTable';
import { Loading } from '../components/Layout';

type Role = Schemas['MembershipDto']['role'];
const PAGE = 50;

export function MembersPage() {
  const { orgId, organization, isAdmin } = useCurrentOrganization();
  const me = useMe();
  const [offset, setOffset] = useState(0);
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ['members', orgId, offset],
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/organizations/{orgId}/memberships', { params: { path: { orgId }, query: { offset, limit: PAGE } } })),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['members', orgId] });
  const change = useMutation({
    mutationFn: ({ membershipId, role }: { membershipId: string; role: Role }) => call(api.PATCH('/api/v1/organizations/{orgId}/memberships/{membershipId}', { params: { path: { orgId, membershipId } }, body: { role } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (membershipId: string) => call(api.DELETE('/api/v1/organizations/{orgId}/memberships/{membershipId}', { params: { path: { orgId, membershipId } } })),
    onSuccess: refresh,
  });
  return (
    <>
      <h1>Members{organization ? ` of ${organization.name}` : ''}</h1>
      <p className="muted">People who use this console for the organization: admins change things, viewers read.</p>
      {isAdmin ? <AddMember orgId={orgId} onAdded={refresh} /> : <ReadOnlyNotice what="the member list" />}
      <ErrorBox error={list.error ?? change.error ?? remove.error} />
      {list.isPending && <Loading />}
      {list.data && (
        <ListTable
          caption="Members"
          columns={['Email', 'Role', 'Since', '']}
          empty="No members."
          paging={{ offset, limit: PAGE, total: list.data.totalCount, onChange: setOffset }}
          rows={list.data.memberships.map((m) => (
            <tr key={m.id}>
              <td>
                {m.email}
                {m.userId === me.data?.user?.id ? <span className="muted"> (you)</span> : null}
              </td>
              <td>
                {isAdmin ? (
                  <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => change.mutate({ membershipId: m.id, role: e.target.value as Role })}>
                    <option>admin</option>
                    <option>viewer</option>
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td>{formatTime(m.createdAt)}</td>
              <td>
                {isAdmin && (
                  <button type="button" className="destructive" onClick={() => window.confirm(`Remove ${m.email} from the organization?`) && remove.mutate(m.id)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        />
      )}
    </>
  );
}

function AddMember({ orgId, onAdded }: { orgId: string; onAdded: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const add = useMutation({
    mutationFn: () => call(api.POST('/api/v1/organizations/{orgId}/memberships', { params: { path: { orgId } }, body: { email, role, ...(password ? { password } : {}) } })),
    onSuccess: () => {
      setEmail('');
      setPassword('');
      onAdded();
    },
  });
  const errors = fieldErrors(add.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Add member" noValidate>
      <h2>Add a member</h2>
      <div className="grid3">
        <Field label="Email" error={errors.email}>
          {(p) => <input {...p} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Initial password" help="Only for a new user (12–256 characters); an existing user keeps theirs." error={errors.password}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <Field label="Role" error={errors.role}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option>viewer</option>
              <option>admin</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={add.error} title="Not added" />
      {add.isSuccess && <p className="success" role="status">Member added.</p>}
      <button type="submit" className="primary" disabled={add.isPending}>
        Add member
      </button>
    </form>
  );
}
