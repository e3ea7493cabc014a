import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { MemoryRateLimitStore } from './index.js';

const policy = { capacity: 2, refillPerSecond: 1 };

describe('MemoryRateLimitStore', () => {
  it('keeps one bucket per key and refills with the clock', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    expect(await store.take('a', policy)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(await store.take('a', policy)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await store.take('a', policy)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    expect((await store.take('b', policy)).allowed).toBe(true);
    clock.advance(1000);
    expect(await store.take('a', policy)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('bounds memory: drops full buckets first, then the least recently used', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock, maxKeys: 2 });
    await store.take('a', policy, 2);
    await store.take('b', policy, 2);
    await store.take('a', policy); // refused; "a" is now the most recently used
    await store.take('c', policy, 2); // over the bound: nothing is full, so "b" (LRU) goes
    expect(store.size).toBe(2);
    expect((await store.take('a', policy)).allowed).toBe(false); // "a" kept its empty bucket
    clock.advance(5000); // every bucket is full again
    await store.take('d', policy);
    expect(store.size).toBe(1);
  });

  it('validates its inputs', async () => {
    const store = new MemoryRateLimitStore({ clock: new ManualClock() });
    await expect(store.take('a', { capacity: 0, refillPerSecond: 1 })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
    await expect(store.take('a', policy, 3)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    expect(() => new MemoryRateLimitStore({ clock: new ManualClock(), maxKeys: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    await store.close();
  });
});
