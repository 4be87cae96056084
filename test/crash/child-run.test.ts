// The crash suites' view of a killed child (child-run.ts, event-log.mjs): every line the child logged before
// SIGKILL reaches the parent, in order. Stdout could not promise this: a child writing large lines faster than
// the parent read them lost its last ones at the kill, so the parent missed issued forgets and updates and took
// acknowledged writes for lost (crash.test.ts, FEATHER_CRASH_SEED=279480485 trial 142).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempStorePath } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { readEventLog, runChild } from './child-run.js';

const kFlood = fileURLToPath(new URL('./flood.child.mjs', import.meta.url));

describe('a killed child’s event log', () => {
  it('holds every line written before the kill, in order', async () => {
    for (const count of [40, 200]) {
      const log = `${tempStorePath()}.events`;
      const run = await runChild(kFlood, [String(count)], { log, timeoutMs: 60_000 });
      expect(run.signal).toBe('SIGKILL');
      expect(run.lines.map((l) => (JSON.parse(l.slice(2)) as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  });

  it('drops a last line the kill cut short (never written whole, so never acted on), and reads a missing log as empty', () => {
    const log = `${tempStorePath()}.events`;
    writeFileSync(log, 'I {"id":"a"}\nA {"id":"a"}\nI {"id":"b","v":[0.1');
    expect(readEventLog(log)).toEqual(['I {"id":"a"}', 'A {"id":"a"}']);
    expect(readEventLog(`${log}.missing`)).toEqual([]);
  });
});
