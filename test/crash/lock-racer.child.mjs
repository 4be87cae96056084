// Child process of lock-race.test.ts: one racer. On "go <at>" it spins until the wall clock reaches `at` (so
// every racer calls open at the same instant), opens the store as its writer through the public API and
// prints WON or the error code; on "release" a winner closes the store. "exit" ends the process.
import { createInterface } from 'node:readline';
import { Feather } from 'feather-db';

const path = process.argv[2];
let db;
for await (const line of createInterface({ input: process.stdin })) {
  const [verb, arg] = line.split(' ');
  if (verb === 'go') {
    const at = Number(arg);
    while (Date.now() < at) {
      // spin: a timer would let the racers drift apart by a scheduler tick
    }
    try {
      db = await Feather.open(path, { dim: 4, threads: 1 });
      process.stdout.write('WON\n');
    } catch (error) {
      process.stdout.write(`${error.code ?? error.message}\n`);
    }
  } else if (verb === 'release') {
    await db?.close();
    db = undefined;
    process.stdout.write('RELEASED\n');
  } else if (verb === 'exit') {
    break;
  }
}
process.exit(0);
