import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, type Schemas } from '../api/client';
import { ErrorBox } from './ErrorBox';
import { Field, formatTime } from './Form';
import { ListTable } from './ListTable';
import { Loading } from './Layout';

/** The events of docs/api.md "Audit events", offered as suggestions (the filter takes any exact name). */
const EVENTS = [
  'kubernetes-auth.login',
  'kubernetes-auth.created',
  'kubernetes-auth.updated',
  'kubernetes-auth.deleted',
  'kubernetes-cluster.created',
  'kubernetes-cluster.updated',
  'kubernetes-cluster.deleted',
  'identity.created',
  'identity.updated',
  'identity.deleted',
  'access-token.revoked',
  'access-token.revoked-all',
  'access-token.renewed',
  'access-token.self-revoked',
  'organization.created',
  'membership.created',
  'membership.updated',
  'membership.deleted',
  'auth.login',
  'auth.logout',
  'user.password-changed',
  'instance.bootstrapped',
  'signing-key.rotated',
];

const PAGE = 25;

interface Filters {
  event: string;
  identityId: string;
  actorId: string;
  outcome: '' | 'success' | 'failure';
  startDate: string;
  endDate: string;
}

const EMPTY: Filters = { event: '', identityId: '', actorId: '', outcome: '', startDate: '', endDate: '' };

/** A datetime-local value (the browser's local time) as the strict ISO 8601 the API takes. */
function iso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

type Scope = { kind: 'organization'; orgId: string } | { kind: 'instance' };

/** An audit log with every filter of the API (event, identity, actor, outcome, time range) and paging. */
export function AuditTable({ scope, fixedIdentityId }: { scope: Scope; fixedIdentityId?: string }) {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const query = {
    event: filters.event || undefined,
    identityId: fixedIdentityId ?? (filters.identityId.trim() || undefined),
    actorId: filters.actorId.trim() || undefined,
    outcome: filters.outcome || undefined,
    startDate: iso(filters.startDate),
    endDate: iso(filters.endDate),
    offset,
    limit: PAGE,
  };
  const logs = useQuery({
    queryKey: ['audit', scope, query],
    placeholderData: keepPreviousData,
    queryFn: () =>
      scope.kind === 'instance'
        ? call(api.GET('/api/v1/admin/audit-logs', { params: { query } }))
        : call(api.GET('/api/v1/organizations/{orgId}/audit-logs', { params: { path: { orgId: scope.orgId }, query } })),
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setOffset(0);
    setFilters(draft);
  };
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setDraft((d) => ({ ...d, [key]: value }));
  return (
    <>
      <form className="filters" onSubmit={apply} aria-label="Audit log filters">
        <Field label="Event">
          {(p) => (
            <>
              <input {...p} list="audit-events" spellCheck={false} value={draft.event} onChange={(e) => set('event', e.target.value)} />
              <datalist id="audit-events">
                {EVENTS.map((e) => (
                  <option key={e} value={e} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        {!fixedIdentityId && <Field label="Identity id">{(p) => <input {...p} spellCheck={false} value={draft.identityId} onChange={(e) => set('identityId', e.target.value)} />}</Field>}
        <Field label="Actor id" help="The user or identity that acted.">
          {(p) => <input {...p} spellCheck={false} value={draft.actorId} onChange={(e) => set('actorId', e.target.value)} />}
        </Field>
        <Field label="Outcome">
          {(p) => (
            <select {...p} value={draft.outcome} onChange={(e) => set('outcome', e.target.value as Filters['outcome'])}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          )}
        </Field>
        <Field label="From">{(p) => <input {...p} type="datetime-local" step={1} value={draft.startDate} onChange={(e) => set('startDate', e.target.value)} />}</Field>
        <Field label="To">{(p) => <input {...p} type="datetime-local" step={1} value={draft.endDate} onChange={(e) => set('endDate', e.target.value)} />}</Field>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setOffset(0);
            }}
          >
            Clear
          </button>
          <button type="button" onClick={() => void logs.refetch()}>
            Refresh
          </button>
        </div>
      </form>
      <ErrorBox error={logs.error} />
      {logs.isPending && <Loading />}
      {logs.data && (
        <ListTable
          caption="Audit events"
          className="audit"
          columns={['Time', 'Event', 'Outcome', 'Actor', 'IP', 'Details']}
          empty="No events match."
          paging={{ offset, limit: PAGE, total: logs.data.totalCount, onChange: setOffset }}
          rows={logs.data.auditLogs.map((entry) => (
            <AuditRow key={entry.id} entry={entry} />
          ))}
        />
      )}
    </>
  );
}

function AuditRow({ entry }: { entry: Schemas['AuditLogDto'] }) {
  return (
    <tr data-event={entry.event} data-outcome={entry.outcome}>
      <td>{formatTime(entry.createdAt)}</td>
      <td>
        <code>{entry.event}</code>
      </td>
      <td className={entry.outcome === 'failure' ? 'state-revoked' : 'state-active'}>
        {entry.outcome}
        {entry.errorCode ? (
          <>
            {' '}
            <code>{entry.errorCode}</code>
          </>
        ) : null}
      </td>
      <td>
        {entry.actorType}
        {entry.actorId ? (
          <>
            {' '}
            <code title={entry.actorId}>{entry.actorId.slice(0, 8)}</code>
          </>
        ) : null}
      </td>
      <td>{entry.ip ?? '—'}</td>
      <td className="mono small">{Object.keys(entry.metadata).length ? JSON.stringify(entry.metadata) : ''}</td>
    </tr>
  );
}
