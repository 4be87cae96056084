// Pieces every table of memories shares: its header row, and the cell that links a memory to its page.
import type { Memory } from '../api/types.js';
import { formatId, truncate } from '../lib/format.js';
import { href } from '../lib/use-route.js';

/** A column: its title, and whether it holds numbers (right-aligned). */
export type Column = string | { label: string; numeric: true };

export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) =>
          typeof c === 'string' ? (
            <th key={c} scope="col">
              {c}
            </th>
          ) : (
            <th key={c.label} scope="col" class="num">
              {c.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

export const num = (label: string): Column => ({ label, numeric: true });

/** The row's header cell: the memory's text (or id) linking to its page, then its id. */
export function MemoryCell({ memory, ns, max }: { memory: Pick<Memory, 'id' | 'text'>; ns: string; max: number }) {
  return (
    <th scope="row" class="text">
      <a href={href({ view: 'record', ns, id: memory.id })}>{memory.text === '' ? formatId(memory.id) : truncate(memory.text, max)}</a>
      <span class="muted"> · {truncate(formatId(memory.id), 24)}</span>
    </th>
  );
}
