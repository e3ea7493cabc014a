/** The real Clock: monotonic milliseconds (performance.now) and Node timers. */
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
      // Not unref'd: a pending timer means a queued request is waiting for it, and a script that
      // awaits that request must not exit first. The batcher clears its timers when idle.
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
