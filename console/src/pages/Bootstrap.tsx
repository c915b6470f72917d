import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { api, call, fieldErrors } from '../api/client';
import { setSessionToken } from '../api/session';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Form';
import { Loading, useBootstrapStatus } from '../components/Layout';

/** First run: the first user (super admin) and the first organization. */
export function BootstrapPage() {
  const status = useBootstrapStatus();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [organization, setOrganization] = useState('');
  const [bootstrapToken, setBootstrapToken] = useState('');
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/admin/bootstrap', {
          body: { email, password, organization },
          headers: bootstrapToken ? { 'x-bootstrap-token': bootstrapToken } : {},
        }),
      ),
    onSuccess: (answer) => {
      setSessionToken(answer.accessToken);
      void queryClient.invalidateQueries();
      navigate(`/orgs/${answer.organization.id}/identities`, { replace: true });
    },
  });
  if (status.data?.bootstrapped && !create.isSuccess) return <Navigate to="/sign-in" replace />;
  if (!status.data) return status.error ? <ErrorBox error={status.error} /> : <Loading />;
  const errors = fieldErrors(create.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <main className="narrow" id="main">
      <h1>Set up Zerokey</h1>
      <p>No one has signed in yet. Create the first user — the instance's super admin — and its first organization.</p>
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={errors.email}>
          {(p) => <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password" help="12 to 256 characters." error={errors.password}>
          {(p) => <input {...p} type="password" autoComplete="new-password" required minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <Field label="Organization name" help="Your team or company; you can add more organizations later." error={errors.organization}>
          {(p) => <input {...p} required value={organization} onChange={(e) => setOrganization(e.target.value)} />}
        </Field>
        <Field label="Bootstrap token (optional)" help="Needed when you are not on the service's own machine: the BOOTSTRAP_TOKEN, or the one-time token the service logged at start.">
          {(p) => <input {...p} type="password" autoComplete="off" value={bootstrapToken} onChange={(e) => setBootstrapToken(e.target.value)} />}
        </Field>
        <ErrorBox error={create.error} title="Setup failed" />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create user and organization
        </button>
      </form>
    </main>
  );
}
