// Opening a store for a command: read-only commands share the file with a running writer (feather-serve).
import { existsSync, statSync } from 'node:fs';
import { Feather, FeatherError } from 'feather-db';

/** Opens an existing store readOnly (no lock; every mutation refused), with one reader thread unless told. */
export async function openForReading(path: string, threads = 1): Promise<Feather> {
  requireFile(path);
  return Feather.open(path, { readOnly: true, threads });
}

export function requireFile(path: string): void {
  if (!existsSync(path))
    throw new FeatherError('FEATHER_ERR_NOT_FOUND', `${path} does not exist; check the path (a store is created by \`feather import\`)`, {
      path,
    });
  if (!statSync(path).isFile()) throw new FeatherError('FEATHER_ERR_IO', `${path} is not a file`, { path });
}

/** Size of the store's WAL, 0 when it has none. */
export function walBytes(path: string): number {
  const wal = `${path}.wal`;
  return existsSync(wal) ? statSync(wal).size : 0;
}

/** Live memories per namespace, sorted by name. */
export function namespaceCounts(db: Feather): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ns of db.listNamespaces()) counts[ns] = db.count({ namespace: ns });
  return counts;
}

/** ok / damaged / unreadable: a failed check of the bytes is damage; anything that stops reading them is not. */
export function damageOf(error: { code: string }): 'damaged' | 'unreadable' {
  return error.code === 'FEATHER_ERR_CORRUPT' ? 'damaged' : 'unreadable';
}
