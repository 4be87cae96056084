// Child of crash-points.test.ts: runs a fixed stream of writes against a store, logging `A <json>` once each
// write is acknowledged (event-log.mjs: a file, which keeps every line through the kill), until a named crash
// point (FEATHER_INTERNAL_FAULTS, set by the parent) kills it.
// argv: path, mode ('saves': explicit saves; 'autosave': only automatic saves; 'reopen': open and close), log.
import { Feather } from 'feather-db';
import { eventLog } from './event-log.mjs';

const [path, mode, logPath] = process.argv.slice(2);
const log = eventLog(logPath);
const say = (event) => log('A', event);
const vector = (n) => Array.from({ length: 8 }, (_, i) => Math.sin(n * 8 + i));
const db = await Feather.open(path, { dim: 8, metric: 'l2', threads: 1, autoSaveWalBytes: mode === 'autosave' ? 2048 : 0 });
if (mode !== 'reopen') {
  let n = 0;
  const add = async (id) => {
    const event = { op: 'add', id, n: n++, text: `text of ${id}`, ns: `ns${n % 3}` };
    await db.add(vector(event.n), { id, text: event.text, namespace: event.ns });
    say(event);
  };
  const batch = async (prefix, size) => {
    const ids = Array.from({ length: size }, (_, i) => `${prefix}${i}`);
    const first = n;
    n += size;
    await db.addBatch(
      ids.map((_, i) => vector(first + i)),
      { ids, namespace: 'batch', metas: ids.map((id) => ({ text: `text of ${id}` })) },
    );
    say({ op: 'batch', ids, first });
  };
  process.stdout.write('I {"op":"batch","prefix":"b","size":50}\nI {"op":"batch","prefix":"d","size":300}\n');
  for (let i = 0; i < 10; i++) await add(`a${i}`);
  await batch('b', 50);
  if (mode === 'saves') await db.save();
  for (let i = 0; i < 10; i++) await add(`c${i}`);
  await batch('d', 300);
  await db.update('a1', { importance: 2.5 });
  say({ op: 'update', id: 'a1', importance: 2.5 });
  await db.forget('a2');
  say({ op: 'forget', id: 'a2' });
  if (mode === 'saves') await db.save();
  for (let i = 0; i < 40; i++) await add(`e${i}`);
}
await db.close();
process.stdout.write('DONE\n');
