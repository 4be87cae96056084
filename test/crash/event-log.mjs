// Child side of the crash suites' event log (parent side: child-run.ts). A child that is killed must leave a
// record of everything it issued and everything acknowledged to it, so each line is written to a regular file
// with write(2) before the call that logs it returns: a SIGKILL cannot take back a completed write to a file.
// Stdout cannot give that guarantee: Node writes to a pipe without blocking and queues in memory what the pipe
// cannot take at once (a 300-row batch is a ~50 KB line; the pipe holds 64 KB), and a kill drops the queue;
// the parent may also see 'exit' before it has read what the pipe still holds. Either way the parent saw only
// a prefix of the child's lines, and an issued forget or update it never saw made an acknowledged write look
// lost (crash.test.ts, FEATHER_CRASH_SEED=279480485 trial 142).
import { openSync, writeSync } from 'node:fs';

/** Opens the log at `path` (appending) and returns `say(kind, event)`, which writes one line `<kind> <json>`. */
export function eventLog(path) {
  const fd = openSync(path, 'a');
  return (kind, event) => {
    const line = Buffer.from(`${kind} ${JSON.stringify(event)}\n`);
    // One line may take several writes (a signal can cut a large one short): done only when all of it is written.
    for (let at = 0; at < line.length;) at += writeSync(fd, line, at);
  };
}
