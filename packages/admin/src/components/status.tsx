// The three states a view shows besides its content: loading, failed, and nothing to show.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api/api-error.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="status loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** An error as the server said it: its code and its message (which says what to fix). */
export function ErrorNote({
  error,
  onRetry,
  title = 'That did not work',
}: {
  error: ApiError | Error;
  onRetry?: () => void;
  title?: string;
}) {
  const code = 'code' in error ? String(error.code) : undefined;
  return (
    <div class="status error" role="alert">
      <p>
        <strong>{title}.</strong> {error.message}
      </p>
      {code === undefined ? null : <p class="code">{code}</p>}
      {onRetry === undefined ? null : (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="status empty">{children}</p>;
}
