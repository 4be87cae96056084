// A benchmark script's arguments. `pnpm … <script> -- --flag` hands the script a literal `--` first (pnpm 10
// passes it through), which node:util's parseArgs reads as "only positionals follow" and then refuses every
// flag: it is dropped here, so the commands in RESULTS.md work with or without it.
export const benchArgv: string[] = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
