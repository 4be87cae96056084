// Writer thread entry: only the message loop. The logic is in writer-service.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SharedInit } from '../protocol.js';
import { WriterService } from './writer-service.js';

if (parentPort === null) throw new Error('writer.worker must run in a worker thread');
expose(new WriterService(workerData as SharedInit), nodeEndpoint(parentPort));
