import { describeValue, FeatherError } from '@feather-db/core';

/**
 * How a store repairs its tombstones (docs/adr/0008-slot-reuse-and-epoch-reclamation.md): forgotten
 * memories' graph nodes are unlinked (their neighbours re-linked around them), and their slots reused by
 * later adds, so a store under churn keeps its size and its recall without a full compaction.
 */
export interface MaintenanceOptions {
  /**
   * Repair once tombstones are this fraction of a modality's graph (0 < x ≤ 1). Default 0.1: a pass over the
   * graph every time a tenth of it was forgotten.
   */
  repairAt?: number;
  /**
   * `'insert'` (default): the next write that adds vectors runs the repair first, in write order (later
   * writes wait for it). `'background'`: as soon as a write passes the fraction, the reader pool runs it one
   * task per thread at a time while writes and searches go on; once another such fraction is forgotten while
   * it runs, the next write that adds vectors waits for it (else forgets that outpace repairs grow the graph).
   */
  mode?: 'insert' | 'background';
  /**
   * With `'background'`: rebuild the graph (`compact({ rebuild: true })`) instead once tombstones pass this
   * fraction (writes wait for a rebuild). Default: never.
   */
  compactAt?: number;
}

export interface ResolvedMaintenance {
  /** Infinity: never repair by itself. */
  repairAt: number;
  mode: 'insert' | 'background';
  compactAt: number;
}

const kDefaultMaintenance: ResolvedMaintenance = Object.freeze({ repairAt: 0.1, mode: 'insert', compactAt: Number.POSITIVE_INFINITY });

/** `options.maintenance`: an object, or false (tombstones are then only dropped by compact()). */
export function resolveMaintenance(value: unknown): ResolvedMaintenance {
  if (value === undefined) return kDefaultMaintenance;
  if (value === false) return { ...kDefaultMaintenance, repairAt: Number.POSITIVE_INFINITY };
  if (typeof value !== 'object' || value === null) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.maintenance must be false or an object like { mode: 'background', repairAt: 0.1 }, got ${describeValue(value)}`,
    );
  }
  const o = value as MaintenanceOptions;
  for (const key of Object.keys(o)) {
    if (key !== 'repairAt' && key !== 'mode' && key !== 'compactAt')
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `options.maintenance.${key} is not an option; use repairAt, mode or compactAt`,
      );
  }
  const fraction = (x: unknown, path: string): number => {
    if (typeof x !== 'number' || !(x > 0 && x <= 1))
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} must be a fraction in (0, 1], got ${describeValue(x)}`);
    return x;
  };
  const mode = o.mode ?? kDefaultMaintenance.mode;
  if (mode !== 'insert' && mode !== 'background')
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.maintenance.mode must be 'insert' or 'background', got ${describeValue(mode)}`,
    );
  const repairAt = o.repairAt === undefined ? kDefaultMaintenance.repairAt : fraction(o.repairAt, 'options.maintenance.repairAt');
  const compactAt = o.compactAt === undefined ? Number.POSITIVE_INFINITY : fraction(o.compactAt, 'options.maintenance.compactAt');
  if (compactAt !== Number.POSITIVE_INFINITY && mode !== 'background')
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      "options.maintenance.compactAt needs mode: 'background' (a rebuild on the insert path would hold every write)",
    );
  return { repairAt, mode, compactAt };
}
