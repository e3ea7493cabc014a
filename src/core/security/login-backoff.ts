/**
 * The login backoff, shared by every LoginFailureStore (the Redis adapter runs the same formula in
 * Lua): after `freeFailures` failures each further one doubles the wait, capped at `maxDelayMs`.
 */
import type { LoginBackoffPolicy } from '../ports/security.js';

/** The lock after the `failures`-th failure (0 while failures are still free). */
export function loginBackoffMs(failures: number, policy: LoginBackoffPolicy): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  // 2**40 already exceeds any sane cap; bounding the exponent keeps the number finite.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 40));
}
