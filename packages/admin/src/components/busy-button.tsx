// A button for a call that takes a while: it says what is running and ignores presses meanwhile. It stays
// focusable (aria-disabled, not disabled), so a keyboard user keeps their place.
import type { ComponentChildren } from 'preact';

export function BusyButton({
  busy,
  busyLabel,
  onClick,
  children,
  type = 'button',
  kind,
}: {
  busy: boolean;
  busyLabel: string;
  onClick?: () => void;
  children: ComponentChildren;
  type?: 'button' | 'submit';
  kind?: 'danger' | 'primary';
}) {
  return (
    <button
      type={type}
      class={kind}
      aria-disabled={busy}
      aria-busy={busy}
      onClick={(event) => {
        if (busy) {
          event.preventDefault();
          return;
        }
        onClick?.();
      }}
    >
      {busy ? (
        <>
          <span class="spinner" aria-hidden="true" />
          {busyLabel}
        </>
      ) : (
        children
      )}
    </button>
  );
}
