import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call, fieldErrors } from '../api/client';
import { useMe, useOrganizations } from '../api/hooks';
import { setSessionToken } from '../api/session';
import { ErrorBox } from '../components/ErrorBox';
import { Field, formatTime } from '../components/Form';

/** Own account: who I am, my organizations, a new organization, password, sign out. */
export function AccountPage() {
  const me = useMe();
  const organizations = useOrganizations();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      setSessionToken(null);
      queryClient.clear();
      navigate('/sign-in', { replace: true });
    },
  });
  return (
    <>
      <h1>Account</h1>
      <ErrorBox error={me.error} />
      {me.data?.user && (
        <p>
          Signed in as <strong>{me.data.user.email}</strong>
          {me.data.user.superAdmin ? ' (super admin)' : ''}; this session ends {formatTime(me.data.expiresAt)}.
        </p>
      )}
      <p>
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      </p>
      <ChangePassword />
      <NewOrganization onCreated={(id) => navigate(`/orgs/${id}/identities`)} />
      {organizations.data && (
        <section className="card">
          <h2>Your organizations</h2>
          <ul>
            {organizations.data.map((o) => (
              <li key={o.id}>
                {o.name} — {o.role} <span className="muted">(slug {o.slug})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function ChangePassword() {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const change = useMutation({
    mutationFn: () => call(api.POST('/api/v1/users/me/password', { body: { currentPassword, newPassword } })),
    onSuccess: () => {
      setCurrent('');
      setNew('');
    },
  });
  const errors = fieldErrors(change.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Change password" noValidate>
      <h2>Change password</h2>
      <Field label="Current password" error={errors.currentPassword}>
        {(p) => <input {...p} type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} />}
      </Field>
      <Field label="New password" help="12 to 256 characters. Your other sessions are signed out; this one stays." error={errors.newPassword}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNew(e.target.value)} />}
      </Field>
      <ErrorBox error={change.error} title="Password not changed" />
      {change.isSuccess && (
        <p className="success" role="status">
          Password changed.
        </p>
      )}
      <button type="submit" className="primary" disabled={change.isPending}>
        Change password
      </button>
    </form>
  );
}

function NewOrganization({ onCreated }: { onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => call(api.POST('/api/v1/organizations', { body: { name } })),
    onSuccess: ({ organization }) => {
      void queryClient.invalidateQueries({ queryKey: ['organizations'] });
      onCreated(organization.id);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-label="New organization" noValidate>
      <h2>New organization</h2>
      <Field label="Organization name" error={fieldErrors(create.error).name}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <ErrorBox error={create.error} title="Not created" />
      <button type="submit" disabled={create.isPending}>
        Create organization
      </button>
    </form>
  );
}
