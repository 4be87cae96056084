// The current hash route, following the browser's back and forward buttons.
import { useEffect, useState } from 'preact/hooks';
import { formatRoute, parseRoute, type Route } from './routes.js';

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = formatRoute(route);
}

/** The href of a route, for links (keyboard and middle-click work as for any link). */
export function href(route: Route): string {
  return formatRoute(route);
}
