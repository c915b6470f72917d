import type { Schemas } from '../api/client';
import { ErrorBox } from './ErrorBox';
import { Warnings } from './Warnings';

/** The end of an edit form: its warnings, the refusal if any, and the submit button for those who may write. */
export function SaveBar({ warnings, error, canWrite, pending, label }: { warnings?: { live: Schemas['ConfigWarningDto'][]; saved: Schemas['ConfigWarningDto'][] | null }; error: unknown; canWrite: boolean; pending: boolean; label: string }) {
  return (
    <>
      {warnings && <Warnings live={warnings.live} saved={warnings.saved} />}
      <ErrorBox error={error} title="Not saved" />
      {canWrite && (
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {label}
          </button>
        </div>
      )}
    </>
  );
}
