// Writer thread entry: only the message loop. The logic is in writer-service.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { die } from '../shared/internal-faults.js';
import type { SharedInit } from '../protocol.js';
import { withWriterFaults } from './writer-faults.js';
import { WriterService } from './writer-service.js';

if (parentPort === null) throw new Error('writer.worker must run in a worker thread');
const init = workerData as SharedInit;
const service = new WriterService(init);
if (init.faults?.plan.writer?.at === 'boot') void die(init.faults.plan.writer.how, service.arena, 'writer boot');
else expose(init.faults === undefined ? service : withWriterFaults(service, init.faults), nodeEndpoint(parentPort));
