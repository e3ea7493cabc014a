/**
 * Token-bucket maths for rate limits and quotas, pure and clock-driven: a bucket holds at most
 * `capacity` tokens, refills continuously at `refillPerSecond`, and a request takes `cost` tokens
 * or is refused with the time until it could succeed. The memory adapter runs this code; the Redis
 * adapter runs the same algorithm as a Lua script (TOKEN_BUCKET_LUA), line for line: change both.
 */
import { KaleidoError } from '../errors.js';

export interface TokenBucketPolicy {
  /** Largest burst: tokens a full bucket holds (integer ≥ 1). */
  readonly capacity: number;
  /** Sustained rate: tokens added per second (> 0). */
  readonly refillPerSecond: number;
}

export interface TokenBucketState {
  /** Tokens available at `updatedAtMs` (fractional: refill is continuous). */
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export interface TokenBucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** When refused: milliseconds until `cost` tokens will be there (≥ 1). 0 when allowed. */
  readonly retryAfterMs: number;
  readonly state: TokenBucketState;
}

export function validatePolicy(policy: TokenBucketPolicy, field = 'policy'): void {
  if (!Number.isSafeInteger(policy.capacity) || policy.capacity < 1) {
    throw new KaleidoError('ERR_BAD_CONFIG', `${field}.capacity must be an integer ≥ 1`, {
      details: { field: `${field}.capacity`, value: policy.capacity },
    });
  }
  if (!(Number.isFinite(policy.refillPerSecond) && policy.refillPerSecond > 0)) {
    throw new KaleidoError('ERR_BAD_CONFIG', `${field}.refillPerSecond must be a finite number > 0`, {
      details: { field: `${field}.refillPerSecond`, value: policy.refillPerSecond },
    });
  }
}

/** A bucket nobody has used yet is full. */
export const fullBucket = (policy: TokenBucketPolicy, nowMs: number): TokenBucketState => ({
  tokens: policy.capacity,
  updatedAtMs: nowMs,
});

/** The bucket at `nowMs`. Time that appears to run backwards adds nothing (and is not an error). */
export function refill(state: TokenBucketState, policy: TokenBucketPolicy, nowMs: number): TokenBucketState {
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  const tokens = Math.min(policy.capacity, state.tokens + (elapsedMs * policy.refillPerSecond) / 1000);
  return { tokens, updatedAtMs: Math.max(nowMs, state.updatedAtMs) };
}

/**
 * Takes `cost` tokens at `nowMs` from `state` (undefined = a full, new bucket). A cost larger than
 * the capacity could never succeed, so it is a configuration error rather than an endless 429.
 */
export function take(
  state: TokenBucketState | undefined,
  policy: TokenBucketPolicy,
  nowMs: number,
  cost = 1,
): TokenBucketDecision {
  if (!(Number.isSafeInteger(cost) && cost >= 1 && cost <= policy.capacity)) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `rate-limit cost must be an integer in [1, ${policy.capacity}]`,
      {
        details: { field: 'cost', value: cost, capacity: policy.capacity },
      },
    );
  }
  const current = refill(state ?? fullBucket(policy, nowMs), policy, nowMs);
  if (current.tokens >= cost) {
    const next = { tokens: current.tokens - cost, updatedAtMs: current.updatedAtMs };
    return { allowed: true, remaining: Math.floor(next.tokens), retryAfterMs: 0, state: next };
  }
  const missing = cost - current.tokens;
  const retryAfterMs = Math.max(1, Math.ceil((missing * 1000) / policy.refillPerSecond));
  return { allowed: false, remaining: Math.floor(current.tokens), retryAfterMs, state: current };
}

/** True when the bucket is full again at `nowMs`: its state carries no information and may be dropped. */
export const isFull = (state: TokenBucketState, policy: TokenBucketPolicy, nowMs: number): boolean =>
  refill(state, policy, nowMs).tokens >= policy.capacity;
