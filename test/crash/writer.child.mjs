// Child for crash.test.ts: opens a store with durability 'fsync', prints `R` on stdout, and writes a random
// stream until it is killed. With `churn` as its third argument, a fifth of the writes forget up to 200 memories at
// once, so the store keeps repairing tombstones and reusing rows and slots (docs/adr/0008). Before each write it logs `I <json>` (issued, with its contents), after its
// promise resolves `A <json>` (acked), to its event log (event-log.mjs: a file, which keeps every line
// through the kill; stdout would not).
import { gaussian, seededRandom } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { eventLog } from './event-log.mjs';

const [path, seedArg, mix, logPath] = process.argv.slice(2);
const churn = mix === 'churn';
const rand = seededRandom(Number(seedArg));
const dim = 8;
const vector = () => Array.from({ length: dim }, () => gaussian(rand));
const say = eventLog(logPath);

const db = await Feather.open(path, { dim, metric: 'l2', threads: 1, durability: 'fsync' });
const live = new Set();
process.stdout.write('R\n');
let next = 0;
let added = 0;
let acks = 0;
const busy = new Set();
const ops = [];
const run = (event, promise) => {
  say('I', event);
  for (const id of event.ids ?? [event.id]) busy.add(id);
  const p = promise().then(() => {
    say('A', event);
    for (const id of event.ids ?? [event.id]) busy.delete(id);
    if (event.op === 'add' || event.op === 'batch') for (const x of event.ids ?? [event.id]) live.add(x);
    if (event.op === 'forget') live.delete(event.id);
    if (event.op === 'forgetMany') for (const x of event.ids) live.delete(x);
    if (event.op === 'add' || event.op === 'batch') added += (event.ids ?? [event.id]).length;
    // `S`: graph slots against vectors ever added (fewer slots: some were reused).
    if (churn && ++acks % 20 === 0) say('S', { nodes: db.stats().modalities.text.nodes, added });
  });
  ops.push(p);
};
const pick = () => {
  const candidates = [...live].filter((id) => !busy.has(id));
  return candidates.length === 0 ? undefined : candidates[Math.floor(rand() * candidates.length)];
};
for (;;) {
  const r = rand();
  if (churn && rand() < 0.2) {
    const ids = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 200) }, pick))].filter((id) => id !== undefined);
    if (ids.length > 0) run({ op: 'forgetMany', ids }, () => db.forget(ids));
  } else if (r < 0.4) {
    const id = `${seedArg}-${next++}`;
    const event = { op: 'add', id, ns: `n${next % 3}`, text: `t${next}`, v: vector() };
    run(event, () => db.add(event.v, { id, namespace: event.ns, text: event.text }));
  } else if (r < 0.5) {
    const size = rand() < 0.3 ? 300 : 1 + Math.floor(rand() * 20);
    const ids = Array.from({ length: size }, () => `${seedArg}-${next++}`);
    const vs = ids.map(() => vector());
    const event = { op: 'batch', ids, ns: 'b', vs };
    run(event, () => db.addBatch(vs, { ids, namespace: 'b', metas: ids.map((x) => ({ text: x })) }));
  } else if (r < 0.65) {
    const id = pick();
    if (id !== undefined) run({ op: 'forget', id }, () => db.forget(id));
  } else if (r < 0.8) {
    const id = pick();
    const importance = Math.round(rand() * 100) / 10;
    if (id !== undefined) run({ op: 'update', id, importance }, () => db.update(id, { importance }));
  } else if (r < 0.95) {
    const from = pick();
    const to = pick();
    if (from !== undefined && to !== undefined && from !== to)
      run({ op: 'link', id: from, to, ids: [from, to] }, () => db.link(from, to, { type: 'x' }));
  } else if (r < 0.97) {
    run({ op: 'save', ids: [] }, () => db.save());
  }
  // Up to four writes in flight, so the writer groups them.
  if (ops.length >= 4) await Promise.race(ops.splice(0, 1));
}
