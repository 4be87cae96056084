// ---- heaps: max-heaps of (f32 key, u32 id) pairs; the candidate heap stores -distance ---------------

@inline export function hKey(heap: u32, i: u32): f32 {
  return load<f32>(heap + (i << 3));
}

@inline export function hId(heap: u32, i: u32): u32 {
  return load<u32>(heap + (i << 3), 4);
}

export function heapPush(heap: u32, size: u32, key: f32, id: u32): void {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pk = hKey(heap, p);
    if (pk >= key) break;
    store<u64>(heap + (i << 3), load<u64>(heap + (p << 3)));
    i = p;
  }
  store<f32>(heap + (i << 3), key);
  store<u32>(heap + (i << 3), id, 4);
}

/** Removes the top of a heap of `size` entries (size >= 1): the last entry takes its place and sifts down. */
export function heapPop(heap: u32, size: u32): void {
  const n = size - 1;
  if (n > 0) heapReplaceTop(heap, n, hKey(heap, n), hId(heap, n));
}

/**
 * Replaces the top of a heap of `size` entries (size >= 1) by (key, id) and restores the order: a pop and a push
 * in one sift down, for a full result heap taking an entry nearer than its farthest (key below the top's).
 */
export function heapReplaceTop(heap: u32, size: u32, key: f32, id: u32): void {
  let i: u32 = 0;
  while (true) {
    let c: u32 = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && hKey(heap, c + 1) > hKey(heap, c)) c++;
    if (hKey(heap, c) <= key) break;
    store<u64>(heap + (i << 3), load<u64>(heap + (c << 3)));
    i = c;
  }
  store<f32>(heap + (i << 3), key);
  store<u32>(heap + (i << 3), id, 4);
}

/**
 * Drops candidates that can never be expanded (distance >= the current result bound) and re-heapifies.
 * Called only when the candidate heap is full, which takes many tombstones or a tiny heap.
 */
export function compactCandidates(cand: u32, n: u32, lowerBound: f32): u32 {
  let w: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (-hKey(cand, i) < lowerBound) {
      store<u64>(cand + (w << 3), load<u64>(cand + (i << 3)));
      w++;
    }
  }
  let size: u32 = 0;
  for (let i: u32 = 0; i < w; i++) heapPush(cand, size++, hKey(cand, i), hId(cand, i));
  return size;
}

/** Pops the result heap into `out` as (u32 id, f32 distance) pairs in ascending distance order. */
export function drainSorted(res: u32, nRes: u32, out: u32, k: u32): u32 {
  let n = nRes;
  while (n > k) heapPop(res, n--);
  const count = n;
  while (n > 0) {
    const i = n - 1;
    store<u32>(out + (i << 3), hId(res, 0));
    store<f32>(out + (i << 3), hKey(res, 0), 4);
    heapPop(res, n--);
  }
  return count;
}

/** Sorts `n` (key, id) pairs ascending by key (insertion sort: n <= M0 + 1 or ef, called on small sets). */
export function sortPairs(p: u32, n: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const v = load<u64>(p + (i << 3));
    const key = load<f32>(p + (i << 3));
    let j = i;
    while (j > 0 && load<f32>(p + ((j - 1) << 3)) > key) {
      store<u64>(p + (j << 3), load<u64>(p + ((j - 1) << 3)));
      j--;
    }
    store<u64>(p + (j << 3), v);
  }
}
