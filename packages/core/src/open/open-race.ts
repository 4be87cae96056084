// The failures of an open that only mean "the file changed while it was being read": a readOnly open racing
// its writer's save reads the old file with the new WAL ('wal-ahead'), or the writer worker loaded a newer
// commit than the opening thread read ('raced-save'). Such an open is simply repeated; every other failure
// stands. The reason travels in the error's details (errors cross threads as plain data).
import { FeatherError } from '../errors.js';

const kRaces = ['wal-ahead', 'raced-save'] as const;

/** Why an open raced a save. */
export type OpenRace = (typeof kRaces)[number];

/** The details an error of race `reason` carries (merged with the rest of its details). */
export function raceDetails(reason: OpenRace, details: Record<string, unknown>): Record<string, unknown> {
  return { ...details, reason };
}

/** True for an error an open raced into (open again); false for every other error. */
export function isOpenRace(error: unknown): boolean {
  return error instanceof FeatherError && (kRaces as readonly unknown[]).includes(error.details?.['reason']);
}

/**
 * The writer loaded commit `loaded` of `path` (null: it created the store); the opening thread read `read`.
 * @throws FEATHER_ERR_IO (an OpenRace) when they differ: only a readOnly open can see this, another process saved in between.
 */
export function checkSameCommit(path: string, read: number | null, loaded: number | null): void {
  if (read !== loaded)
    throw new FeatherError(
      'FEATHER_ERR_IO',
      `${path} changed while it was being opened; open it again`,
      raceDetails('raced-save', { path }),
    );
}
