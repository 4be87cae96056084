// The local embedder's thread: loads the model once, then embeds one batch per message, in order.
import { parentPort } from 'node:worker_threads';
import { FeatherError } from 'feather-db';
import type { FromModelWorker, ToModelWorker } from './local-protocol.js';
import { loadUseModel } from './use-model.js';

const port = parentPort!;
const post = (message: FromModelWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const wire = (error: unknown, what: string): FeatherError =>
  error instanceof FeatherError
    ? error
    : new FeatherError(
        'FEATHER_ERR_EMBEDDER',
        `the local model failed to ${what}: ${error instanceof Error ? error.message : String(error)}`,
        { provider: 'local' },
      );

const started = performance.now();
try {
  const model = await loadUseModel();
  port.on('message', (message: ToModelWorker) => {
    model.embed(message.texts).then(
      (vectors) =>
        post(
          { type: 'embedded', id: message.id, vectors },
          vectors.map((v) => v.buffer as ArrayBuffer),
        ),
      (error: unknown) => post({ type: 'failed', id: message.id, error: wire(error, 'embed').toWire() }),
    );
  });
  post({ type: 'ready', loadMs: performance.now() - started });
} catch (error) {
  post({ type: 'load-failed', error: wire(error, 'load').toWire() });
}
