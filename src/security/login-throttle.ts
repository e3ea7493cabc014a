/**
 * Login throttling: failed sign-ins are counted per username and per source address. After a few
 * free failures each further one doubles the wait (exponential backoff, capped): while it lasts,
 * sign-in for that username (or from that address) answers 429 with Retry-After, without even
 * checking the password. A successful sign-in clears the username's count (not the address's,
 * so one valid account cannot be used to reset a guessing address).
 *
 * Counts live in this process (per replica); they are forgotten after `forgetAfterMs` without a
 * failure, and the table is bounded (oldest entries go first).
 */
export interface LoginThrottlePolicy {
  /** Failures allowed before any wait (default 5). */
  readonly freeFailures: number;
  /** The first wait (default 1 s); each further failure doubles it. */
  readonly baseDelayMs: number;
  /** The longest wait (default 15 min). */
  readonly maxDelayMs: number;
}

export interface LoginThrottleOptions {
  readonly perUsername?: Partial<LoginThrottlePolicy>;
  /** Default: 20 free failures (many users behind one NAT), same delays. */
  readonly perIp?: Partial<LoginThrottlePolicy>;
  readonly forgetAfterMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

const DEFAULT: LoginThrottlePolicy = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000 };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly perUsername: LoginThrottlePolicy;
  private readonly perIp: LoginThrottlePolicy;
  private readonly forgetAfterMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.perUsername = { ...DEFAULT, ...options.perUsername };
    this.perIp = { ...DEFAULT, freeFailures: 20, ...options.perIp };
    this.forgetAfterMs = options.forgetAfterMs ?? 24 * 3600_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until a sign-in for this username from this address may be tried (0 = now). */
  retryAfterMs(username: string, ip: string): number {
    const now = this.now();
    return Math.max(
      0,
      ...[this.get(`u:${username}`, now), this.get(`ip:${ip}`, now)].map((e) => (e?.lockedUntil ?? 0) - now),
    );
  }

  failure(username: string, ip: string): void {
    const now = this.now();
    this.bump(`u:${username}`, this.perUsername, now);
    this.bump(`ip:${ip}`, this.perIp, now);
  }

  success(username: string): void {
    this.entries.delete(`u:${username}`);
  }

  private get(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && now - e.lastFailure > this.forgetAfterMs && e.lockedUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private bump(key: string, policy: LoginThrottlePolicy, now: number): void {
    const e = this.get(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    e.failures += 1;
    e.lastFailure = now;
    const over = e.failures - policy.freeFailures;
    if (over > 0) {
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 40));
      e.lockedUntil = now + delay;
    }
    // Re-insert: Map order is the eviction order (least recently failed first).
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
