import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { KaleidoError } from './errors.js';

describe('ManualClock', () => {
  it('starts at the given time and moves only on advance', () => {
    const clock = new ManualClock(100);
    expect(clock.now()).toBe(100);
    clock.advance(0);
    expect(clock.now()).toBe(100);
    clock.advance(25);
    expect(clock.now()).toBe(125);
    expect(new ManualClock().now()).toBe(0);
  });

  it('fires timers when due, in due order, with now() at their due time', () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    clock.setTimer(30, () => fired.push(['c', clock.now()]));
    clock.setTimer(10, () => fired.push(['a', clock.now()]));
    clock.setTimer(20, () => fired.push(['b', clock.now()]));
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    expect(clock.now()).toBe(20);
    clock.advance(100);
    expect(fired.at(-1)).toEqual(['c', 30]);
    expect(clock.now()).toBe(120);
    expect(clock.pending).toBe(0);
  });

  it('breaks ties in scheduling order', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    for (const n of [1, 2, 3]) clock.setTimer(5, () => fired.push(n));
    clock.advance(5);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('fires timers scheduled by a firing timer within the same advance when they fall due', () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    clock.setTimer(5, () => {
      fired.push(['outer', clock.now()]);
      clock.setTimer(0, () => fired.push(['zero', clock.now()]));
      clock.setTimer(3, () => fired.push(['inner', clock.now()]));
      clock.setTimer(50, () => fired.push(['late', clock.now()]));
    });
    clock.advance(10);
    expect(fired).toEqual([
      ['outer', 5],
      ['zero', 5],
      ['inner', 8],
    ]);
    expect(clock.pending).toBe(1);
  });

  it('clearTimer cancels, also from inside another timer, and is idempotent', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const b = clock.setTimer(10, () => fired.push('b'));
    clock.setTimer(5, () => {
      fired.push('a');
      clock.clearTimer(b);
    });
    expect(clock.pending).toBe(2);
    clock.advance(20);
    expect(fired).toEqual(['a']);
    expect(clock.pending).toBe(0);
    clock.clearTimer(b);
    expect(clock.pending).toBe(0);
  });

  it('treats negative and NaN delays as due now', () => {
    const clock = new ManualClock(7);
    const fired: [string, number][] = [];
    clock.setTimer(-5, () => fired.push(['neg', clock.now()]));
    clock.setTimer(Number.NaN, () => fired.push(['nan', clock.now()]));
    clock.advance(0);
    expect(fired).toEqual([
      ['neg', 7],
      ['nan', 7],
    ]);
  });

  it('never fires a timer with an infinite delay', () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimer(Infinity, () => (fired = true));
    clock.advance(1e12);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(1);
  });

  it('refuses to move backwards or by NaN', () => {
    const clock = new ManualClock(10);
    expect(() => clock.advance(-1)).toThrow(KaleidoError);
    expect(() => clock.advance(Number.NaN)).toThrow(/≥ 0/);
    expect(clock.now()).toBe(10);
  });

  it('hands out distinct timer ids', () => {
    const clock = new ManualClock();
    const a = clock.setTimer(1, () => {});
    const b = clock.setTimer(1, () => {});
    expect(a.id).not.toBe(b.id);
  });
});
