/** Runs a Lua script by its SHA-1, sending the script itself once when Redis does not know it yet. */
import { createHash } from 'node:crypto';
import { RespError, type RespClient, type RespValue } from './resp.js';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export const luaScript = (source: string): LuaScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});

export async function evalLua(
  redis: RespClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<RespValue> {
  const tail = [keys.length, ...keys, ...args];
  const reply = await redis.command(['EVALSHA', script.sha, ...tail]);
  // First use on this server (or after SCRIPT FLUSH / a restart): send the script itself once.
  if (reply instanceof RespError && reply.message.startsWith('NOSCRIPT')) {
    return redis.command(['EVAL', script.source, ...tail]);
  }
  return reply;
}
