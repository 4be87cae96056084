// Where the API key is kept between page loads: for this tab (sessionStorage) unless the user asked to be
// remembered on this device (localStorage). Nowhere else: never a URL, a cookie or a log.

const kStorageKey = 'feather-admin.api-key';

function storage(kind: 'session' | 'local'): Storage | undefined {
  try {
    return kind === 'session' ? window.sessionStorage : window.localStorage;
  } catch {
    // Storage can be disabled (privacy settings): the key then lives only in memory, for this page load.
    return undefined;
  }
}

export function loadKey(): { key: string; remembered: boolean } | undefined {
  const session = storage('session')?.getItem(kStorageKey);
  if (session !== null && session !== undefined && session !== '') return { key: session, remembered: false };
  const local = storage('local')?.getItem(kStorageKey);
  if (local !== null && local !== undefined && local !== '') return { key: local, remembered: true };
  return undefined;
}

export function saveKey(key: string, remember: boolean): void {
  clearKey();
  storage(remember ? 'local' : 'session')?.setItem(kStorageKey, key);
}

export function clearKey(): void {
  storage('session')?.removeItem(kStorageKey);
  storage('local')?.removeItem(kStorageKey);
}
