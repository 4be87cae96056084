// The context chain around a memory or a text: vector-search seeds, expanded over the edges, drawn.
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.js';
import type { ContextChain, Edge, MemoryId } from '../api/types.js';
import { ChainGraph, type ChainEdge } from '../components/chain-graph.js';
import { Field } from '../components/field.js';
import { MemoryCell, num, TableHead } from '../components/table-parts.js';
import { defaultNamespace, NamespaceSelect, NamespacesError, useNamespaces } from '../components/namespace-select.js';
import { Empty, ErrorNote, Loading } from '../components/status.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatId, formatScore, truncate } from '../lib/format.js';
import { idFromPath } from '../lib/routes.js';
import { useSession } from '../lib/session.js';
import { useAsync } from '../lib/use-async.js';
import { navigate } from '../lib/use-route.js';

const kDefaultK = 5;
const kDefaultHops = 2;
/** Above this many memories, the picture shows only the edges the chain walked (one request per memory otherwise). */
const kMaxEdgeLookups = 60;

/**
 * Every edge between the chain's memories. The chain lists the edges it walked to reach hop 1 and beyond;
 * edges between two seeds, or to a memory already reached, are context too, so each memory's outgoing edges
 * are read and those ending inside the chain kept. Walked edges stay marked as such.
 */
async function edgesAmong(api: ApiClient, ns: string, chain: ContextChain, signal: AbortSignal): Promise<ChainEdge[]> {
  const key = (e: Edge): string => `${typeof e.from}:${e.from}>${typeof e.to}:${e.to}:${e.type}`;
  const walked = new Set(chain.edges.map(key));
  const edges = new Map<string, ChainEdge>(chain.edges.map((e) => [key(e), { ...e, walked: true }]));
  if (chain.nodes.length > kMaxEdgeLookups) return [...edges.values()];
  const inside = new Set(chain.nodes.map((n) => `${typeof n.id}:${n.id}`));
  const links = await Promise.all(chain.nodes.map((n) => api.links(ns, n.id, signal)));
  for (const { outgoing } of links) {
    for (const e of outgoing)
      if (inside.has(`${typeof e.to}:${e.to}`) && !edges.has(key(e))) edges.set(key(e), { ...e, walked: walked.has(key(e)) });
  }
  return [...edges.values()];
}

function NodeTable({ chain, ns }: { chain: Pick<ContextChain, 'nodes'>; ns: string }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Memories of the chain">
      <table>
        <caption>The same memories as a table, best score first.</caption>
        <TableHead columns={['Memory', num('Hop'), num('Score'), num('Similarity')]} />
        <tbody>
          {chain.nodes.map((n) => (
            <tr key={`${typeof n.id}:${n.id}`}>
              <MemoryCell memory={n} ns={ns} max={120} />
              <td class="num">{n.hop}</td>
              <td class="num">{formatScore(n.score)}</td>
              <td class="num">{n.similarity === null ? <span class="muted">over an edge</span> : formatScore(n.similarity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Graph({
  ns: askedNs,
  id,
  q,
  k = kDefaultK,
  hops = kDefaultHops,
}: {
  ns?: string;
  id?: MemoryId;
  q?: string;
  k?: number;
  hops?: number;
}) {
  const { api } = useSession();
  const namespaces = useNamespaces();
  const ns = namespaces.value === undefined ? askedNs : defaultNamespace(namespaces.value, askedNs);
  const [draft, setDraft] = useState({
    ns,
    mode: q !== undefined ? 'text' : 'memory',
    id: id === undefined ? '' : String(id),
    q: q ?? '',
    k: String(k),
    hops: String(hops),
  });
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const chain = useAsync(
    async (signal) => {
      if (ns === undefined || (id === undefined && q === undefined)) return undefined;
      // Around a memory: its own vector is the query, so it is the first seed and its neighbours follow.
      const query = id !== undefined ? { vector: (await api.memoryWithVector(ns, id, signal)).vector } : { query: q! };
      const result = await api.contextChain(ns, { ...query, k, hops, track: false }, signal);
      return { ...result, edges: await edgesAmong(api, ns, result, signal) };
    },
    [api, ns, id, q, k, hops],
  );
  const submit = (): void => {
    const kk = Number(draft.k);
    const hh = Number(draft.hops);
    if (!Number.isInteger(kk) || kk < 1 || kk > 100) return setProblem(`Seeds must be a whole number from 1 to 100, got "${draft.k}".`);
    if (!Number.isInteger(hh) || hh < 0 || hh > 16) return setProblem(`Hops must be a whole number from 0 to 16, got "${draft.hops}".`);
    const around = draft.mode === 'memory' ? draft.id.trim() : draft.q.trim();
    if (around === '') return setProblem(draft.mode === 'memory' ? 'Give the id of a memory.' : 'Type a text.');
    setProblem(undefined);
    const nsPart = draft.ns === undefined ? {} : { ns: draft.ns };
    navigate(
      draft.mode === 'memory'
        ? { view: 'graph', ...nsPart, id: idFromPath(around), k: kk, hops: hh }
        : { view: 'graph', ...nsPart, q: around, k: kk, hops: hh },
    );
  };
  return (
    <>
      <ViewHeading>Graph</ViewHeading>
      <NamespacesError namespaces={namespaces} />
      <form
        class="graph-form"
        aria-label="Context chain"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div class="row">
          <NamespaceSelect
            namespaces={namespaces.value ?? []}
            value={draft.ns ?? ns}
            onChange={(value) => setDraft({ ...draft, ns: value })}
            id="graph-ns"
          />
          <fieldset class="choice">
            <legend>Around</legend>
            <div class="check">
              <input
                type="radio"
                id="graph-mode-memory"
                name="graph-mode"
                checked={draft.mode === 'memory'}
                onChange={() => setDraft({ ...draft, mode: 'memory' })}
              />
              <label for="graph-mode-memory">a memory</label>
            </div>
            <div class="check">
              <input
                type="radio"
                id="graph-mode-text"
                name="graph-mode"
                checked={draft.mode === 'text'}
                onChange={() => setDraft({ ...draft, mode: 'text' })}
              />
              <label for="graph-mode-text">a text</label>
            </div>
          </fieldset>
          {draft.mode === 'memory' ? (
            <Field
              id="graph-id"
              label="Memory id"
              type="text"
              value={draft.id}
              autoComplete="off"
              onValue={(value) => setDraft({ ...draft, id: value })}
            />
          ) : (
            <Field
              id="graph-q"
              label="Text"
              width="grow"
              type="search"
              value={draft.q}
              onValue={(value) => setDraft({ ...draft, q: value })}
            />
          )}
          <Field
            id="graph-k"
            label="Seeds"
            width="narrow"
            type="number"
            min="1"
            max="100"
            value={draft.k}
            onValue={(value) => setDraft({ ...draft, k: value })}
          />
          <Field
            id="graph-hops"
            label="Hops"
            width="narrow"
            type="number"
            min="0"
            max="16"
            value={draft.hops}
            onValue={(value) => setDraft({ ...draft, hops: value })}
          />
        </div>
        <button type="submit" class="primary">
          Draw
        </button>
        {problem === undefined ? null : (
          <p class="status error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {chain.state === 'error' ? (
        <ErrorNote
          error={chain.error}
          onRetry={chain.reload}
          title={chain.error.status === 404 ? 'No such memory' : 'Cannot build the chain'}
        />
      ) : null}
      {chain.state === 'loading' ? <Loading label="Following the edges…" /> : null}
      {chain.state !== 'ok' ? null : chain.value === undefined ? (
        <Empty>
          Pick a memory (its id, or “Context graph” on its page) or type a text: the graph shows the nearest memories and what their edges
          lead to.
        </Empty>
      ) : chain.value.nodes.length === 0 ? (
        <Empty>No memories found in {ns}.</Empty>
      ) : (
        <section aria-labelledby="chain-title">
          <h2 id="chain-title">{id !== undefined ? `Around memory ${formatId(id)}` : `Around “${truncate(q ?? '', 60)}”`}</h2>
          <ChainGraph chain={chain.value} ns={ns!} {...(id === undefined ? {} : { focusId: id })} />
          <NodeTable chain={chain.value} ns={ns!} />
        </section>
      )}
    </>
  );
}
