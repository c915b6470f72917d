import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { connectionWarnings } from '../../../src/kubernetes-auth/config-warnings';
import { api, call, fieldErrors, type Schemas } from '../api/client';
import { useCurrentOrganization } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { Field, formatTime, ReadOnlyNotice } from '../components/Form';
import { ListTable } from '../components/ListTable';
import { Loading } from '../components/Layout';
import { SaveBar } from '../components/SaveBar';
import { CheckReport } from '../kubernetes/CheckReport';
import { changedFields, ConnectionFields, connectionBody, connectionState } from '../kubernetes/connection';

type Cluster = Schemas['KubernetesClusterDto'];
const PAGE = 20;

export function ClustersPage() {
  const { orgId, organization, isAdmin } = useCurrentOrganization();
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    queryKey: ['clusters', orgId, search, offset],
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/organizations/{orgId}/kubernetes-clusters', { params: { path: { orgId }, query: { search: search || undefined, offset, limit: PAGE } } })),
  });
  return (
    <>
      <h1>Kubernetes clusters{organization ? ` of ${organization.name}` : ''}</h1>
      <p className="muted">A cluster connection registered once and shared by the identities that list it; rotating its reviewer token is one change for all of them.</p>
      {isAdmin ? (
        <p>
          <Link className="button primary" to={`/orgs/${orgId}/clusters/new`}>
            New cluster
          </Link>
        </p>
      ) : (
        <ReadOnlyNotice what="this organization" />
      )}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search by name">
          {(p) => (
            <input
              {...p}
              type="search"
              value={search}
              onChange={(e) => {
                setSearch(e.target.value);
                setOffset(0);
              }}
            />
          )}
        </Field>
      </form>
      <ErrorBox error={list.error} />
      {list.isPending && <Loading />}
      {list.data && (
        <ListTable
          caption="Clusters"
          columns={['Name', 'API server', 'Verification', 'Used by', 'Changed']}
          empty={`No clusters${search ? ' match' : ' yet'}.`}
          paging={{ offset, limit: PAGE, total: list.data.totalCount, onChange: setOffset }}
          rows={list.data.kubernetesClusters.map((cluster) => (
            <tr key={cluster.id}>
              <td>
                <Link to={`/orgs/${orgId}/clusters/${cluster.id}`}>{cluster.name}</Link>
              </td>
              <td className="mono small">{cluster.kubernetesHost || 'in-cluster'}</td>
              <td>{cluster.verification}</td>
              <td>{cluster.usedBy}</td>
              <td>{formatTime(cluster.updatedAt)}</td>
            </tr>
          ))}
        />
      )}
    </>
  );
}

export function NewClusterPage() {
  const { orgId } = useCurrentOrganization();
  return (
    <>
      <p className="crumbs">
        <Link to={`/orgs/${orgId}/clusters`}>Clusters</Link> /
      </p>
      <h1>New cluster</h1>
      <ClusterForm orgId={orgId} cluster={undefined} canWrite />
    </>
  );
}

export function ClusterPage() {
  const { orgId, isAdmin } = useCurrentOrganization();
  const { clusterId = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const cluster = useQuery({ queryKey: ['cluster', clusterId], queryFn: async () => (await call(api.GET('/api/v1/kubernetes-clusters/{clusterId}', { params: { path: { clusterId } } }))).kubernetesCluster });
  const check = useMutation({ mutationFn: () => call(api.POST('/api/v1/kubernetes-clusters/{clusterId}/check', { params: { path: { clusterId } } })) });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/kubernetes-clusters/{clusterId}', { params: { path: { clusterId } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['clusters', orgId] });
      navigate(`/orgs/${orgId}/clusters`);
    },
  });
  if (cluster.error) return <ErrorBox error={cluster.error} />;
  if (!cluster.data) return <Loading />;
  return (
    <>
      <p className="crumbs">
        <Link to={`/orgs/${orgId}/clusters`}>Clusters</Link> /
      </p>
      <h1>{cluster.data.name}</h1>
      <p className="muted">
        Cluster id <code>{cluster.data.id}</code> · used by {cluster.data.usedBy} identit{cluster.data.usedBy === 1 ? 'y' : 'ies'}
      </p>
      {!isAdmin && <ReadOnlyNotice what="this cluster" />}
      <ClusterForm orgId={orgId} cluster={cluster.data} canWrite={isAdmin} />
      {isAdmin && (
        <section className="card">
          <h2>Connection check</h2>
          <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
            {check.isPending ? 'Checking…' : 'Run check'}
          </button>
          <ErrorBox error={check.error} />
          {check.data && <CheckReport report={check.data} />}
        </section>
      )}
      {isAdmin && (
        <section className="card danger">
          <h2>Delete this cluster</h2>
          <p>Only a cluster no identity lists can be deleted.</p>
          <ErrorBox error={remove.error} title="Not deleted" />
          <button type="button" className="destructive" onClick={() => window.confirm(`Delete cluster ${cluster.data.name}?`) && remove.mutate()}>
            Delete cluster
          </button>
        </section>
      )}
    </>
  );
}

function ClusterForm({ orgId, cluster, canWrite }: { orgId: string; cluster: Cluster | undefined; canWrite: boolean }) {
  const [name, setName] = useState(cluster?.name ?? '');
  const [connection, setConnection] = useState(() => connectionState(cluster));
  const [saved, setSaved] = useState<Schemas['ConfigWarningDto'][] | null>(null);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      const body = { name, ...connectionBody(connection) };
      if (!cluster) return call(api.POST('/api/v1/organizations/{orgId}/kubernetes-clusters', { params: { path: { orgId } }, body }));
      return call(api.PATCH('/api/v1/kubernetes-clusters/{clusterId}', { params: { path: { clusterId: cluster.id } }, body: changedFields(body, cluster as unknown as Record<string, unknown>) }));
    },
    onSuccess: (answer) => {
      setSaved(answer.warnings);
      void queryClient.invalidateQueries({ queryKey: ['clusters', orgId] });
      queryClient.setQueryData(['cluster', answer.kubernetesCluster.id], answer.kubernetesCluster);
      if (!cluster) navigate(`/orgs/${orgId}/clusters/${answer.kubernetesCluster.id}`);
    },
  });
  const errors = fieldErrors(save.error);
  const live = connectionWarnings(connection);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="card" aria-label="Cluster" noValidate>
      <fieldset disabled={!canWrite} className="plain">
        <Field label="Name" help="Unique in the organization, e.g. prod-eu-1." error={errors.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ConnectionFields
          state={connection}
          onChange={(c) => {
            setSaved(null);
            setConnection(c);
          }}
          jwtStored={Boolean(cluster?.tokenReviewerJwtSet)}
          errors={errors}
        />
        <SaveBar warnings={{ live, saved }} error={save.error} canWrite={canWrite} pending={save.isPending} label={cluster ? 'Save changes' : 'Create cluster'} />
      </fieldset>
    </form>
  );
}
