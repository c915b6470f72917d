import type { Schemas } from '../api/client';

/** A write's warnings: live while the form is edited, then the service's answer once saved. */
export function Warnings({ live, saved }: { live: Schemas['ConfigWarningDto'][]; saved: Schemas['ConfigWarningDto'][] | null }) {
  return (
    <div role="status" aria-live="polite" className="warnings" aria-label="Warnings">
      {(saved ?? live).map((w) => (
        <p key={w.code} className="warning" data-warning={w.code}>
          <strong>
            <code>{w.code}</code>
          </strong>{' '}
          {w.message}
        </p>
      ))}
      {saved && <p className="success">Saved.</p>}
    </div>
  );
}
