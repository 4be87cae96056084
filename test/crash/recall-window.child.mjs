// Child for recall-window.test.ts. Opens the store (recallFlushMs from argv), searches in two phases and kills
// itself with SIGKILL right after the second: phase A, then waits until its WAL has grown (a flush landed) and
// logs the counts it sees (`A <json>`); phase B, logs the counts again (`B <json>`) and dies at once, before
// the flush timer of B's bumps can fire (or while it runs). Lines go to the event log (event-log.mjs), which a
// kill cannot take back.
import { statSync } from 'node:fs';
import { Feather } from 'feather-db';
import { eventLog } from './event-log.mjs';

const [path, flushMs, dimArg, queryCount, logPath] = process.argv.slice(2);
const log = eventLog(logPath);
const dim = Number(dimArg);
const db = await Feather.open(path, { recallFlushMs: Number(flushMs), threads: 1 });
const query = (q) => Array.from({ length: dim }, (_, j) => Math.sin(q * 7.1 + j * 1.3));
const counts = () => {
  const out = {};
  for (const id of db.list({ limit: 10_000 }).memories.map((r) => r.id)) out[id] = db.get(id).recallCount;
  return out;
};
const walBytes = () => statSync(`${path}.wal`).size;

const before = walBytes();
for (let q = 0; q < Number(queryCount); q++) await db.search(query(q), { k: 5, now: 1_000 + q });
// Bounded on the monotonic clock (the wall clock may be shifted: test:clock runs under faketime).
const deadline = performance.now() + 10_000;
while (walBytes() === before && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
// Wait for the bytes of a flush that may be mid-write.
await new Promise((resolve) => setTimeout(resolve, 50));
log('A', counts());
for (let q = 0; q < Number(queryCount); q++) await db.search(query(q + 1000), { k: 5, now: 5_000 + q });
log('B', counts());
process.kill(process.pid, 'SIGKILL');
