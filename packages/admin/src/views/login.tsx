// Asks for the API key once. It is checked against the server before anything else is shown, and kept for
// this tab, or on this device when the user asks.
import { useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { BusyButton } from '../components/busy-button.js';
import { ErrorNote } from '../components/status.js';

export function Login({ check, notice }: { check: (key: string, remember: boolean) => Promise<void>; notice: string | undefined }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (): Promise<void> => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await check(key.trim(), remember);
    } catch (e) {
      setError(asApiError(e));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>Feather admin</h1>
      <p>
        Enter the API key of this feather-serve. It is in the file <code>&lt;store&gt;.key</code> beside the store (printed once at the
        first start), or the value of <code>FEATHER_API_KEY</code>.
      </p>
      {notice === undefined ? null : (
        <p class="status notice" role="status">
          {notice}
        </p>
      )}
      <form
        method="post"
        aria-label="Sign in"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            required
            ref={input}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </div>
        <div class="check">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <label for="remember">Remember on this device (otherwise the key is forgotten when this tab closes)</label>
        </div>
        <BusyButton type="submit" kind="primary" busy={busy} busyLabel="Checking the key…">
          Sign in
        </BusyButton>
      </form>
      {error === undefined ? null : (
        <ErrorNote error={error} title={error.unauthorized ? 'The server refused this key' : 'Cannot sign in'} />
      )}
    </main>
  );
}
