import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { useMe } from '../api/hooks';
import { AuditTable } from '../components/AuditTable';
import { ErrorBox } from '../components/ErrorBox';
import { formatTime } from '../components/Form';
import { Loading } from '../components/Layout';

/** Instance settings, for super admins: signing-key rotation and the instance audit log. */
export function InstancePage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const rotate = useMutation({
    mutationFn: () => call(api.POST('/api/v1/admin/signing-keys/rotate')),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['audit'] }),
  });
  if (me.error) return <ErrorBox error={me.error} />;
  if (!me.data) return <Loading />;
  if (!me.data.user?.superAdmin) return <p className="notice">Instance settings are for the instance's super admin.</p>;
  return (
    <>
      <h1>Instance</h1>
      <section className="card">
        <h2>Access-token signing key</h2>
        <p>
          Rotating signs new tokens with a fresh ES256 key at once (other replicas within about 5 s). The previous key stays in <code>/.well-known/jwks.json</code> until every token it signed has
          expired, and at least 12 hours.
        </p>
        <ErrorBox error={rotate.error} />
        {rotate.data && (
          <p className="success" role="status">
            New key <code>{rotate.data.kid}</code>; the previous key <code>{rotate.data.previousKid ?? '—'}</code> retires {formatTime(rotate.data.previousRetiresAt)}.
          </p>
        )}
        <button type="button" onClick={() => window.confirm('Rotate the signing key now?') && rotate.mutate()} disabled={rotate.isPending}>
          Rotate signing key
        </button>
      </section>
      <h2>Instance audit log</h2>
      <p className="muted">Events that belong to no organization: session logins, bootstrap, logouts, password changes, key rotations.</p>
      <AuditTable scope={{ kind: 'instance' }} />
    </>
  );
}
