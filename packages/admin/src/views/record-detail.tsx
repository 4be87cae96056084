// One memory: everything stored about it, its edges both ways, and the changes an operator makes by hand:
// importance and attributes, edges added or removed, forgetting it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import type { Memory, MemoryId } from '../api/types.js';
import { AttributeEditor } from '../components/attribute-editor.js';
import { BusyButton } from '../components/busy-button.js';
import { EdgeList } from '../components/edge-list.js';
import { Field } from '../components/field.js';
import { rememberNamespace } from '../components/namespace-select.js';
import { ErrorNote, Loading } from '../components/status.js';
import { ViewHeading } from '../components/view-heading.js';
import { attributesOf, rowsOf, type AttributeRow } from '../lib/attributes.js';
import { formatAge, formatCount, formatId, formatTime } from '../lib/format.js';
import { idFromPath } from '../lib/routes.js';
import { useSession } from '../lib/session.js';
import { useAsync } from '../lib/use-async.js';
import { href, navigate } from '../lib/use-route.js';

/** Runs one change at a time with a busy flag, its error and a line saying what it did. */
function useAction(): {
  busy: boolean;
  error: ApiError | Error | undefined;
  done: string | undefined;
  run: (what: () => Promise<string>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const run = async (what: () => Promise<string>): Promise<boolean> => {
    if (busy) return false;
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await what());
      return true;
    } catch (e) {
      setError(e instanceof Error && !('code' in e) ? e : asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run };
}

function Metadata({ memory }: { memory: Memory }) {
  const now = Date.now();
  const rows: [string, string][] = [
    ['Id', `${formatId(memory.id)} (${typeof memory.id === 'number' ? 'integer' : 'string'})`],
    ['Namespace', memory.namespace],
    ['Entity', memory.entity ?? 'none'],
    ['Importance', String(memory.importance)],
    ['Added', `${formatTime(memory.timestamp)} (${formatAge(memory.timestamp, now)})`],
    ['Recall count', formatCount(memory.recallCount)],
    [
      'Last recalled',
      memory.lastRecalled === null ? 'never' : `${formatTime(memory.lastRecalled)} (${formatAge(memory.lastRecalled, now)})`,
    ],
    ['Vectors', memory.modalities.join(', ') || 'none'],
  ];
  return (
    <dl class="meta">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
      <div>
        <dt>Attributes</dt>
        <dd>
          {Object.keys(memory.attributes).length === 0 ? (
            'none'
          ) : (
            <ul class="plain">
              {Object.entries(memory.attributes).map(([k, v]) => (
                <li key={k}>
                  <code>{k}</code> = <code>{JSON.stringify(v)}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </div>
    </dl>
  );
}

function EditForm({ memory, onSaved }: { memory: Memory; onSaved: (m: Memory) => void }) {
  const { api } = useSession();
  const [importance, setImportance] = useState(String(memory.importance));
  const [rows, setRows] = useState<AttributeRow[]>(() => rowsOf(memory.attributes));
  const action = useAction();
  return (
    <form
      aria-labelledby="edit-title"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          const value = Number(importance);
          if (importance.trim() === '' || !(value >= 0) || !Number.isFinite(value))
            throw new Error(`importance must be a number of 0 or more (1 is neutral), got "${importance}"`);
          const attributes = attributesOf(rows);
          const saved = await api.update(memory.namespace, memory.id, { importance: value, attributes });
          onSaved(saved);
          return 'Saved.';
        });
      }}
    >
      <h2 id="edit-title">Edit</h2>
      <Field
        id="edit-importance"
        label="Importance"
        width="narrow"
        type="number"
        min="0"
        step="any"
        value={importance}
        describedBy="importance-hint"
        onValue={setImportance}
      >
        <span id="importance-hint" class="hint">
          Multiplies the score; 1 is neutral.
        </span>
      </Field>
      <AttributeEditor rows={rows} onChange={setRows} />
      <BusyButton type="submit" kind="primary" busy={action.busy} busyLabel="Saving…">
        Save changes
      </BusyButton>
      <div aria-live="polite">{action.done === undefined ? null : <p class="status ok">{action.done}</p>}</div>
      {action.error === undefined ? null : <ErrorNote error={action.error} title="The change was not saved" />}
    </form>
  );
}

function AddEdgeForm({ memory, onAdded }: { memory: Memory; onAdded: () => void }) {
  const { api } = useSession();
  const [to, setTo] = useState('');
  const [type, setType] = useState('related_to');
  const [weight, setWeight] = useState('1');
  const action = useAction();
  return (
    <form
      aria-labelledby="add-edge-title"
      class="add-edge"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(async () => {
          if (to.trim() === '') throw new Error('give the id of the memory the edge points to');
          const w = Number(weight);
          if (weight.trim() === '' || !(w >= 0)) throw new Error(`weight must be a number of 0 or more, got "${weight}"`);
          const target = idFromPath(to.trim());
          await api.link(memory.namespace, memory.id, target, { type: type.trim() === '' ? 'related_to' : type.trim(), weight: w });
          setTo('');
          onAdded();
          return `Edge to ${formatId(target)} added.`;
        });
      }}
    >
      <h3 id="add-edge-title">Add an edge from this memory</h3>
      <div class="row">
        <Field id="edge-to" label="To (id)" type="text" value={to} autoComplete="off" describedBy="edge-to-hint" onValue={setTo}>
          <span id="edge-to-hint" class="hint">
            Digits only mean an integer id.
          </span>
        </Field>
        <Field id="edge-type" label="Type" type="text" value={type} onValue={setType} />
        <Field id="edge-weight" label="Weight" width="narrow" type="number" min="0" step="any" value={weight} onValue={setWeight} />
      </div>
      <BusyButton type="submit" busy={action.busy} busyLabel="Adding…">
        Add edge
      </BusyButton>
      <div aria-live="polite">{action.done === undefined ? null : <p class="status ok">{action.done}</p>}</div>
      {action.error === undefined ? null : <ErrorNote error={action.error} title="The edge was not added" />}
    </form>
  );
}

function ForgetPanel({ memory }: { memory: Memory }) {
  const { api } = useSession();
  const [asking, setAsking] = useState(false);
  const action = useAction();
  // Keyboard users land on the safe choice when asked, and back on the button when they cancel.
  const cancelRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const opened = useRef(false);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
    else if (opened.current) askRef.current?.focus();
    opened.current ||= asking;
  }, [asking]);
  return (
    <section aria-labelledby="forget-title" class="danger-zone">
      <h2 id="forget-title">Forget</h2>
      {!asking ? (
        <button type="button" class="danger" ref={askRef} onClick={() => setAsking(true)}>
          Forget this memory…
        </button>
      ) : (
        <div role="group" aria-labelledby="forget-question">
          <p id="forget-question">
            Forget memory <strong>{formatId(memory.id)}</strong> and its edges? This cannot be undone.
          </p>
          <BusyButton
            kind="danger"
            busy={action.busy}
            busyLabel="Forgetting…"
            onClick={() =>
              void action.run(async () => {
                await api.forget(memory.namespace, memory.id);
                navigate({ view: 'records', ns: memory.namespace });
                return 'Forgotten.';
              })
            }
          >
            Forget it
          </BusyButton>{' '}
          <button type="button" ref={cancelRef} onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      )}
      {action.error === undefined ? null : <ErrorNote error={action.error} title="The memory was not forgotten" />}
    </section>
  );
}

export function RecordDetail({ ns, id }: { ns: string; id: MemoryId }) {
  const { api } = useSession();
  rememberNamespace(ns);
  const memory = useAsync((signal) => api.memory(ns, id, signal), [api, ns, id]);
  const links = useAsync((signal) => api.links(ns, id, signal), [api, ns, id]);
  const [edited, setEdited] = useState<Memory | undefined>(undefined);
  const current = edited ?? memory.value;
  return (
    <>
      <ViewHeading>Memory {formatId(id)}</ViewHeading>
      <p class="breadcrumbs">
        <a href={href({ view: 'records', ns })}>← Records of {ns}</a> ·{' '}
        <a href={href({ view: 'graph', ns, id })}>Context graph around this memory</a>
      </p>
      {memory.state === 'error' ? (
        <ErrorNote
          error={memory.error}
          onRetry={memory.reload}
          title={memory.error.status === 404 ? 'No such memory' : 'Cannot read this memory'}
        />
      ) : current === undefined ? (
        <Loading label="Reading the memory…" />
      ) : (
        <div class="detail">
          <section aria-labelledby="text-title">
            <h2 id="text-title">Text</h2>
            <blockquote class="memory-text">
              {current.text === '' ? <span class="muted">(no text: added as a vector)</span> : current.text}
            </blockquote>
            <Metadata memory={current} />
          </section>
          <section aria-labelledby="edges-title">
            <h2 id="edges-title">Edges</h2>
            {links.state === 'error' ? <ErrorNote error={links.error} onRetry={links.reload} title="Cannot read the edges" /> : null}
            {links.value === undefined ? (
              links.state === 'loading' ? (
                <Loading label="Reading the edges…" />
              ) : null
            ) : (
              <>
                <EdgeList title="Outgoing" direction="outgoing" edges={links.value.outgoing} ns={ns} onChanged={links.reload} />
                <EdgeList title="Incoming" direction="incoming" edges={links.value.incoming} ns={ns} onChanged={links.reload} />
              </>
            )}
            <AddEdgeForm memory={current} onAdded={links.reload} />
          </section>
          <EditForm memory={current} onSaved={setEdited} />
          <ForgetPanel memory={current} />
        </div>
      )}
    </>
  );
}
