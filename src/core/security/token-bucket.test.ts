import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import {
  isFull,
  refill,
  take,
  validatePolicy,
  type TokenBucketPolicy,
  type TokenBucketState,
} from './token-bucket.js';

const policyArb = fc.record({
  capacity: fc.integer({ min: 1, max: 50 }),
  refillPerSecond: fc.oneof(
    fc.integer({ min: 1, max: 200 }),
    fc.double({ min: 0.05, max: 100, noNaN: true }),
  ),
});
/** Request schedules: gaps in ms between attempts (bursts of 0 ms included) and their costs. */
const scheduleArb = fc.array(
  fc.record({
    gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 })),
    cost: fc.integer({ min: 1, max: 5 }),
  }),
  {
    minLength: 1,
    maxLength: 300,
  },
);

interface Admitted {
  readonly at: number;
  readonly cost: number;
}

/** Runs a schedule on a ManualClock; returns the admitted requests in time order. */
function simulate(
  policy: TokenBucketPolicy,
  schedule: readonly { gapMs: number; cost: number }[],
): Admitted[] {
  const clock = new ManualClock(1_000_000);
  let state: TokenBucketState | undefined;
  const admitted: Admitted[] = [];
  for (const { gapMs, cost } of schedule) {
    clock.advance(gapMs);
    const c = Math.min(cost, policy.capacity);
    const d = take(state, policy, clock.now(), c);
    state = d.state;
    if (d.allowed) admitted.push({ at: clock.now(), cost: c });
    expect(d.state.tokens).toBeGreaterThanOrEqual(-1e-9);
    expect(d.state.tokens).toBeLessThanOrEqual(policy.capacity);
  }
  return admitted;
}

describe('token bucket (properties)', () => {
  it('never admits more than capacity + rate × window tokens in any window', () => {
    fc.assert(
      fc.property(policyArb, scheduleArb, (policy, schedule) => {
        const admitted = simulate(policy, schedule);
        // Every window [admitted[i].at, admitted[j].at] (the tightest windows there are).
        for (let i = 0; i < admitted.length; i++) {
          let sum = 0;
          for (let j = i; j < admitted.length; j++) {
            sum += (admitted[j] as Admitted).cost;
            const windowMs = (admitted[j] as Admitted).at - (admitted[i] as Admitted).at;
            const bound = policy.capacity + (windowMs * policy.refillPerSecond) / 1000;
            if (sum > bound + 1e-6) return false;
          }
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('within one instant, admits exactly capacity unit requests from a full bucket', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        let state: TokenBucketState | undefined;
        let allowed = 0;
        for (let i = 0; i < policy.capacity + 10; i++) {
          const d = take(state, policy, 0);
          state = d.state;
          if (d.allowed) allowed++;
        }
        return allowed === policy.capacity;
      }),
    );
  });

  it('refills at the rate: after draining, waiting k / rate seconds yields k more requests, and the advertised retry-after is exact', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 50 }), (policy, kRaw) => {
        const k = Math.min(kRaw, policy.capacity);
        let d = take(undefined, policy, 0, policy.capacity); // drain
        expect(d.allowed).toBe(true);
        const refused = take(d.state, policy, 0, 1);
        expect(refused.allowed).toBe(false);
        // Retry-After is enough, and not more than 1 ms too generous.
        expect(take(refused.state, policy, refused.retryAfterMs, 1).allowed).toBe(true);
        if (refused.retryAfterMs > 1)
          expect(take(refused.state, policy, refused.retryAfterMs - 1.5, 1).allowed).toBe(false);
        // Waiting exactly long enough for k tokens (rounded up to a whole ms) admits k, then refuses.
        const waitMs = Math.ceil((k * 1000) / policy.refillPerSecond);
        let state = d.state;
        let n = 0;
        for (let i = 0; i < k + 1; i++) {
          d = take(state, policy, waitMs, 1);
          state = d.state;
          if (d.allowed) n++;
        }
        // Rounding the wait up may add less than one token's worth beyond k only when rate > 1000/ms.
        return n >= k && n <= k + Math.ceil(policy.refillPerSecond / 1000);
      }),
    );
  });
});

describe('token bucket (known answers)', () => {
  const policy = { capacity: 3, refillPerSecond: 2 };

  it('bursts to capacity, then refuses with the wait for one token', () => {
    let s = take(undefined, policy, 0);
    expect(s).toMatchObject({ allowed: true, remaining: 2 });
    s = take(s.state, policy, 0);
    s = take(s.state, policy, 0);
    expect(s).toMatchObject({ allowed: true, remaining: 0 });
    const refused = take(s.state, policy, 100);
    // 0.2 tokens after 100 ms; 0.8 missing at 2/s = 400 ms.
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 400 });
    expect(take(refused.state, policy, 500)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('caps the refill at capacity and ignores time running backwards', () => {
    expect(refill({ tokens: 0, updatedAtMs: 0 }, policy, 60_000).tokens).toBe(3);
    expect(refill({ tokens: 1, updatedAtMs: 1000 }, policy, 500)).toEqual({ tokens: 1, updatedAtMs: 1000 });
    expect(isFull({ tokens: 1, updatedAtMs: 0 }, policy, 999)).toBe(false);
    expect(isFull({ tokens: 1, updatedAtMs: 0 }, policy, 1000)).toBe(true);
  });

  it('rejects impossible costs and bad policies', () => {
    expect(() => take(undefined, policy, 0, 4)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(() => take(undefined, policy, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(() => validatePolicy({ capacity: 0, refillPerSecond: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => validatePolicy({ capacity: 1, refillPerSecond: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => validatePolicy({ capacity: 5, refillPerSecond: 0.5 })).not.toThrow();
  });
});
