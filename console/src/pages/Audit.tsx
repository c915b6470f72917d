import { useCurrentOrganization } from '../api/hooks';
import { AuditTable } from '../components/AuditTable';

export function AuditPage() {
  const { orgId, organization } = useCurrentOrganization();
  return (
    <>
      <h1>Audit log{organization ? ` of ${organization.name}` : ''}</h1>
      <p className="muted">Every login attempt, configuration change and revocation in this organization, newest first.</p>
      <AuditTable scope={{ kind: 'organization', orgId }} />
    </>
  );
}
