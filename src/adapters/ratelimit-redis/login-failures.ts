/**
 * LoginFailureStore in Redis: every replica counts failed sign-ins in one place, so the backoff
 * of core/security/login-backoff.ts holds for the whole deployment, not per process. Counting and
 * locking is one Lua script (atomic), on Redis's own clock (TIME), so replicas with skewed clocks
 * agree on when a lock ends. A counter expires once it has been quiet for `forgetAfterMs` and is
 * not locked, the same rule as the in-process store.
 */
import { KaleidoError } from '../../core/errors.js';
import type { LoginBackoffPolicy, LoginFailureStore } from '../../core/ports/security.js';
import { evalLua, luaScript } from './lua.js';
import { RespClient, RespError, parseRedisUrl, type RespClientOptions, type RespValue } from './resp.js';

/** KEYS[1] = counter; ARGV = freeFailures, baseDelayMs, maxDelayMs, forgetAfterMs. Mirrors loginBackoffMs. */
export const RECORD_FAILURE_LUA = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local locked = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
local over = failures - tonumber(ARGV[1])
if over > 0 then
  local delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(over - 1, 40))
  locked = now + delay
  redis.call('HSET', KEYS[1], 'lockedUntil', string.format('%.0f', locked))
end
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.max(now + tonumber(ARGV[4]), locked)))
return failures
`);

/** KEYS[1] = counter. Returns the milliseconds left of its lock (0 when none). */
export const WAIT_LUA = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local locked = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
return string.format('%.0f', math.max(0, locked - now))
`);

export interface RedisLoginFailureStoreOptions {
  /** redis://[user:pass@]host[:port][/db], or explicit client options. */
  readonly url?: string;
  readonly client?: RespClientOptions;
  /** Prefix of every counter key (default "kaleido:login:"). */
  readonly keyPrefix?: string;
}

export class RedisLoginFailureStore implements LoginFailureStore {
  private readonly redis: RespClient;
  private readonly prefix: string;

  constructor(options: RedisLoginFailureStoreOptions) {
    const clientOptions =
      options.client ?? (options.url === undefined ? undefined : parseRedisUrl(options.url));
    if (clientOptions === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the Redis login throttle needs a url or client options', {
        details: { field: 'url' },
      });
    }
    this.redis = new RespClient(clientOptions);
    this.prefix = options.keyPrefix ?? 'kaleido:login:';
  }

  async recordFailure(key: string, policy: LoginBackoffPolicy, forgetAfterMs: number): Promise<void> {
    checked(
      await evalLua(
        this.redis,
        RECORD_FAILURE_LUA,
        [this.prefix + key],
        [policy.freeFailures, policy.baseDelayMs, policy.maxDelayMs, Math.max(1, Math.round(forgetAfterMs))],
      ),
    );
  }

  async waitMs(key: string): Promise<number> {
    const reply = checked(await evalLua(this.redis, WAIT_LUA, [this.prefix + key], []));
    const ms = Number(typeof reply === 'string' || typeof reply === 'number' ? reply : Number.NaN);
    if (!Number.isFinite(ms)) throw unavailable('the login-throttle script returned an unexpected reply');
    return ms;
  }

  async clear(key: string): Promise<void> {
    checked(await this.redis.command(['DEL', this.prefix + key]));
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}

const unavailable = (message: string): KaleidoError =>
  new KaleidoError('ERR_UNAVAILABLE', message, { details: { dependency: 'redis' } });

function checked(reply: RespValue): RespValue {
  if (reply instanceof RespError) throw unavailable(`Redis login-throttle command failed: ${reply.message}`);
  return reply;
}
