import { KaleidoError } from './errors.js';

/** Time, injected: core code never reads the wall clock or schedules timers on its own. */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds on a monotonic timeline (only differences are meaningful). */
  now(): number;
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * A manual clock for tests and simulations: time moves only when `advance` is called, and timers
 * fire in due order (ties in scheduling order).
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    // Like Node's setTimeout, a negative or NaN delay means "as soon as possible"; left as NaN it
    // would compare false against every target and the timer would silently never fire.
    const delay = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    this.timers.set(id, { at: this.t + delay, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Pending timer count (for assertions). */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    // Time on a monotonic timeline never goes back; a NaN target would stop every timer for good.
    if (!(ms >= 0)) {
      throw new KaleidoError('ERR_VALIDATION', 'ManualClock.advance needs a duration ≥ 0', {
        details: { field: 'ms', value: ms },
      });
    }
    const target = this.t + ms;
    for (;;) {
      let next: { id: number; at: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && id < next.id))) {
          next = { id, ...t };
        }
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
  }
}
