// The baseline of cli-import.ts, as a user of hnswlib-node would write it: read a float32 .npy, build the
// index (M=16, efConstruction=200), write it to disk. Run once per round in a fresh process (cli-import.ts
// times it from the spawn to the exit: process start to file on disk).
//   node macro/hnswlib-import.mjs <matrix.npy> <out.hnsw> <cosine|l2>
import { readFileSync } from 'node:fs';
import hnswlib from 'hnswlib-node';

const [npy, out, metric] = process.argv.slice(2);
const bytes = readFileSync(npy);
const headerLength = bytes.readUInt16LE(8);
const header = bytes.toString('latin1', 10, 10 + headerLength);
const [, rows, dim] = /'shape':\s*\((\d+),\s*(\d+)/.exec(header).map(Number);
if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${npy} is not a little-endian float32 .npy`);
const offset = 10 + headerLength;
const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + rows * dim * 4));
const index = new hnswlib.HierarchicalNSW(metric === 'cosine' ? 'cosine' : 'l2', dim);
index.initIndex(rows, 16, 200, 100);
const row = new Array(dim);
for (let i = 0; i < rows; i++) {
  for (let j = 0; j < dim; j++) row[j] = data[i * dim + j];
  index.addPoint(row, i);
}
index.writeIndexSync(out);
