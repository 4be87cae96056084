import { describe, expect, it } from 'vitest';
import { formatRoute, idFromPath, parseRoute, type Route } from '../src/lib/routes.js';

describe('hash routes', () => {
  it('every view survives format then parse', () => {
    const routes: Route[] = [
      { view: 'overview' },
      { view: 'namespaces' },
      { view: 'maintenance' },
      { view: 'records' },
      { view: 'records', ns: 'user 42/é', entity: 'travel', filter: 'source=chat, pinned=true' },
      { view: 'search' },
      { view: 'search', ns: 'home' },
      { view: 'record', ns: 'home', id: 'tea' },
      { view: 'record', ns: 'a/b?c#d', id: 'x/y?z#w %' },
      { view: 'record', ns: 'home', id: 42 },
      { view: 'record', ns: 'home', id: 0 },
      { view: 'graph' },
      { view: 'graph', ns: 'home', id: 7, k: 3, hops: 1 },
      { view: 'graph', ns: 'home', q: 'what & why?', k: 10, hops: 0 },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route)), formatRoute(route)).toEqual(route);
  });

  it('reads ids as the server does: digits are the integer id, anything else the string', () => {
    expect(idFromPath('42')).toBe(42);
    expect(idFromPath('0')).toBe(0);
    expect(idFromPath('042')).toBe('042');
    expect(idFromPath('9007199254740993')).toBe('9007199254740993');
    expect(idFromPath('tea')).toBe('tea');
    expect(parseRoute('#/records/home/17')).toEqual({ view: 'record', ns: 'home', id: 17 });
  });

  it('an empty hash is the overview; unknown paths, bad escapes and out-of-range numbers are handled', () => {
    expect(parseRoute('')).toEqual({ view: 'overview' });
    expect(parseRoute('#/')).toEqual({ view: 'overview' });
    expect(parseRoute('#/nope')).toEqual({ view: 'not-found', hash: '#/nope' });
    expect(parseRoute('#/records/home')).toEqual({ view: 'not-found', hash: '#/records/home' });
    expect(parseRoute('#/records/home/%E0%A4%A')).toEqual({ view: 'not-found', hash: '#/records/home/%E0%A4%A' });
    expect(parseRoute('#/graph?ns=home&k=0&hops=99&id=tea')).toEqual({ view: 'graph', ns: 'home', id: 'tea' });
    expect(parseRoute('#/records?ns=&entity=')).toEqual({ view: 'records' });
  });
});
