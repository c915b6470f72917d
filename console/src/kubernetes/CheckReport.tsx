import { Link } from 'react-router';
import type { Schemas } from '../api/client';
import { troubleshootingPath } from '../components/ErrorBox';

type Report = Schemas['ConnectionReportDto'];

function Item({ ok, label, detail }: { ok: boolean | null; label: string; detail?: string }) {
  const mark = ok === null ? 'not checked' : ok ? 'passed' : 'failed';
  return (
    <li className={`check-item ${ok === null ? 'skipped' : ok ? 'ok' : 'bad'}`} data-check={label}>
      <span className="mark" aria-hidden="true">
        {ok === null ? '–' : ok ? '✓' : '✗'}
      </span>
      <span>
        {label}: <strong>{mark}</strong>
        {detail ? <span className="muted"> — {detail}</span> : null}
      </span>
    </li>
  );
}

/** The connection check (POST …/check) as a checklist, each failure with its fix. */
export function CheckReport({ report }: { report: Report }) {
  return (
    <section className="report" aria-label="Connection check">
      <h3>{report.errors.length === 0 ? 'All checks passed' : `${report.errors.length} problem${report.errors.length === 1 ? '' : 's'} found`}</h3>
      <ul className="checklist">
        <Item ok={report.reachable} label="The API server answers" />
        <Item ok={report.reachable ? report.tls : null} label="TLS verified" />
        <Item ok={report.reviewerAuthorized} label={report.keys ? 'The reviewer may read the signing keys' : 'The reviewer may create TokenReviews'} detail={report.reviewerAuthorized === null ? 'cannot be checked with this reviewer source' : undefined} />
        {report.keys && <Item ok={report.keys.count > 0} label="Signing keys published" detail={`${report.keys.count} key(s), issuer ${report.keys.issuer}`} />}
        {report.namespaceReadable !== null && <Item ok={report.namespaceReadable} label="The reviewer may read namespaces (namespace selector)" />}
        <Item ok={report.kubernetesVersion !== null ? true : report.reachable ? false : null} label="Kubernetes version" detail={report.kubernetesVersion ?? undefined} />
      </ul>
      {report.errors.length > 0 && (
        <>
          <h4>How to fix</h4>
          <ul className="fixes">
            {report.errors.map((problem) => (
              <li key={problem.code + problem.message} data-error-code={problem.code}>
                <code>{problem.code}</code> — {problem.message} <Link to={troubleshootingPath(problem.code)}>More about {problem.code}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
