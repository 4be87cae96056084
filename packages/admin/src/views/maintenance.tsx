// Save, compact and purge, each showing that it runs and what it did.
import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { BusyButton } from '../components/busy-button.js';
import { defaultNamespace, NamespaceSelect, NamespacesError, useNamespaces } from '../components/namespace-select.js';
import { PurgeForm } from '../components/purge-form.js';
import { Empty, ErrorNote } from '../components/status.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatBytes, formatMs, formatTime } from '../lib/format.js';
import { useSession } from '../lib/session.js';

/** One maintenance call: busy while it runs, then its result line or its error. */
function Task({
  id,
  title,
  description,
  label,
  busyLabel,
  run,
}: {
  id: string;
  title: string;
  description: string;
  label: string;
  busyLabel: string;
  run: () => Promise<string>;
}) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const start = async (): Promise<void> => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await run());
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="task" aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p>{description}</p>
      <BusyButton kind="primary" busy={busy} busyLabel={busyLabel} onClick={() => void start()}>
        {label}
      </BusyButton>
      <div aria-live="polite" data-testid={`${id}-result`}>
        {busy ? <p class="status loading">{busyLabel}</p> : result === undefined ? null : <p class="status ok">{result}</p>}
      </div>
      {error === undefined ? null : <ErrorNote error={error} title={`${title} failed`} />}
    </section>
  );
}

export function Maintenance() {
  const { api } = useSession();
  const namespaces = useNamespaces();
  const [purgeNs, setPurgeNs] = useState<string | undefined>(undefined);
  const ns = purgeNs ?? (namespaces.value === undefined ? undefined : defaultNamespace(namespaces.value, undefined));
  return (
    <>
      <ViewHeading>Maintenance</ViewHeading>
      <div class="tasks">
        <Task
          id="save"
          title="Save"
          description="Writes the whole store to its file atomically and starts an empty write-ahead log. Searches and writes keep running."
          label="Save now"
          busyLabel="Saving…"
          run={async () => {
            const { bytes, ms } = await api.save();
            return `Saved ${formatBytes(bytes)} in ${formatMs(ms)} (finished ${formatTime(Date.now())}).`;
          }}
        />
        <Task
          id="compact"
          title="Compact"
          description="Drops what forget and purge left behind from every index: unlinked in place (the space is reused by the next memories), or the index rebuilt from its live memories when most of it was forgotten. Searches keep running meanwhile."
          label="Compact now"
          busyLabel="Compacting…"
          run={async () => {
            const started = performance.now();
            await api.compact();
            return `Compacted: the indexes hold no forgotten memories (${formatMs(performance.now() - started)}, finished ${formatTime(Date.now())}).`;
          }}
        />
      </div>
      <section aria-labelledby="purge-title" class="task">
        <h2 id="purge-title">Purge a namespace</h2>
        <NamespacesError namespaces={namespaces} />
        {namespaces.value !== undefined && namespaces.value.length === 0 ? (
          <Empty>No namespaces to purge: the store holds no memories.</Empty>
        ) : (
          <>
            <NamespaceSelect namespaces={namespaces.value ?? []} value={ns} onChange={setPurgeNs} id="purge-ns" />
            {ns === undefined ? null : <PurgeForm key={ns} ns={ns} idPrefix="maintenance-purge" onPurged={namespaces.reload} />}
          </>
        )}
      </section>
    </>
  );
}
