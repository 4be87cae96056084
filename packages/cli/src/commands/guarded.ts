// Runs a command body; any error becomes its one-line report and exit code 2.
import { toFeatherError } from '../errors.js';
import { kExitError } from '../exit-codes.js';
import type { Output } from '../output.js';

export async function guarded(out: Output, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    out.error(toFeatherError(error));
    return kExitError;
  }
}
