// Purging a namespace cannot be undone: the user types the namespace's name to confirm, as with deleting
// a repository on a forge.
import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { formatCount } from '../lib/format.js';
import { useSession } from '../lib/session.js';
import { BusyButton } from './busy-button.js';
import { ErrorNote } from './status.js';

export function PurgeForm({ ns, onPurged, idPrefix = 'purge' }: { ns: string; onPurged?: (forgotten: number) => void; idPrefix?: string }) {
  const { api } = useSession();
  const [typed, setTyped] = useState('');
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [result, setResult] = useState<number | undefined>(undefined);
  const matches = typed === ns;

  const submit = async (): Promise<void> => {
    if (!matches || busy) return;
    const olderThanDays = days.trim() === '' ? undefined : Number(days);
    if (olderThanDays !== undefined && !(olderThanDays > 0)) {
      setError(new Error(`"older than" must be a number of days above 0, got "${days}"; leave it empty to purge every memory`));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const forgotten = await api.purge(ns, olderThanDays);
      setResult(forgotten);
      setTyped('');
      onPurged?.(forgotten);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="purge-form"
      aria-label={`Purge namespace ${ns}`}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <p>
        Purging forgets memories of <strong>{ns}</strong> and their edges for good. Leave “older than” empty to forget all of them.
      </p>
      <div class="row">
        <div class="field">
          <label for={`${idPrefix}-days`}>Only those not created or recalled in the last … days (optional)</label>
          <input
            id={`${idPrefix}-days`}
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for={`${idPrefix}-confirm`}>
            Type <kbd>{ns}</kbd> to confirm
          </label>
          <input
            id={`${idPrefix}-confirm`}
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
            aria-describedby={`${idPrefix}-hint`}
          />
        </div>
      </div>
      <p id={`${idPrefix}-hint`} class="hint">
        {matches ? 'Confirmed: the button below purges.' : 'The purge button works once the name matches exactly.'}
      </p>
      <BusyButton type="submit" kind="danger" busy={busy} busyLabel="Purging…">
        {matches ? `Purge ${ns}` : 'Purge (type the name first)'}
      </BusyButton>
      <div aria-live="polite">
        {result === undefined ? null : <p class="status ok">Purged: {formatCount(result)} memories forgotten.</p>}
      </div>
      {error === undefined ? null : <ErrorNote error={error} title="The purge failed" />}
    </form>
  );
}
