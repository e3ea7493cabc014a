/**
 * Login throttling: failed sign-ins are counted per username and per source address. After a few
 * free failures each further one doubles the wait (exponential backoff, capped): while it lasts,
 * sign-in for that username (or from that address) answers 429 with Retry-After, without even
 * checking the password. A successful sign-in clears the username's count (not the address's,
 * so one valid account cannot be used to reset a guessing address).
 *
 * The counts live in a LoginFailureStore: in this process by default (MemoryLoginFailureStore,
 * bounded, per replica), or in Redis (adapters/ratelimit-redis, `rateLimit.redisUrl`) so that an
 * attacker gets `freeFailures` in all, not per replica behind a load balancer.
 */
import { loginBackoffMs } from '../core/security/login-backoff.js';
import type { LoginBackoffPolicy, LoginFailureStore } from '../core/ports/security.js';

export interface LoginThrottleOptions {
  readonly perUsername?: Partial<LoginBackoffPolicy>;
  /** Default: 20 free failures (many users behind one NAT), same delays. */
  readonly perIp?: Partial<LoginBackoffPolicy>;
  readonly forgetAfterMs?: number;
  /** Default: a MemoryLoginFailureStore with `maxEntries` and `now`. */
  readonly store?: LoginFailureStore;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

const DEFAULT: LoginBackoffPolicy = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000 };

export class LoginThrottle {
  private readonly perUsername: LoginBackoffPolicy;
  private readonly perIp: LoginBackoffPolicy;
  private readonly forgetAfterMs: number;
  private readonly store: LoginFailureStore;

  constructor(options: LoginThrottleOptions = {}) {
    this.perUsername = { ...DEFAULT, ...options.perUsername };
    this.perIp = { ...DEFAULT, freeFailures: 20, ...options.perIp };
    this.forgetAfterMs = options.forgetAfterMs ?? 24 * 3600_000;
    this.store =
      options.store ??
      new MemoryLoginFailureStore({
        ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
        ...(options.now === undefined ? {} : { now: options.now }),
      });
  }

  /** Milliseconds until a sign-in for this username from this address may be tried (0 = now). */
  async retryAfterMs(username: string, ip: string): Promise<number> {
    const [user, address] = await Promise.all([
      this.store.waitMs(`u:${username}`),
      this.store.waitMs(`ip:${ip}`),
    ]);
    return Math.max(user, address);
  }

  async failure(username: string, ip: string): Promise<void> {
    await Promise.all([
      this.store.recordFailure(`u:${username}`, this.perUsername, this.forgetAfterMs),
      this.store.recordFailure(`ip:${ip}`, this.perIp, this.forgetAfterMs),
    ]);
  }

  async success(username: string): Promise<void> {
    await this.store.clear(`u:${username}`);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
  forgetAfterMs: number;
}

/** Counts in this process: bounded (the least recently failed entry goes first), per replica. */
export class MemoryLoginFailureStore implements LoginFailureStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  waitMs(key: string): Promise<number> {
    const now = this.now();
    return Promise.resolve(Math.max(0, (this.get(key, now)?.lockedUntil ?? 0) - now));
  }

  recordFailure(key: string, policy: LoginBackoffPolicy, forgetAfterMs: number): Promise<void> {
    const now = this.now();
    const e = this.get(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0, forgetAfterMs };
    e.failures += 1;
    e.lastFailure = now;
    e.forgetAfterMs = forgetAfterMs;
    const delay = loginBackoffMs(e.failures, policy);
    if (delay > 0) e.lockedUntil = now + delay;
    // Re-insert: Map order is the eviction order (least recently failed first).
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  private get(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && now - e.lastFailure > e.forgetAfterMs && e.lockedUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
