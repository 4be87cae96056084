/** Resolves on a later turn of the event loop (after pending I/O), so work done in slices lets other work run. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
