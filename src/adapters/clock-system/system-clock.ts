/** The real Clock: monotonic milliseconds (performance.now) and Node timers, unref'd. */
import type { Clock, TimerHandle } from '../../core/clock.js';

export function createSystemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let seq = 0;
  return {
    now: () => performance.now(),
    setTimer(delayMs, fn) {
      const id = ++seq;
      const t = setTimeout(
        () => {
          timers.delete(id);
          fn();
        },
        Math.max(0, delayMs),
      );
      // A pending batch timer must not keep a finished process alive.
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimer(handle: TimerHandle) {
      const t = timers.get(handle.id);
      if (t) {
        clearTimeout(t);
        timers.delete(handle.id);
      }
    },
  };
}
