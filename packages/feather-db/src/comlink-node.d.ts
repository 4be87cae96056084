// comlink ships this adapter's types as node-adapter.d.ts next to a .mjs file, which NodeNext resolution
// does not pair up; declare the one default export we use.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { MessagePort, Worker } from 'node:worker_threads';
  export default function nodeEndpoint(nep: MessagePort | Worker): Endpoint;
}
