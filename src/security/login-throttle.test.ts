import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('allows the free failures, then doubles the wait per failure up to the cap (known answers)', () => {
    let now = 1_000_000;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 },
      perIp: { freeFailures: 100 },
      now: () => now,
    });
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      t.failure('ann', '10.0.0.1');
      waits.push(t.retryAfterMs('ann', '10.0.0.1'));
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000]);
    t.failure('ann', '10.0.0.1');
    expect(t.retryAfterMs('ann', '10.0.0.1')).toBe(8000); // capped
    // Another user from the same address is not affected by ann's count.
    expect(t.retryAfterMs('bob', '10.0.0.1')).toBe(0);
    now += 8000;
    expect(t.retryAfterMs('ann', '10.0.0.1')).toBe(0);
    // A success clears the username's count.
    t.success('ann');
    t.failure('ann', '10.0.0.1');
    expect(t.retryAfterMs('ann', '10.0.0.1')).toBe(0);
  });

  it('throttles an address guessing many usernames, and a success does not reset it', () => {
    const now = 5000;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 100 },
      perIp: { freeFailures: 2, baseDelayMs: 500, maxDelayMs: 60_000 },
      now: () => now,
    });
    for (const user of ['a', 'b', 'c']) t.failure(user, '10.0.0.9');
    expect(t.retryAfterMs('d', '10.0.0.9')).toBe(500);
    t.success('d');
    expect(t.retryAfterMs('e', '10.0.0.9')).toBe(500);
    expect(t.retryAfterMs('e', '10.0.0.10')).toBe(0);
  });

  it('forgets quiet entries and stays bounded', () => {
    let now = 0;
    const t = new LoginThrottle({
      perUsername: { freeFailures: 1, baseDelayMs: 1000, maxDelayMs: 1000 },
      forgetAfterMs: 10_000,
      maxEntries: 3,
      now: () => now,
    });
    t.failure('x', 'ip1');
    t.failure('x', 'ip1');
    expect(t.retryAfterMs('x', 'ip1')).toBe(1000);
    now = 20_000;
    t.failure('x', 'ip1');
    // The old count was forgotten: this is the first failure again (free).
    expect(t.retryAfterMs('x', 'ip1')).toBe(0);
    t.failure('x', 'ip1'); // x locked again (two failures since forgetting)
    expect(t.retryAfterMs('x', 'ip-other')).toBe(1000);
    t.failure('p', 'ipA');
    t.failure('p', 'ipA');
    // Bounded at 3 entries: x's, the least recently failed, went first; p's are kept.
    expect(t.retryAfterMs('p', 'ipA')).toBe(1000);
    expect(t.retryAfterMs('x', 'ip-other')).toBe(0);
  });
});
