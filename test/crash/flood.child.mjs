// Child of child-run.test.ts: logs `count` events of ~50 KB (the size of a 300-row batch's line in
// writer.child.mjs), each to its event log and to stdout as the crash children once did, then kills itself
// with SIGKILL: every event it logged must reach the parent, whatever stdout dropped.
// argv: count, log.
import { eventLog } from './event-log.mjs';

const [countArg, logPath] = process.argv.slice(2);
const say = eventLog(logPath);
const pad = 'x'.repeat(50_000);
for (let i = 0; i < Number(countArg); i++) {
  say('I', { i, pad });
  process.stdout.write(`I ${JSON.stringify({ i, pad })}\n`);
}
process.kill(process.pid, 'SIGKILL');
