import { Check, Field } from '../components/Form';

export type ReviewerSource = 'stored' | 'client' | 'in-cluster';
export type Verification = 'token-review' | 'jwks';

/** How to reach a cluster and verify its tokens: a config's own connection, or a shared cluster's. */
interface ConnectionSettings {
  kubernetesHost: string;
  caCert: string;
  verifyTlsCertificate: boolean;
  tokenReviewerSource: ReviewerSource;
  verification: Verification;
  issuer: string;
}

/** The connection as the form edits it. */
export interface ConnectionState extends ConnectionSettings {
  /** A new reviewer token typed into the form ('' leaves the stored one as it is). */
  tokenReviewerJwt: string;
  clearTokenReviewerJwt: boolean;
}

/** The connection as the API answers it (the reviewer token itself never). */
export interface StoredConnection extends ConnectionSettings {
  tokenReviewerJwtSet: boolean;
}

export function connectionState(stored: StoredConnection | undefined): ConnectionState {
  return {
    kubernetesHost: stored?.kubernetesHost ?? '',
    caCert: stored?.caCert ?? '',
    verifyTlsCertificate: stored?.verifyTlsCertificate ?? true,
    tokenReviewerSource: stored?.tokenReviewerSource ?? 'stored',
    verification: stored?.verification ?? 'token-review',
    issuer: stored?.issuer ?? '',
    tokenReviewerJwt: '',
    clearTokenReviewerJwt: false,
  };
}

/** The connection fields of a write; the reviewer token only when typed (or cleared). */
export function connectionBody(state: ConnectionState) {
  return {
    kubernetesHost: state.kubernetesHost.trim(),
    caCert: state.caCert,
    verifyTlsCertificate: state.verifyTlsCertificate,
    tokenReviewerSource: state.tokenReviewerSource,
    verification: state.verification,
    issuer: state.issuer.trim(),
    ...(state.tokenReviewerJwt ? { tokenReviewerJwt: state.tokenReviewerJwt.trim() } : state.clearTokenReviewerJwt ? { tokenReviewerJwt: null } : {}),
  };
}

/** Only the fields that differ from what is stored (a PATCH keeps the others). */
export function changedFields<T extends Record<string, unknown>>(body: T, stored: Record<string, unknown> | undefined): Partial<T> {
  if (!stored) return body;
  const changed = Object.entries(body).filter(([key, value]) => key === 'tokenReviewerJwt' || JSON.stringify(value) !== JSON.stringify(stored[key]));
  return Object.fromEntries(changed) as Partial<T>;
}

const SOURCE_HELP: Record<ReviewerSource, string> = {
  stored: 'A long-lived token of a service account bound to system:auth-delegator, stored encrypted here (recommended).',
  client: 'The workload’s own token is the reviewer bearer: its service account needs system:auth-delegator, and its token cannot have a custom audience.',
  'in-cluster': 'Zerokey runs in this cluster and uses its own service account (leave the host empty).',
};

/** The connection part of the Kubernetes auth form and of the cluster form. */
export function ConnectionFields({ state, onChange, jwtStored, errors }: { state: ConnectionState; onChange: (next: ConnectionState) => void; jwtStored: boolean; errors: Record<string, string> }) {
  const set = <K extends keyof ConnectionState>(key: K, value: ConnectionState[K]) => onChange({ ...state, [key]: value });
  return (
    <>
      <Field label="Kubernetes API server URL" help="The https:// address of the cluster's API server, as in your kubeconfig (e.g. https://10.0.0.1:6443). Empty with the in-cluster source." error={errors.kubernetesHost}>
        {(p) => <input {...p} type="url" inputMode="url" spellCheck={false} placeholder="https://kubernetes.example.com:6443" value={state.kubernetesHost} onChange={(e) => set('kubernetesHost', e.target.value)} />}
      </Field>
      <Field label="CA certificate (PEM)" help="The cluster's CA (kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d). Empty: the system trust store." error={errors.caCert}>
        {(p) => <textarea {...p} rows={4} spellCheck={false} className="mono" placeholder="-----BEGIN CERTIFICATE-----" value={state.caCert} onChange={(e) => set('caCert', e.target.value)} />}
      </Field>
      <Check label="Verify the API server's TLS certificate" help="Leave on. Turned off, anyone between Zerokey and the cluster could answer token reviews." checked={state.verifyTlsCertificate} onChange={(v) => set('verifyTlsCertificate', v)} />
      <Field label="Token reviewer" help={SOURCE_HELP[state.tokenReviewerSource]} error={errors.tokenReviewerSource}>
        {(p) => (
          <select {...p} value={state.tokenReviewerSource} onChange={(e) => set('tokenReviewerSource', e.target.value as ReviewerSource)}>
            <option value="stored">stored reviewer token</option>
            <option value="client">the workload's own token (client)</option>
            <option value="in-cluster">Zerokey's own service account (in-cluster)</option>
          </select>
        )}
      </Field>
      {state.tokenReviewerSource === 'stored' && (
        <>
          <Field
            label={jwtStored ? 'Replace the reviewer token' : 'Reviewer token'}
            help={
              jwtStored
                ? 'A token is stored (write-only, encrypted; it is never shown). Type a new one to replace it; changing the URL needs it again.'
                : 'kubectl create token <reviewer> -n <namespace> --duration=8760h. Write-only: it is encrypted at rest and never shown again.'
            }
            error={errors.tokenReviewerJwt}
          >
            {(p) => <input {...p} type="password" autoComplete="off" spellCheck={false} value={state.tokenReviewerJwt} onChange={(e) => onChange({ ...state, tokenReviewerJwt: e.target.value, clearTokenReviewerJwt: false })} />}
          </Field>
        </>
      )}
      {jwtStored && state.tokenReviewerSource !== 'stored' && (
        <Check label="Delete the stored reviewer token" help="The stored token is not used by this source." checked={state.clearTokenReviewerJwt} onChange={(v) => set('clearTokenReviewerJwt', v)} />
      )}
      <Field label="Verification" help={state.verification === 'jwks' ? 'Tokens are checked with the cluster’s signing keys: no TokenReview per login, but no revocation check either. Requires an audience.' : 'A TokenReview per login: the cluster confirms the token, its pod and service account still exist.'} error={errors.verification}>
        {(p) => (
          <select {...p} value={state.verification} onChange={(e) => set('verification', e.target.value as Verification)}>
            <option value="token-review">TokenReview per login</option>
            <option value="jwks">the cluster's signing keys (JWKS)</option>
          </select>
        )}
      </Field>
      <Field label="Issuer" help="The iss of the cluster's service-account tokens. With JWKS, empty takes the cluster's discovery document; with several clusters it picks the cluster." error={errors.issuer}>
        {(p) => <input {...p} spellCheck={false} placeholder="https://kubernetes.default.svc.cluster.local" value={state.issuer} onChange={(e) => set('issuer', e.target.value)} />}
      </Field>
    </>
  );
}
