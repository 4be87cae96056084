// The feather command's exit codes (docs/cli.md lists them).

/** Done, nothing wrong. */
export const kExitOk = 0;
/** The command ran and found a problem: `verify`/`info` a damaged file, `import` rows or links that failed. */
export const kExitProblems = 1;
/** The command could not run: the file is unreadable (missing, not a Feather file, newer format, I/O), a store or source error. */
export const kExitError = 2;
/** Bad command line: an unknown command or option, a missing argument, a bad option value. */
export const kExitUsage = 64;
/** Stopped by Ctrl-C (SIGINT); `import` saved what it had stored first. */
export const kExitInterrupted = 130;
