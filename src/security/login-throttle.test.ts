import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loginBackoffMs } from '../core/security/login-backoff.js';
import { LoginThrottle, MemoryLoginFailureStore } from './login-throttle.js';

describe('loginBackoffMs', () => {
  it('is 0 for the free failures, then doubles up to the cap (known answers)', () => {
    const policy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 1000].map((n) => loginBackoffMs(n, policy))).toEqual([
      0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('never decreases with more failures and never exceeds the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (freeFailures, baseDelayMs, maxDelayMs, n) => {
          const p = { freeFailures, baseDelayMs, maxDelayMs };
          const a = loginBackoffMs(n, p);
          const b = loginBackoffMs(n + 1, p);
          return Number.isFinite(b) && b >= a && b <= Math.max(maxDelayMs, 0);
        },
      ),
    );
  });
});

describe('LoginThrottle (in-process store)', () => {
  it('allows the free failures, then doubles the wait per failure up to the cap (known answers)', async () => {
    let now = 1_000_000;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 },
      perIp: { freeFailures: 100 },
      now: () => now,
    });
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      await t.failure('ann', '10.0.0.1');
      waits.push(await t.retryAfterMs('ann', '10.0.0.1'));
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000]);
    await t.failure('ann', '10.0.0.1');
    expect(await t.retryAfterMs('ann', '10.0.0.1')).toBe(8000); // capped
    // Another user from the same address is not affected by ann's count.
    expect(await t.retryAfterMs('bob', '10.0.0.1')).toBe(0);
    now += 8000;
    expect(await t.retryAfterMs('ann', '10.0.0.1')).toBe(0);
    // A success clears the username's count.
    await t.success('ann');
    await t.failure('ann', '10.0.0.1');
    expect(await t.retryAfterMs('ann', '10.0.0.1')).toBe(0);
  });

  it('throttles an address guessing many usernames, and a success does not reset it', async () => {
    const now = 5000;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 100 },
      perIp: { freeFailures: 2, baseDelayMs: 500, maxDelayMs: 60_000 },
      now: () => now,
    });
    for (const user of ['a', 'b', 'c']) await t.failure(user, '10.0.0.9');
    expect(await t.retryAfterMs('d', '10.0.0.9')).toBe(500);
    await t.success('d');
    expect(await t.retryAfterMs('e', '10.0.0.9')).toBe(500);
    expect(await t.retryAfterMs('e', '10.0.0.10')).toBe(0);
  });

  it('forgets quiet entries and stays bounded', async () => {
    let now = 0;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 1, baseDelayMs: 1000, maxDelayMs: 1000 },
      forgetAfterMs: 10_000,
      maxEntries: 3,
      now: () => now,
    });
    await t.failure('x', 'ip1');
    await t.failure('x', 'ip1');
    expect(await t.retryAfterMs('x', 'ip1')).toBe(1000);
    now = 20_000;
    await t.failure('x', 'ip1');
    // The old count was forgotten: this is the first failure again (free).
    expect(await t.retryAfterMs('x', 'ip1')).toBe(0);
    await t.failure('x', 'ip1'); // x locked again (two failures since forgetting)
    expect(await t.retryAfterMs('x', 'ip-other')).toBe(1000);
    await t.failure('p', 'ipA');
    await t.failure('p', 'ipA');
    // Bounded at 3 entries: x's, the least recently failed, went first; p's are kept.
    expect(await t.retryAfterMs('p', 'ipA')).toBe(1000);
    expect(await t.retryAfterMs('x', 'ip-other')).toBe(0);
  });

  it('shares one count between throttles given the same store (what Redis does across replicas)', async () => {
    const store = new MemoryLoginFailureStore({ now: () => 0 });
    const policy = { perUsername: { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 60_000 }, store };
    const [a, b] = [new LoginThrottle(policy), new LoginThrottle(policy)];
    await a.failure('ann', '1.1.1.1');
    await b.failure('ann', '2.2.2.2');
    await a.failure('ann', '3.3.3.3');
    expect(await b.retryAfterMs('ann', '4.4.4.4')).toBe(1000);
  });
});
