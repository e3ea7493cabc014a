/**
 * RateLimitStore in process memory (the embedded default): one token bucket per key, driven by
 * the injected Clock. Limits are per process: with several replicas use ratelimit-redis.
 */
import type { Clock } from '../../core/clock.js';
import { KaleidoError } from '../../core/errors.js';
import type { RateLimitDecision, RateLimitStore } from '../../core/ports/security.js';
import {
  isFull,
  take,
  validatePolicy,
  type TokenBucketPolicy,
  type TokenBucketState,
} from '../../core/security/token-bucket.js';

export interface MemoryRateLimitStoreOptions {
  readonly clock: Clock;
  /**
   * Most buckets kept (default 100 000). Full buckets are dropped first (they carry no state);
   * past that, the least recently used bucket is dropped, which gives that client a fresh burst:
   * a bounded memory footprint matters more than exactness for a key nobody used lately.
   */
  readonly maxKeys?: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly clock: Clock;
  private readonly maxKeys: number;
  /** Insertion order = least recently used first (a used key is moved to the end). */
  private readonly buckets = new Map<string, { state: TokenBucketState; policy: TokenBucketPolicy }>();

  constructor(options: MemoryRateLimitStoreOptions) {
    this.clock = options.clock;
    this.maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'maxKeys must be a positive integer', {
        details: { field: 'maxKeys', value: this.maxKeys },
      });
    }
  }

  /** Buckets currently held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  async take(key: string, policy: TokenBucketPolicy, cost = 1): Promise<RateLimitDecision> {
    validatePolicy(policy);
    const now = this.clock.now();
    const existing = this.buckets.get(key);
    const decision = take(existing?.state, policy, now, cost);
    this.buckets.delete(key);
    this.buckets.set(key, { state: decision.state, policy });
    if (this.buckets.size > this.maxKeys) this.evict(now);
    return { allowed: decision.allowed, remaining: decision.remaining, retryAfterMs: decision.retryAfterMs };
  }

  private evict(now: number): void {
    for (const [k, b] of this.buckets) {
      if (isFull(b.state, b.policy, now)) this.buckets.delete(k);
    }
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
