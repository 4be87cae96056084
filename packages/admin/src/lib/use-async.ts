// A value loaded from the server: loading, loaded or failed, reloaded when its inputs change, and the
// request in flight cancelled when they do (or when the view goes away).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, asApiError } from '../api/api-error.js';

export type Async<T> =
  | { state: 'loading'; value: T | undefined; reload: () => void }
  | { state: 'ok'; value: T; reload: () => void }
  | { state: 'error'; value: T | undefined; error: ApiError; reload: () => void };

export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, inputs: readonly unknown[]): Async<T> {
  const [result, setResult] = useState<{ state: 'loading' | 'ok' | 'error'; value: T | undefined; error?: ApiError }>({
    state: 'loading',
    value: undefined,
  });
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // The caller names the inputs the load depends on (as with useEffect).
  useEffect(() => {
    const controller = new AbortController();
    // Keep showing the last value while the next loads (no flicker on reload).
    setResult((r) => ({ state: 'loading', value: r.value }));
    loadRef.current(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setResult({ state: 'ok', value });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setResult((r) => ({ state: 'error', value: r.value, error: asApiError(error) }));
      },
    );
    return () => controller.abort();
  }, [...inputs, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  if (result.state === 'error') return { state: 'error', value: result.value, error: result.error!, reload };
  if (result.state === 'ok') return { state: 'ok', value: result.value as T, reload };
  return { state: 'loading', value: result.value, reload };
}
