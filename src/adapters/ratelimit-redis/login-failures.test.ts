/** Runs against the real Redis at 127.0.0.1:6379 (override with KALEIDO_TEST_REDIS_URL). */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../security/login-throttle.js';
import { RespClient, parseRedisUrl } from './index.js';
import { RedisLoginFailureStore } from './login-failures.js';

const REDIS_URL = process.env['KALEIDO_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `kaleido-test:login:${randomBytes(4).toString('hex')}:`;
const stores: RedisLoginFailureStore[] = [];
const open = (): RedisLoginFailureStore => {
  const s = new RedisLoginFailureStore({ url: REDIS_URL, keyPrefix: prefix });
  stores.push(s);
  return s;
};
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

describe('RedisLoginFailureStore (real Redis)', () => {
  it('applies the same backoff as the in-process store (known answers)', async () => {
    const store = open();
    const policy = { freeFailures: 3, baseDelayMs: 60_000, maxDelayMs: 480_000 };
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      await store.recordFailure('u:ann', policy, 3_600_000);
      waits.push(await store.waitMs('u:ann'));
    }
    // Redis's clock moves between the write and the read: allow a few ms.
    const expected = [0, 0, 0, 60_000, 120_000, 240_000, 480_000, 480_000];
    waits.forEach((w, i) => {
      expect(w).toBeLessThanOrEqual(expected[i] as number);
      expect(w).toBeGreaterThanOrEqual(Math.max(0, (expected[i] as number) - 2_000));
    });
    await store.clear('u:ann');
    expect(await store.waitMs('u:ann')).toBe(0);
  });

  it('is one count for every replica: two throttles on two connections lock together', async () => {
    const policy = { perUsername: { freeFailures: 2, baseDelayMs: 30_000, maxDelayMs: 60_000 } };
    const replicaA = new LoginThrottle({ ...policy, store: open() });
    const replicaB = new LoginThrottle({ ...policy, store: open() });
    await replicaA.failure('bob', '10.0.0.1');
    await replicaB.failure('bob', '10.0.0.2');
    expect(await replicaA.retryAfterMs('bob', '10.0.0.3')).toBe(0);
    await replicaA.failure('bob', '10.0.0.4');
    expect(await replicaB.retryAfterMs('bob', '10.0.0.5')).toBeGreaterThan(28_000);
    await replicaB.success('bob');
    expect(await replicaA.retryAfterMs('bob', '10.0.0.6')).toBe(0);
  });

  it('expires a quiet, unlocked counter after forgetAfterMs (Redis TTL)', async () => {
    const store = open();
    await store.recordFailure('u:quiet', { freeFailures: 5, baseDelayMs: 1, maxDelayMs: 1 }, 5_000);
    const redis = new RespClient(parseRedisUrl(REDIS_URL));
    try {
      const ttl = (await redis.command(['PTTL', `${prefix}u:quiet`])) as number;
      expect(ttl).toBeGreaterThan(3_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
    } finally {
      await redis.close();
    }
  });
});
