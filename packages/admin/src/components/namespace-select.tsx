// Picks a namespace of the store (with its size); the views that work inside one namespace share it.
import type { NamespaceInfo } from '../api/types.js';
import { formatCount } from '../lib/format.js';
import { useSession } from '../lib/session.js';
import { useAsync, type Async } from '../lib/use-async.js';
import { ErrorNote } from './status.js';

/** The store's namespaces with their sizes, loaded when the view opens. */
export function useNamespaces(): Async<NamespaceInfo[]> {
  const { api } = useSession();
  return useAsync((signal) => api.namespaces(signal), [api]);
}

/** The error of loading them, if any, with a retry. */
export function NamespacesError({ namespaces }: { namespaces: Async<NamespaceInfo[]> }) {
  return namespaces.state === 'error' ? (
    <ErrorNote error={namespaces.error} onRetry={namespaces.reload} title="Cannot list the namespaces" />
  ) : null;
}

export function NamespaceSelect({
  namespaces,
  value,
  onChange,
  id = 'namespace',
}: {
  namespaces: readonly NamespaceInfo[];
  value: string | undefined;
  onChange: (ns: string) => void;
  id?: string;
}) {
  return (
    <div class="field">
      <label for={id}>Namespace</label>
      <select id={id} value={value ?? ''} onChange={(event) => onChange(event.currentTarget.value)}>
        {value !== undefined && !namespaces.some((n) => n.name === value) ? <option value={value}>{value} (empty)</option> : null}
        {namespaces.map((n) => (
          <option key={n.name} value={n.name}>
            {n.name} ({formatCount(n.count)})
          </option>
        ))}
      </select>
    </div>
  );
}

/** The namespace the user last worked in, while the page is open: the next view starts there. */
let lastNamespace: string | undefined;

export function rememberNamespace(ns: string): void {
  lastNamespace = ns;
}

/** The namespace a view starts in: the one asked for (remembered), else the last one used, else the largest. */
export function defaultNamespace(namespaces: readonly NamespaceInfo[], asked: string | undefined): string | undefined {
  if (asked !== undefined) {
    rememberNamespace(asked);
    return asked;
  }
  if (lastNamespace !== undefined && namespaces.some((n) => n.name === lastNamespace)) return lastNamespace;
  return [...namespaces].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))[0]?.name;
}
