// Text in, ranked memories out: the namespace's nearest memories to a text, with the score they were ranked
// by, their similarity and, with time decay, the recency that went into the score.
import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import type { SearchHit, SearchRequest } from '../api/types.js';
import { BusyButton } from '../components/busy-button.js';
import { Field } from '../components/field.js';
import { defaultNamespace, NamespaceSelect, NamespacesError, rememberNamespace, useNamespaces } from '../components/namespace-select.js';
import { Empty, ErrorNote, Loading } from '../components/status.js';
import { MemoryCell, num, TableHead } from '../components/table-parts.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatAge, formatCount, formatScore, formatTime } from '../lib/format.js';
import { recencyOf } from '../lib/recency.js';
import { useSession } from '../lib/session.js';
import { href } from '../lib/use-route.js';

interface Form {
  query: string;
  ns: string | undefined;
  entity: string;
  k: string;
  decay: boolean;
  halfLife: string;
  timeWeight: string;
  track: boolean;
}

interface Outcome {
  ns: string;
  request: SearchRequest;
  hits: SearchHit[];
  atMs: number;
}

/** The last search, kept while the page is open: coming back from a record shows the same results. */
let lastSearch: { form: Form; outcome: Outcome | undefined } | undefined;

const kDefaultForm: Form = { query: '', ns: undefined, entity: '', k: '10', decay: false, halfLife: '30', timeWeight: '0.3', track: false };

/** The form as a request, or the first field that is wrong. */
function requestOf(form: Form): SearchRequest | string {
  if (form.query.trim() === '') return 'Type some text to search for.';
  const k = Number(form.k);
  if (!Number.isInteger(k) || k < 1 || k > 1000) return `Results must be a whole number from 1 to 1000, got "${form.k}".`;
  const request: SearchRequest = { query: form.query.trim(), k, track: form.track };
  if (form.entity.trim() !== '') request.entity = form.entity.trim();
  if (form.decay) {
    const halfLife = Number(form.halfLife);
    const timeWeight = Number(form.timeWeight);
    if (!(halfLife > 0)) return `Half-life must be a number of days above 0, got "${form.halfLife}".`;
    if (!(timeWeight >= 0 && timeWeight <= 1)) return `Time weight must be between 0 and 1, got "${form.timeWeight}".`;
    request.halfLife = halfLife;
    request.timeWeight = timeWeight;
  }
  return request;
}

function Results({ outcome }: { outcome: Outcome }) {
  const { hits, request, ns, atMs } = outcome;
  if (hits.length === 0)
    return (
      <Empty>
        No memory of {ns} matched{request.entity === undefined ? '' : ` in entity ${request.entity}`}.
      </Empty>
    );
  const decayed = request.timeWeight !== undefined;
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">
        {formatCount(hits.length)} results in {ns}
      </h2>
      <p class="hint">
        {decayed
          ? `Ranked by the time-decayed score: (1 − ${request.timeWeight}) · similarity + ${request.timeWeight} · recency, times importance; recency halves every ${request.halfLife} days (slower for memories recalled often).`
          : 'Ranked by similarity (no time decay).'}{' '}
        <a href={href({ view: 'graph', ns, q: request.query })}>Show the context graph of this query</a>
      </p>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Search results">
        <table class="results">
          <TableHead columns={[num('#'), 'Memory', num('Score'), num('Similarity'), num('Recency'), 'Entity', num('Recalls')]} />
          <tbody>
            {hits.map((hit, i) => {
              const recency = decayed ? recencyOf(hit, request.timeWeight!) : undefined;
              return (
                <tr key={`${typeof hit.id}:${hit.id}`}>
                  <td class="num">{i + 1}</td>
                  <MemoryCell memory={hit} ns={ns} max={160} />
                  <td class="num">{formatScore(hit.score)}</td>
                  <td class="num">{formatScore(hit.similarity)}</td>
                  <td class="num">
                    {recency === undefined ? '' : `${formatScore(recency)} · `}
                    <time dateTime={new Date(hit.timestamp).toISOString()} title={formatTime(hit.timestamp)}>
                      {formatAge(hit.timestamp, atMs)}
                    </time>
                  </td>
                  <td>{hit.entity ?? <span class="muted">none</span>}</td>
                  <td class="num">{formatCount(hit.recallCount)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Search({ ns: askedNs }: { ns?: string }) {
  const { api } = useSession();
  const namespaces = useNamespaces();
  const [form, setForm] = useState<Form>(() =>
    lastSearch === undefined ? { ...kDefaultForm } : { ...lastSearch.form, ...(askedNs === undefined ? {} : { ns: askedNs }) },
  );
  const [outcome, setOutcome] = useState<Outcome | undefined>(lastSearch?.outcome);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | undefined>(undefined);
  const ns = form.ns ?? (namespaces.value === undefined ? askedNs : defaultNamespace(namespaces.value, askedNs));
  const set = (patch: Partial<Form>): void => setForm({ ...form, ...patch });

  const submit = async (): Promise<void> => {
    if (busy) return;
    const request = requestOf(form);
    if (typeof request === 'string') return setError(request);
    if (ns === undefined) return setError('Pick a namespace to search in.');
    rememberNamespace(ns);
    setBusy(true);
    setError(undefined);
    try {
      const next: Outcome = { ns, request, hits: await api.search(ns, request), atMs: Date.now() };
      setOutcome(next);
      lastSearch = { form: { ...form, ns }, outcome: next };
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <ViewHeading>Search</ViewHeading>
      <NamespacesError namespaces={namespaces} />
      <form
        role="search"
        aria-label="Search memories"
        class="search-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field
          id="search-query"
          label="Text"
          width="wide"
          type="search"
          value={form.query}
          placeholder="what is this memory about?"
          onValue={(value) => set({ query: value })}
        />
        <div class="row">
          <NamespaceSelect namespaces={namespaces.value ?? []} value={ns} onChange={(value) => set({ ns: value })} id="search-ns" />
          <Field
            id="search-entity"
            label="Entity"
            type="text"
            value={form.entity}
            placeholder="any"
            onValue={(value) => set({ entity: value })}
          />
          <Field
            id="search-k"
            label="Results"
            width="narrow"
            type="number"
            min="1"
            max="1000"
            value={form.k}
            onValue={(value) => set({ k: value })}
          />
        </div>
        <fieldset class="row">
          <legend>Ranking</legend>
          <div class="check">
            <input id="search-decay" type="checkbox" checked={form.decay} onChange={(e) => set({ decay: e.currentTarget.checked })} />
            <label for="search-decay">Time decay (favour recent and often recalled memories)</label>
          </div>
          <Field
            id="search-half-life"
            label="Half-life (days)"
            width="narrow"
            type="number"
            min="0"
            step="any"
            value={form.halfLife}
            disabled={!form.decay}
            onValue={(value) => set({ halfLife: value })}
          />
          <Field
            id="search-time-weight"
            label="Time weight (0–1)"
            width="narrow"
            type="number"
            min="0"
            max="1"
            step="0.05"
            value={form.timeWeight}
            disabled={!form.decay}
            onValue={(value) => set({ timeWeight: value })}
          />
          <div class="check">
            <input id="search-track" type="checkbox" checked={form.track} onChange={(e) => set({ track: e.currentTarget.checked })} />
            <label for="search-track">Count the results as recalled (off: looking changes nothing)</label>
          </div>
        </fieldset>
        <BusyButton type="submit" kind="primary" busy={busy} busyLabel="Searching…">
          Search
        </BusyButton>
      </form>
      {error === undefined ? null : typeof error === 'string' ? (
        <p class="status error" role="alert">
          {error}
        </p>
      ) : (
        <ErrorNote error={error} title="The search failed" />
      )}
      {busy && outcome === undefined ? <Loading label="Searching…" /> : null}
      {outcome === undefined ? (
        busy ? null : (
          <Empty>Type a text and press Search: the results are the memories nearest in meaning, best first.</Empty>
        )
      ) : (
        <Results outcome={outcome} />
      )}
    </>
  );
}
