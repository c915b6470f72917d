import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { setSessionToken, useSessionToken } from '../api/session';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Form';
import { useBootstrapStatus } from '../components/Layout';

export function SignInPage() {
  const token = useSessionToken();
  const status = useBootstrapStatus();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const from = (location.state as { from?: string } | null)?.from;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/login', { body: { email, password } })),
    onSuccess: (answer) => {
      queryClient.clear();
      setSessionToken(answer.accessToken);
      navigate(from ?? '/', { replace: true });
    },
  });
  if (token && !signIn.isSuccess) return <Navigate to={from ?? '/'} replace />;
  if (status.data && !status.data.bootstrapped) return <Navigate to="/setup" replace />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <main className="narrow" id="main">
      <h1>Sign in to Zerokey</h1>
      {from && <p className="notice">Your session has ended; sign in again to go back to where you were.</p>}
      <form onSubmit={submit} noValidate>
        <Field label="Email">{(p) => <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
        <Field label="Password">{(p) => <input {...p} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        <ErrorBox error={signIn.error} title="Sign-in failed" />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          Sign in
        </button>
      </form>
      <p className="muted">
        Sessions last 12 hours and end with this browser tab. <Link to="/help/troubleshooting">Troubleshooting guide</Link>
      </p>
    </main>
  );
}
