import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { warningsFor } from '../../../src/kubernetes-auth/config-warnings';
import { api, call, fieldErrors, nestedError, type Schemas } from '../api/client';
import { Field } from '../components/Form';
import { SaveBar } from '../components/SaveBar';
import { changedFields, ConnectionFields, type ConnectionState, connectionBody, connectionState } from './connection';
import { SelectorEditor, type SelectorState, selectorBody, selectorState } from './selector';

type Config = Schemas['KubernetesAuthDto'];
type Warning = Schemas['ConfigWarningDto'];

interface FormState {
  mode: 'own' | 'clusters';
  clusterIds: string[];
  connection: ConnectionState;
  allowedNamespaces: string;
  allowedNames: string;
  allowedServiceAccounts: string;
  allowedPodNames: string;
  allowedAudience: string;
  selector: SelectorState;
  accessTokenTTL: string;
  accessTokenMaxTTL: string;
  accessTokenNumUsesLimit: string;
  accessTokenTrustedIps: string;
}

function initialState(config: Config | undefined): FormState {
  return {
    mode: config?.clusterIds.length ? 'clusters' : 'own',
    clusterIds: config?.clusterIds ?? [],
    connection: connectionState(config),
    allowedNamespaces: config?.allowedNamespaces ?? '',
    allowedNames: config?.allowedNames ?? '',
    allowedServiceAccounts: config?.allowedServiceAccounts ?? '',
    allowedPodNames: config?.allowedPodNames ?? '',
    allowedAudience: config?.allowedAudience ?? 'zerokey',
    selector: selectorState(config?.namespaceSelector),
    accessTokenTTL: String(config?.accessTokenTTL ?? 3600),
    accessTokenMaxTTL: String(config?.accessTokenMaxTTL ?? 86400),
    accessTokenNumUsesLimit: String(config?.accessTokenNumUsesLimit ?? 0),
    accessTokenTrustedIps: (config?.accessTokenTrustedIps ?? [{ ipAddress: '0.0.0.0/0' }, { ipAddress: '::/0' }]).map((ip) => ip.ipAddress).join(', '),
  };
}

/** A number field as typed: the integer, or the text itself so that the API names what is wrong. */
function integer(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function body(state: FormState) {
  const bindings = {
    allowedNamespaces: state.allowedNamespaces,
    allowedNames: state.allowedNames,
    allowedServiceAccounts: state.allowedServiceAccounts,
    allowedPodNames: state.allowedPodNames,
    allowedAudience: state.allowedAudience.trim(),
    namespaceSelector: selectorBody(state.selector),
    accessTokenTTL: integer(state.accessTokenTTL),
    accessTokenMaxTTL: integer(state.accessTokenMaxTTL),
    accessTokenNumUsesLimit: integer(state.accessTokenNumUsesLimit),
    accessTokenTrustedIps: state.accessTokenTrustedIps
      .split(/[,\s]+/)
      .filter(Boolean)
      .map((ipAddress) => ({ ipAddress })),
  };
  return state.mode === 'clusters' ? { clusterIds: state.clusterIds, ...bindings } : { clusterIds: [], ...connectionBody(state.connection), ...bindings };
}

/**
 * Attach or edit an identity's Kubernetes auth: every field of docs/api.md "Kubernetes auth config
 * fields", with inline help and the write's warnings shown live (the service's own rules).
 */
export function KubernetesAuthForm({ identityId, orgId, config, canWrite }: { identityId: string; orgId: string; config: Config | undefined; canWrite: boolean }) {
  const [state, setState] = useState(() => initialState(config));
  const [saved, setSaved] = useState<Warning[] | null>(null);
  const queryClient = useQueryClient();
  const clusters = useQuery({
    queryKey: ['clusters', orgId, 'all'],
    queryFn: () => call(api.GET('/api/v1/organizations/{orgId}/kubernetes-clusters', { params: { path: { orgId }, query: { limit: 200 } } })),
  });
  const save = useMutation({
    mutationFn: () => {
      const full = body(state);
      const path = { params: { path: { identityId } } };
      if (!config) return call(api.POST('/api/v1/auth/kubernetes-auth/identities/{identityId}', { ...path, body: full }));
      return call(api.PATCH('/api/v1/auth/kubernetes-auth/identities/{identityId}', { ...path, body: changedFields(full, config as unknown as Record<string, unknown>) }));
    },
    onSuccess: (answer) => {
      setSaved(answer.warnings);
      setState(initialState(answer.identityKubernetesAuth));
      queryClient.setQueryData(['kubernetes-auth', identityId], answer.identityKubernetesAuth);
      void queryClient.invalidateQueries({ queryKey: ['identity', identityId] });
      void queryClient.invalidateQueries({ queryKey: ['identities', orgId] });
    },
  });
  const errors = fieldErrors(save.error);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setSaved(null);
    setState((s) => ({ ...s, [key]: value }));
  };
  const live = warningsFor({
    clusterIds: state.mode === 'clusters' ? state.clusterIds : [],
    allowedAudience: state.allowedAudience.trim(),
    verifyTlsCertificate: state.connection.verifyTlsCertificate,
    verification: state.connection.verification,
    tokenReviewerSource: state.connection.tokenReviewerSource,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const clusterList = clusters.data?.kubernetesClusters ?? [];
  return (
    <form onSubmit={submit} aria-label="Kubernetes auth" noValidate>
      <fieldset disabled={!canWrite} className="plain">
        <section className="card">
          <h3>Cluster connection</h3>
          <div className="field" role="radiogroup" aria-label="Where the cluster connection comes from">
            <label className="inline">
              <input type="radio" name="mode" checked={state.mode === 'own'} onChange={() => set('mode', 'own')} /> This identity's own connection
            </label>
            <label className="inline">
              <input type="radio" name="mode" checked={state.mode === 'clusters'} onChange={() => set('mode', 'clusters')} /> Shared clusters of the organization
            </label>
          </div>
          {state.mode === 'own' ? (
            <ConnectionFields state={state.connection} onChange={(c) => set('connection', c)} jwtStored={Boolean(config?.tokenReviewerJwtSet)} errors={errors} />
          ) : (
            <fieldset className="plain" aria-describedby="clusters-help">
              <legend>Clusters</legend>
              <small id="clusters-help" className="help">
                Workloads of any checked cluster may log in; the token's issuer picks the cluster. Register clusters under Clusters.
              </small>
              {clusterList.length === 0 && <p className="muted">This organization has no clusters yet.</p>}
              {clusterList.map((cluster) => (
                <label className="inline" key={cluster.id}>
                  <input
                    type="checkbox"
                    checked={state.clusterIds.includes(cluster.id)}
                    onChange={(e) => set('clusterIds', e.target.checked ? [...state.clusterIds, cluster.id] : state.clusterIds.filter((id) => id !== cluster.id))}
                  />{' '}
                  {cluster.name} <span className="muted">({cluster.kubernetesHost || 'in-cluster'})</span>
                </label>
              ))}
              {errors.clusterIds && <p className="field-error">{errors.clusterIds}</p>}
            </fieldset>
          )}
        </section>
        <section className="card">
          <h3>Who may log in</h3>
          <p className="help">Comma-separated; * matches any run of characters; case-sensitive. Every non-empty binding must match. Bind at least one (write * to admit everyone on purpose).</p>
          <Field label="Allowed namespaces" help="e.g. shop, payments-*" error={errors.allowedNamespaces}>
            {(p) => <input {...p} spellCheck={false} value={state.allowedNamespaces} onChange={(e) => set('allowedNamespaces', e.target.value)} />}
          </Field>
          <Field label="Allowed service account names" help="e.g. checkout, worker-*" error={errors.allowedNames}>
            {(p) => <input {...p} spellCheck={false} value={state.allowedNames} onChange={(e) => set('allowedNames', e.target.value)} />}
          </Field>
          <Field label="Allowed service accounts (namespace/name)" help="e.g. shop/checkout, payments/*" error={errors.allowedServiceAccounts}>
            {(p) => <input {...p} spellCheck={false} value={state.allowedServiceAccounts} onChange={(e) => set('allowedServiceAccounts', e.target.value)} />}
          </Field>
          <Field label="Allowed pod names" help="e.g. checkout-*. When set, only tokens bound to a matching pod are admitted." error={errors.allowedPodNames}>
            {(p) => <input {...p} spellCheck={false} value={state.allowedPodNames} onChange={(e) => set('allowedPodNames', e.target.value)} />}
          </Field>
          <SelectorEditor state={state.selector} onChange={(s) => set('selector', s)} error={nestedError(errors, 'namespaceSelector')} />
          <Field label="Allowed audience" help="The audience of the projected token the pod mounts (serviceAccountToken.audience), e.g. zerokey. Empty accepts tokens minted for anyone." error={errors.allowedAudience}>
            {(p) => <input {...p} spellCheck={false} value={state.allowedAudience} onChange={(e) => set('allowedAudience', e.target.value)} />}
          </Field>
        </section>
        <section className="card">
          <h3>Access tokens</h3>
          <div className="grid3">
            <Field label="TTL (seconds)" help="Lifetime of each access token and of each renewal. 3600 = 1 hour." error={errors.accessTokenTTL}>
              {(p) => <input {...p} type="number" min={1} inputMode="numeric" value={state.accessTokenTTL} onChange={(e) => set('accessTokenTTL', e.target.value)} />}
            </Field>
            <Field label="Max TTL (seconds)" help="No renewal goes past this, counted from the login. 86400 = 1 day." error={errors.accessTokenMaxTTL}>
              {(p) => <input {...p} type="number" min={1} inputMode="numeric" value={state.accessTokenMaxTTL} onChange={(e) => set('accessTokenMaxTTL', e.target.value)} />}
            </Field>
            <Field label="Uses per token" help="0 = unlimited." error={errors.accessTokenNumUsesLimit}>
              {(p) => <input {...p} type="number" min={0} inputMode="numeric" value={state.accessTokenNumUsesLimit} onChange={(e) => set('accessTokenNumUsesLimit', e.target.value)} />}
            </Field>
          </div>
          <Field label="Trusted IPs" help="Addresses or CIDRs, comma-separated, checked at login, renewal and every use. 0.0.0.0/0, ::/0 allows all." error={nestedError(errors, 'accessTokenTrustedIps')}>
            {(p) => <input {...p} spellCheck={false} value={state.accessTokenTrustedIps} onChange={(e) => set('accessTokenTrustedIps', e.target.value)} />}
          </Field>
        </section>
        <SaveBar warnings={{ live, saved }} error={save.error} canWrite={canWrite} pending={save.isPending} label={config ? 'Save changes' : 'Attach Kubernetes auth'} />
      </fieldset>
    </form>
  );
}
