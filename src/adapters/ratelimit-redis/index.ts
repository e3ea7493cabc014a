/**
 * RateLimitStore in Redis (scaled out): the same token bucket as core/security/token-bucket.ts,
 * run as one Lua script so that take-and-update is atomic across every replica. The script reads
 * Redis's own clock (TIME), so replicas with skewed clocks still share one timeline.
 */
import { KaleidoError } from '../../core/errors.js';
import type { RateLimitDecision, RateLimitStore } from '../../core/ports/security.js';
import { validatePolicy, type TokenBucketPolicy } from '../../core/security/token-bucket.js';
import { evalLua, luaScript } from './lua.js';
import { RespClient, RespError, parseRedisUrl, type RespClientOptions, type RespValue } from './resp.js';

/**
 * KEYS[1] = bucket; ARGV = capacity, refill per second, cost. Returns {allowed, remaining,
 * retryAfterMs}. Mirrors take() in token-bucket.ts line for line; the hash expires once the bucket
 * would be full again, because a full bucket and a missing one mean the same thing.
 */
export const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(saved[1])
local ts = tonumber(saved[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
if now > ts then ts = now end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.max(1, math.ceil((cost - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', ts)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
return {allowed, math.floor(tokens), retry}
`;

const TOKEN_BUCKET_SCRIPT = luaScript(TOKEN_BUCKET_LUA);

export interface RedisRateLimitStoreOptions {
  /** redis://[user:pass@]host[:port][/db], or explicit client options. */
  readonly url?: string;
  readonly client?: RespClientOptions;
  /** Prefix of every bucket key (default "kaleido:rl:"), so several deployments can share one Redis. */
  readonly keyPrefix?: string;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: RespClient;
  private readonly prefix: string;

  constructor(options: RedisRateLimitStoreOptions) {
    const clientOptions =
      options.client ?? (options.url === undefined ? undefined : parseRedisUrl(options.url));
    if (clientOptions === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the Redis rate limiter needs a url or client options', {
        details: { field: 'url' },
      });
    }
    this.redis = new RespClient(clientOptions);
    this.prefix = options.keyPrefix ?? 'kaleido:rl:';
  }

  async take(key: string, policy: TokenBucketPolicy, cost = 1): Promise<RateLimitDecision> {
    validatePolicy(policy);
    if (!(Number.isSafeInteger(cost) && cost >= 1 && cost <= policy.capacity)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `rate-limit cost must be an integer in [1, ${policy.capacity}]`,
        {
          details: { field: 'cost', value: cost, capacity: policy.capacity },
        },
      );
    }
    return toDecision(
      await evalLua(
        this.redis,
        TOKEN_BUCKET_SCRIPT,
        [this.prefix + key],
        [policy.capacity, policy.refillPerSecond, cost],
      ),
    );
  }

  /** Deletes buckets (tests, and resetting a client's limits by hand). */
  async reset(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.command(['DEL', ...keys.map((k) => this.prefix + k)]);
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}

function toDecision(reply: RespValue): RateLimitDecision {
  if (reply instanceof RespError) {
    throw new KaleidoError('ERR_UNAVAILABLE', `Redis rate-limit script failed: ${reply.message}`, {
      details: { dependency: 'redis' },
    });
  }
  if (!Array.isArray(reply) || reply.length !== 3 || !reply.every((v) => typeof v === 'number')) {
    throw new KaleidoError('ERR_UNAVAILABLE', 'Redis rate-limit script returned an unexpected reply', {
      details: { dependency: 'redis' },
    });
  }
  const [allowed, remaining, retryAfterMs] = reply as number[];
  return { allowed: allowed === 1, remaining: remaining as number, retryAfterMs: retryAfterMs as number };
}

export { RespClient, RespError, encodeCommand, parseReply, parseRedisUrl } from './resp.js';
export { RedisLoginFailureStore } from './login-failures.js';
