/**
 * Loads data for a component: loading → ok | error, aborted when the inputs change or the
 * component goes away, reloadable (after an action, or on a timer).
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export type AsyncState<T> =
  | { readonly status: 'loading'; readonly data?: T }
  | { readonly status: 'ok'; readonly data: T }
  | { readonly status: 'error'; readonly error: unknown; readonly data?: T };

export interface Async<T> {
  readonly state: AsyncState<T>;
  /** Loads again; the previous data stays visible meanwhile (no flash of a spinner). */
  readonly reload: () => void;
}

export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({
      status: 'loading',
      ...('data' in s && s.data !== undefined ? { data: s.data } : {}),
    }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'ok', data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState((s) => ({
            status: 'error',
            error,
            ...('data' in s && s.data !== undefined ? { data: s.data } : {}),
          }));
        }
      },
    );
    return () => controller.abort();
    // The caller's deps decide when to load (the loader itself is read through a ref).
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, reload };
}
