import { useCallback, useEffect, useState } from 'react';
import { apiRequest, ApiError } from '../lib/api';
import { useSession } from './session-context';

export interface ApiState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** True when the API answered 404: the feature is not there (yet). */
  readonly missing: boolean;
  readonly reload: () => void;
}

/** GETs `path` with the signed-in key (again whenever `path` changes or `reload` is called). */
export function useApi<T>(path: string | null): ApiState<T> {
  const { apiKey, signOut } = useSession();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    apiRequest<T>(apiKey, 'GET', path).then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) signOut();
        if (live) setState({ error, loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, [apiKey, path, generation, signOut]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const missing = state.error instanceof ApiError && state.error.status === 404;
  return { data: state.data, error: state.error, loading: state.loading, missing, reload };
}

/** Runs a write with the key; returns [run, busy, error]. */
export function useAction<A extends unknown[], R>(
  action: (apiKey: string, ...args: A) => Promise<R>,
): { run: (...args: A) => Promise<R | undefined>; busy: boolean; error: unknown } {
  const { apiKey } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(undefined);
      try {
        return await action(apiKey, ...args);
      } catch (caught) {
        setError(caught);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action, apiKey],
  );
  return { run, busy, error };
}
