import { Link } from 'react-router';
import { ApiError } from '../api/client';

/** Where a code is explained: its entry in the troubleshooting guide the console carries. */
export function troubleshootingPath(code: string): string {
  return `/help/troubleshooting#${encodeURIComponent(code)}`;
}

/** An error as the API answered it: code, message, request id, the refused fields, and where to read more. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'ConsoleError', error instanceof Error ? error.message : String(error), null);
  const documented = e.status > 0;
  return (
    <div className="error" role="alert" data-error-code={e.code}>
      <p>
        <strong>{title ?? 'The request failed'}:</strong> <code>{e.code}</code>
        {e.status > 0 ? ` (${e.status})` : ''} — {e.message}
      </p>
      {e.details.length > 0 && (
        <ul>
          {e.details.map((d) => (
            <li key={d.field}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        {documented && <Link to={troubleshootingPath(e.code)}>What {e.code} means and how to fix it</Link>}
        {e.reqId && <span> · request id <code>{e.reqId}</code></span>}
      </p>
    </div>
  );
}
