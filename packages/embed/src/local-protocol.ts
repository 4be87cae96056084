// Messages between LocalEmbedder (main thread) and its model worker.
import type { WireError } from 'feather-db';

export type ToModelWorker = { type: 'embed'; id: number; texts: string[] };

export type FromModelWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'load-failed'; error: WireError }
  | { type: 'embedded'; id: number; vectors: Float32Array[] }
  | { type: 'failed'; id: number; error: WireError };
