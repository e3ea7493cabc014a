/**
 * Loads data now and again every `intervalMs` while `active(data)` says so: polling stops by
 * itself once the thing is finished (a completed study), pauses while the tab is hidden, and
 * loads at once when the tab comes back. Requests in flight are aborted when the inputs change
 * or the component goes away; the last good data stays visible through errors.
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface Poll<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** True while more updates are scheduled (the tab is visible and `active` holds). */
  readonly live: boolean;
  readonly reload: () => void;
}

export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  active: (data: T) => boolean,
  intervalMs: number,
  deps: DependencyList,
): Poll<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState(false);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const activeRef = useRef(active);
  activeRef.current = active;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let latest: T | undefined;
    let inFlight = false;
    const hidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden';

    const schedule = () => {
      clearTimeout(timer);
      const more = latest === undefined || activeRef.current(latest);
      setLive(more && !hidden());
      if (more && !hidden()) timer = setTimeout(tick, intervalMs);
    };
    const tick = async () => {
      if (inFlight || controller.signal.aborted) return;
      inFlight = true;
      setLoading(true);
      try {
        const next = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        latest = next;
        setData(next);
        setError(undefined);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e);
      } finally {
        inFlight = false;
        if (!controller.signal.aborted) {
          setLoading(false);
          schedule();
        }
      }
    };
    const onVisibility = () => {
      if (hidden()) {
        clearTimeout(timer);
        setLive(false);
      } else if (latest === undefined || activeRef.current(latest)) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // The caller's deps decide when to start over (the loader is read through a ref).
  }, [...deps, intervalMs, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, live, reload };
}
