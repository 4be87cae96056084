/**
 * The seed of a random suite: `envVar` (or FEATHER_SEED) when set, else a fresh one, so every run explores new
 * cases. It is printed either way, so a failure names the seed that reproduces it.
 */
export function suiteSeed(suite: string, envVar = 'FEATHER_SEED'): number {
  const raw = process.env[envVar] ?? process.env['FEATHER_SEED'];
  const seed = raw !== undefined && raw !== '' ? Number(raw) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`${envVar} must be an integer, got ${raw}`);
  process.stdout.write(`${suite}: seed ${seed} (reproduce with ${envVar}=${seed})\n`);
  return seed;
}

/** A count setting of a suite from the environment (e.g. FEATHER_FUZZ_MUTATIONS), else `fallback`. */
export function suiteCount(envVar: string, fallback: number): number {
  const raw = process.env[envVar];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  // A run of zero cases would pass having tested nothing.
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${envVar} must be a positive integer, got ${raw}`);
  return n;
}
