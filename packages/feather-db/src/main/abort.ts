// AbortSignal on long calls (search, searchMany, addBatch, compact), honoured as piscina does: a signal
// already aborted rejects at once, and work still queued is dropped; work already running either stops at
// its next check or, where stopping would leave a change half made, completes (the call then resolves).
import { describeValue, FeatherError } from '@feather-db/core';

/** `options.signal`, checked: an AbortSignal, or undefined. @throws FEATHER_ERR_INVALID_ARGUMENT. */
export function checkSignal(value: unknown, path: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path} must be an AbortSignal (from an AbortController or AbortSignal.timeout()), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** The error an aborted call rejects with; the signal's reason is its cause. */
export function abortedError(signal: AbortSignal, call: string): FeatherError {
  const reason: unknown = signal.reason;
  const said = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : undefined;
  return new FeatherError(
    'FEATHER_ERR_ABORTED',
    `${call} was aborted through its signal${said === undefined ? '' : ` (${said})`}; nothing was changed`,
    { call },
    { cause: reason },
  );
}

/** @throws FEATHER_ERR_ABORTED when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, call: string): void {
  if (signal?.aborted === true) throw abortedError(signal, call);
}

/** Per signal, the calls waiting on it: one listener each, however many calls share the signal. */
const kWaiting = new WeakMap<AbortSignal, { listener: () => void; calls: Set<() => void> }>();

/**
 * Calls `onAbort` once if `signal` aborts before the returned function is called (which forgets it). Calls that
 * share a signal share one listener on it: a request-scoped signal over many searches adds one, not one per
 * search (Node warns past ten listeners on a signal).
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => undefined;
  let entry = kWaiting.get(signal);
  if (entry === undefined) {
    const calls = new Set<() => void>();
    const listener = (): void => {
      kWaiting.delete(signal);
      for (const call of calls) call();
    };
    entry = { listener, calls };
    kWaiting.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  const waiting = entry;
  waiting.calls.add(onAbort);
  return () => {
    waiting.calls.delete(onAbort);
    if (waiting.calls.size > 0 || kWaiting.get(signal) !== waiting) return;
    kWaiting.delete(signal);
    signal.removeEventListener('abort', waiting.listener);
  };
}

/** Where a cancellable call may stop: `check` before each step, `commit` right before its first change. */
export interface AbortPoint {
  /** @throws FEATHER_ERR_ABORTED when the signal is aborted. */
  check(): void;
  /** The last check: from here on the call completes (and resolves) even if its signal aborts. */
  commit(): void;
}

/** The point of a call without a signal: never stops. */
export const kNoAbort: AbortPoint = { check: () => undefined, commit: () => undefined };

/**
 * Runs a call that changes the store (addBatch, compact) under `signal`: it rejects with FEATHER_ERR_ABORTED
 * as soon as the signal aborts, unless `run` has already committed, and `run` checks the signal before each
 * step, so an aborted call has changed nothing. A call aborted after it committed completes and resolves.
 */
export function abortable<T>(signal: AbortSignal | undefined, call: string, run: (point: AbortPoint) => Promise<T>): Promise<T> {
  if (signal === undefined) return run(kNoAbort);
  if (signal.aborted) return Promise.reject(abortedError(signal, call));
  let committed = false;
  const point: AbortPoint = {
    check: () => throwIfAborted(signal, call),
    commit: () => {
      throwIfAborted(signal, call);
      committed = true;
    },
  };
  return new Promise<T>((resolve, reject) => {
    const dispose = whenAborted(signal, () => {
      if (!committed) reject(abortedError(signal, call));
    });
    run(point).then(
      (value) => {
        dispose();
        resolve(value);
      },
      (error: unknown) => {
        dispose();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the call's own rejection, passed on as it came
        reject(error);
      },
    );
  });
}
