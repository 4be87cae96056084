// The page: sign-in first (unless the server runs with --dev), then the views behind a navigation bar.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { asApiError, type ApiError } from './api/api-error.js';
import { ApiClient } from './api/client.js';
import { clearKey, loadKey, saveKey } from './api/key-store.js';
import { Empty, ErrorNote, Loading } from './components/status.js';
import { ViewHeading } from './components/view-heading.js';
import { formatRoute, type Route } from './lib/routes.js';
import { SessionContext, type Session } from './lib/session.js';
import { href, useRoute } from './lib/use-route.js';
import { Graph } from './views/graph.js';
import { Login } from './views/login.js';
import { Maintenance } from './views/maintenance.js';
import { Namespaces } from './views/namespaces.js';
import { Overview } from './views/overview.js';
import { RecordDetail } from './views/record-detail.js';
import { Records } from './views/records.js';
import { Search } from './views/search.js';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-in'; key: string | undefined }
  | { state: 'signed-out'; notice: string | undefined }
  | { state: 'unreachable'; error: ApiError };

const kNav: { label: string; route: Route; views: Route['view'][] }[] = [
  { label: 'Overview', route: { view: 'overview' }, views: ['overview'] },
  { label: 'Namespaces', route: { view: 'namespaces' }, views: ['namespaces'] },
  { label: 'Records', route: { view: 'records' }, views: ['records', 'record'] },
  { label: 'Search', route: { view: 'search' }, views: ['search'] },
  { label: 'Graph', route: { view: 'graph' }, views: ['graph'] },
  { label: 'Maintenance', route: { view: 'maintenance' }, views: ['maintenance'] },
];

const kBase = ApiClient.baseOf(window.location.href);

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return <Overview />;
    case 'namespaces':
      return <Namespaces />;
    case 'records':
      return <Records {...route} />;
    case 'search':
      return <Search {...route} />;
    case 'record':
      return <RecordDetail ns={route.ns} id={route.id} />;
    case 'graph':
      return <Graph {...route} />;
    case 'maintenance':
      return <Maintenance />;
    case 'not-found':
      return (
        <>
          <ViewHeading>Not found</ViewHeading>
          <Empty>
            There is no view at <code>{route.hash}</code>. <a href={href({ view: 'overview' })}>Go to the overview</a>.
          </Empty>
        </>
      );
  }
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  // First: a stored key, or none (a --dev server answers without one). A refused key is dropped.
  const probe = async (): Promise<void> => {
    setAuth({ state: 'checking' });
    const stored = loadKey();
    try {
      await new ApiClient(stored?.key, kBase).stats();
      setAuth({ state: 'signed-in', key: stored?.key });
    } catch (e) {
      const error = asApiError(e);
      if (!error.unauthorized) return setAuth({ state: 'unreachable', error });
      if (stored !== undefined) clearKey();
      setAuth({
        state: 'signed-out',
        notice: stored === undefined ? undefined : 'The saved key was refused (it may have changed): enter the current one.',
      });
    }
  };
  useEffect(() => void probe(), []);

  const key = auth.state === 'signed-in' ? auth.key : undefined;
  // One client per signed-in key: views keep their loaded data across re-renders of the shell.
  const session = useMemo<Session | undefined>(() => {
    if (auth.state !== 'signed-in') return undefined;
    const signOut = (notice?: string): void => {
      clearKey();
      setAuth({ state: 'signed-out', notice });
    };
    const api = new ApiClient(key, kBase, () => signOut('The server refused the key (it may have changed): sign in again.'));
    return { api, auth: key === undefined ? 'open' : 'key', signOut: () => signOut('Signed out. The key was removed from this browser.') };
  }, [auth.state, key]);

  if (auth.state === 'checking') {
    return (
      <main id="main" class="login">
        <Loading label="Connecting to feather-serve…" />
      </main>
    );
  }
  if (auth.state === 'unreachable') {
    return (
      <main id="main" class="login">
        <h1>Feather admin</h1>
        <ErrorNote error={auth.error} onRetry={() => void probe()} title="Cannot reach feather-serve" />
      </main>
    );
  }
  if (auth.state === 'signed-out' || session === undefined) {
    return (
      <Login
        notice={auth.state === 'signed-out' ? auth.notice : undefined}
        check={async (candidate, remember) => {
          await new ApiClient(candidate, kBase).stats();
          saveKey(candidate, remember);
          setAuth({ state: 'signed-in', key: candidate });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('view-title')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Feather admin</span>
        <nav aria-label="Views">
          <ul>
            {kNav.map((item) => (
              <li key={item.label}>
                <a href={href(item.route)} aria-current={item.views.includes(route.view) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {session.auth === 'open' ? (
          <span class="badge" title="feather-serve runs with --dev: no key needed, 127.0.0.1 only">
            no auth (--dev)
          </span>
        ) : (
          <button type="button" class="quiet" onClick={session.signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main">
        <View key={formatRoute(route)} route={route} />
      </main>
    </SessionContext.Provider>
  );
}
