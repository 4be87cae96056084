// The store's namespaces with their sizes, sortable, each with its records and a guarded purge.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NamespaceInfo } from '../api/types.js';
import { NamespacesError, useNamespaces } from '../components/namespace-select.js';
import { PurgeForm } from '../components/purge-form.js';
import { Empty, Loading } from '../components/status.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatCount } from '../lib/format.js';
import { href } from '../lib/use-route.js';

type SortKey = 'name' | 'count';
interface Sort {
  key: SortKey;
  descending: boolean;
}

function sortNamespaces(list: readonly NamespaceInfo[], sort: Sort): NamespaceInfo[] {
  const sign = sort.descending ? -1 : 1;
  return [...list].sort(
    (a, b) => sign * (sort.key === 'name' ? a.name.localeCompare(b.name) : a.count - b.count || a.name.localeCompare(b.name)),
  );
}

function SortHeader({ label, sortKey, sort, onSort }: { label: string; sortKey: SortKey; sort: Sort; onSort: (s: Sort) => void }) {
  const active = sort.key === sortKey;
  return (
    <th scope="col" aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        class="sort"
        onClick={() => onSort({ key: sortKey, descending: active ? !sort.descending : sortKey === 'count' })}
      >
        {label}
        <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
      </button>
    </th>
  );
}

export function Namespaces() {
  const list = useNamespaces();
  const [sort, setSort] = useState<Sort>({ key: 'count', descending: true });
  const [purging, setPurging] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => noticeRef.current?.focus(), [notice]);
  const total = (list.value ?? []).reduce((s, n) => s + n.count, 0);
  return (
    <>
      <ViewHeading>Namespaces</ViewHeading>
      <div aria-live="polite">
        {notice === undefined ? null : (
          <p class="status ok" tabIndex={-1} ref={noticeRef}>
            {notice}
          </p>
        )}
      </div>
      <NamespacesError namespaces={list} />
      {list.value === undefined ? (
        list.state === 'loading' ? (
          <Loading label="Listing namespaces…" />
        ) : null
      ) : list.value.length === 0 ? (
        <Empty>No namespaces: the store holds no memories yet.</Empty>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Namespaces table">
          <table>
            <caption>
              {formatCount(list.value.length)} namespaces, {formatCount(total)} memories. Sorted by {sort.key === 'name' ? 'name' : 'size'},{' '}
              {sort.descending ? 'descending' : 'ascending'}.
            </caption>
            <thead>
              <tr>
                <SortHeader label="Namespace" sortKey="name" sort={sort} onSort={setSort} />
                <SortHeader label="Memories" sortKey="count" sort={sort} onSort={setSort} />
                <th scope="col">Share</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {sortNamespaces(list.value, sort).map((n, i) => (
                <Fragment key={n.name}>
                  <tr>
                    <th scope="row">
                      <a href={href({ view: 'records', ns: n.name })}>{n.name}</a>
                    </th>
                    <td class="num">{formatCount(n.count)}</td>
                    <td>
                      <span class="bar" aria-hidden="true">
                        <span style={{ width: `${total === 0 ? 0 : (100 * n.count) / total}%` }} />
                      </span>
                      <span class="num">{total === 0 ? '0' : ((100 * n.count) / total).toFixed(1)}%</span>
                    </td>
                    <td class="actions">
                      <a href={href({ view: 'search', ns: n.name })} aria-label={`Search ${n.name}`}>
                        Search
                      </a>
                      <button
                        type="button"
                        class="danger quiet"
                        aria-expanded={purging === n.name}
                        aria-controls={`purge-row-${i}`}
                        onClick={() => setPurging(purging === n.name ? undefined : n.name)}
                      >
                        Purge…<span class="sr-only"> {n.name}</span>
                      </button>
                    </td>
                  </tr>
                  {purging === n.name ? (
                    <tr id={`purge-row-${i}`}>
                      <td colSpan={4}>
                        <PurgeForm
                          ns={n.name}
                          idPrefix={`purge-${i}`}
                          onPurged={(forgotten) => {
                            setPurging(undefined);
                            setNotice(`Purged ${n.name}: ${formatCount(forgotten)} memories forgotten.`);
                            list.reload();
                          }}
                        />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
