// A namespace's memories, newest first, a page at a time, filtered by entity and attributes.
import { useState } from 'preact/hooks';
import type { Memory, NamespaceInfo } from '../api/types.js';
import { Field } from '../components/field.js';
import { defaultNamespace, NamespaceSelect, NamespacesError, useNamespaces } from '../components/namespace-select.js';
import { Empty, ErrorNote, Loading } from '../components/status.js';
import { num, TableHead } from '../components/table-parts.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatFilter, parseFilter } from '../lib/attributes.js';
import { formatAge, formatCount, formatId, formatTime, truncate } from '../lib/format.js';
import { useSession } from '../lib/session.js';
import { useAsync } from '../lib/use-async.js';
import { href, navigate } from '../lib/use-route.js';

const kPageSizes = [25, 50, 100];

function Filters({
  namespaces,
  ns,
  entity,
  filter,
}: {
  namespaces: readonly NamespaceInfo[];
  ns: string | undefined;
  entity: string;
  filter: string;
}) {
  const [draft, setDraft] = useState({ ns, entity, filter });
  const [problem, setProblem] = useState<string | undefined>(undefined);
  return (
    <form
      class="filters"
      aria-label="Filter memories"
      onSubmit={(event) => {
        event.preventDefault();
        try {
          parseFilter(draft.filter);
        } catch (e) {
          setProblem((e as Error).message);
          return;
        }
        setProblem(undefined);
        navigate({
          view: 'records',
          ...(draft.ns === undefined ? {} : { ns: draft.ns }),
          entity: draft.entity.trim(),
          filter: draft.filter.trim(),
        });
      }}
    >
      <NamespaceSelect namespaces={namespaces} value={draft.ns} onChange={(value) => setDraft({ ...draft, ns: value })} />
      <Field
        id="filter-entity"
        label="Entity"
        type="text"
        value={draft.entity}
        placeholder="any"
        onValue={(value) => setDraft({ ...draft, entity: value })}
      />
      <Field
        id="filter-attributes"
        label="Attributes"
        width="grow"
        type="text"
        value={draft.filter}
        placeholder="source=chat, pinned=true"
        describedBy="filter-hint"
        invalid={problem !== undefined}
        onValue={(value) => setDraft({ ...draft, filter: value })}
      >
        <span id="filter-hint" class="hint">
          {problem ?? 'Exact matches, comma separated; numbers and true/false are typed, "quoted" values are text.'}
        </span>
      </Field>
      <button type="submit" class="primary">
        Apply
      </button>
    </form>
  );
}

function RecordsTable({ memories, ns }: { memories: readonly Memory[]; ns: string }) {
  const now = Date.now();
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Memories table">
      <table>
        <TableHead columns={['Id', 'Text', 'Entity', 'Attributes', num('Importance'), num('Recalls'), 'Added']} />
        <tbody>
          {memories.map((m) => (
            <tr key={`${typeof m.id}:${m.id}`}>
              <th scope="row">
                <a href={href({ view: 'record', ns, id: m.id })}>{truncate(formatId(m.id), 24)}</a>
              </th>
              <td class="text">{m.text === '' ? <span class="muted">(no text)</span> : truncate(m.text, 140)}</td>
              <td>{m.entity ?? <span class="muted">none</span>}</td>
              <td class="attrs">{Object.keys(m.attributes).length === 0 ? <span class="muted">none</span> : formatFilter(m.attributes)}</td>
              <td class="num">{m.importance}</td>
              <td class="num">{formatCount(m.recallCount)}</td>
              <td>
                <time dateTime={new Date(m.timestamp).toISOString()} title={formatTime(m.timestamp)}>
                  {formatAge(m.timestamp, now)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Records({ ns: askedNs, entity = '', filter = '' }: { ns?: string; entity?: string; filter?: string }) {
  const { api } = useSession();
  const namespaces = useNamespaces();
  const ns = namespaces.value === undefined ? askedNs : defaultNamespace(namespaces.value, askedNs);
  const [limit, setLimit] = useState(kPageSizes[0]!);
  // Cursors of the pages before this one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const before = cursors.at(-1);
  const page = useAsync(
    async (signal) => {
      if (ns === undefined) return undefined;
      const parsed = parseFilter(filter);
      return api.list(
        ns,
        {
          limit,
          ...(entity === '' ? {} : { entity }),
          ...(parsed === undefined ? {} : { filter: parsed }),
          ...(before === undefined ? {} : { before }),
        },
        signal,
      );
    },
    [api, ns, entity, filter, limit, before],
  );
  const filtered = entity !== '' || filter !== '';
  return (
    <>
      <ViewHeading>Records</ViewHeading>
      <NamespacesError namespaces={namespaces} />
      {namespaces.value === undefined ? (
        namespaces.state === 'loading' ? (
          <Loading />
        ) : null
      ) : namespaces.value.length === 0 && askedNs === undefined ? (
        <Empty>The store holds no memories yet.</Empty>
      ) : (
        <>
          {/* Pages of one filter: a new filter starts at the newest page again (the view remounts per route). */}
          <Filters namespaces={namespaces.value} ns={ns} entity={entity} filter={filter} />
          {page.state === 'error' ? <ErrorNote error={page.error} onRetry={page.reload} title="Cannot list the memories" /> : null}
          {page.state === 'loading' && page.value === undefined ? <Loading label="Loading memories…" /> : null}
          {page.value === undefined || page.state === 'error' ? null : page.value.memories.length === 0 ? (
            <Empty>{filtered ? `No memory of ${ns ?? ''} matches these filters.` : `Namespace ${ns ?? ''} holds no memories.`}</Empty>
          ) : (
            <section aria-labelledby="records-page" aria-busy={page.state === 'loading'}>
              <h2 id="records-page" class="sr-only">
                Page {cursors.length}
              </h2>
              <RecordsTable memories={page.value.memories} ns={ns!} />
              <nav class="pager" aria-label="Pages">
                <button
                  type="button"
                  aria-disabled={cursors.length === 1}
                  onClick={() => cursors.length > 1 && setCursors(cursors.slice(0, -1))}
                >
                  ← Newer
                </button>
                <span>
                  Page {cursors.length} · {formatCount(page.value.memories.length)} shown, newest first
                </span>
                <button
                  type="button"
                  aria-disabled={page.value.next === null}
                  onClick={() => page.value?.next != null && setCursors([...cursors, page.value.next])}
                >
                  Older →
                </button>
                <label for="page-size">Per page</label>
                <select
                  id="page-size"
                  value={String(limit)}
                  onChange={(e) => {
                    setLimit(Number(e.currentTarget.value));
                    setCursors([undefined]);
                  }}
                >
                  {kPageSizes.map((n) => (
                    <option key={n} value={String(n)}>
                      {n}
                    </option>
                  ))}
                </select>
              </nav>
            </section>
          )}
        </>
      )}
    </>
  );
}
