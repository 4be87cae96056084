// What every view reaches through context: the API client and how to leave.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from '../api/client.js';

export interface Session {
  api: ApiClient;
  /** 'key': signed in with the API key; 'open': the server runs with --dev (no auth). */
  auth: 'key' | 'open';
  signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside a signed-in page');
  return session;
}
