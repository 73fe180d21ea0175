import { useEffect, useState } from 'react';

export type PageName = 'overview' | 'transactions' | 'rules' | 'structuring' | 'identity';

export interface Route {
  readonly page: PageName;
  /** The rest of the hash, e.g. a transaction id. */
  readonly param: string | undefined;
}

const PAGES: readonly PageName[] = ['overview', 'transactions', 'rules', 'structuring', 'identity'];

/** `#/transactions/abc` → { page: 'transactions', param: 'abc' }; anything else is the overview. */
export function routeOf(hash: string): Route {
  const [page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const known = PAGES.find((p) => p === page);
  return {
    page: known ?? 'overview',
    param: known && rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined,
  };
}

/** The page in the URL hash (hash routing: the server only ever serves `/`). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
