// The current route, read from the URL hash: `#/screen/param?key=value`. Hash routing means the
// production server needs no SPA fallback and every screen (and person) can be linked to.
export const SCREENS = ['library', 'person', 'evaluate', 'batch', 'models'] as const;
export type ScreenName = (typeof SCREENS)[number];

interface Route {
  screen: ScreenName;
  /** The path segment after the screen, e.g. a person id. */
  param: string | null;
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [name, param] = path.split('/');
  const screen = (SCREENS as readonly string[]).includes(name) ? (name as ScreenName) : 'library';
  return { screen, param: param ? decodeURIComponent(param) : null, query: new URLSearchParams(search) };
}

export const route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

export function syncRoute(): void {
  Object.assign(route, parse(location.hash));
}

export function href(screen: ScreenName, param?: string | null, query?: Record<string, string>): string {
  const q = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  return `#/${screen}${param ? `/${encodeURIComponent(param)}` : ''}${q}`;
}

export function navigate(screen: ScreenName, param?: string | null, query?: Record<string, string>): void {
  location.hash = href(screen, param, query);
}
