// A memory's edges in one direction, each linking to the memory at its other end, each removable.
import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import type { Edge } from '../api/types.js';
import { formatId } from '../lib/format.js';
import { useSession } from '../lib/session.js';
import { href } from '../lib/use-route.js';
import { BusyButton } from './busy-button.js';
import { Empty, ErrorNote } from './status.js';
import { num, TableHead } from './table-parts.js';

const edgeKey = (e: Edge): string => `${typeof e.from}:${e.from}>${typeof e.to}:${e.to}:${e.type}`;

export function EdgeList({
  title,
  direction,
  edges,
  ns,
  onChanged,
}: {
  title: string;
  direction: 'outgoing' | 'incoming';
  edges: readonly Edge[];
  ns: string;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const id = `edges-${direction}`;
  const remove = async (e: Edge): Promise<void> => {
    if (removing !== undefined) return;
    setRemoving(edgeKey(e));
    setError(undefined);
    try {
      // An incoming edge is stored with its source: it is removed from there.
      await api.unlink(ns, e.from, e.to, e.type);
      onChanged();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setRemoving(undefined);
    }
  };
  return (
    <section aria-labelledby={id}>
      <h3 id={id}>
        {title} ({edges.length})
      </h3>
      {edges.length === 0 ? (
        <Empty>{direction === 'outgoing' ? 'No edges from this memory.' : 'No edges to this memory.'}</Empty>
      ) : (
        <table class="edges">
          <TableHead columns={[direction === 'outgoing' ? 'To' : 'From', 'Type', num('Weight'), 'Action']} />
          <tbody>
            {edges.map((e) => {
              const other = direction === 'outgoing' ? e.to : e.from;
              const label = `${e.type} edge ${direction === 'outgoing' ? 'to' : 'from'} ${formatId(other)}`;
              return (
                <tr key={edgeKey(e)}>
                  <th scope="row">
                    <a href={href({ view: 'record', ns, id: other })}>{formatId(other)}</a>
                  </th>
                  <td>{e.type}</td>
                  <td class="num">{e.weight}</td>
                  <td>
                    <BusyButton busy={removing === edgeKey(e)} busyLabel="Removing…" onClick={() => void remove(e)}>
                      Remove<span class="sr-only"> the {label}</span>
                    </BusyButton>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {error === undefined ? null : <ErrorNote error={error} title="The edge was not removed" />}
    </section>
  );
}
