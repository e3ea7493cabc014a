/** Runs against the real Redis at 127.0.0.1:6379 (override with KALEIDO_TEST_REDIS_URL). */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitDecision } from '../../core/ports/security.js';
import {
  RedisRateLimitStore,
  RespClient,
  RespError,
  encodeCommand,
  parseRedisUrl,
  parseReply,
} from './index.js';

const REDIS_URL = process.env['KALEIDO_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('RESP codec', () => {
  it('encodes commands as arrays of bulk strings (UTF-8 byte lengths)', () => {
    expect(encodeCommand(['SET', 'k', 'é', 12]).toString()).toBe(
      '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\n12\r\n',
    );
  });

  it('parses every reply type, nested arrays and nulls', () => {
    const buf = Buffer.from('*5\r\n+OK\r\n:-42\r\n$4\r\nhé!\r\n$-1\r\n*2\r\n-ERR boom\r\n*-1\r\n');
    const parsed = parseReply(buf);
    expect(parsed?.end).toBe(buf.length);
    expect(parsed?.value).toEqual(['OK', -42, 'hé!', null, [new RespError('ERR boom'), null]]);
  });

  it('waits for more bytes on every possible split of a reply', () => {
    const buf = Buffer.from('*2\r\n$3\r\nabc\r\n:7\r\n');
    for (let cut = 0; cut < buf.length; cut++) expect(parseReply(buf.subarray(0, cut))).toBeUndefined();
    expect(parseReply(buf)?.value).toEqual(['abc', 7]);
  });

  it('rejects garbage as a protocol error', () => {
    expect(() => parseReply(Buffer.from('?what\r\n'))).toThrow(
      expect.objectContaining({ code: 'ERR_UNAVAILABLE' }),
    );
    expect(() => parseReply(Buffer.from('$x\r\n'))).toThrow(/bad bulk length/);
  });

  it('parses redis:// URLs', () => {
    expect(parseRedisUrl('redis://u:p%40ss@cache:6380/2')).toEqual({
      host: 'cache',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 2,
    });
    expect(parseRedisUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(() => parseRedisUrl('rediss://x')).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() => parseRedisUrl('redis://x/abc')).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() => parseRedisUrl('not a url')).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});

describe('RedisRateLimitStore (real Redis)', () => {
  const prefix = `kaleido:test:${randomBytes(4).toString('hex')}:`;
  let store: RedisRateLimitStore;
  const used: string[] = [];
  const k = (name: string) => {
    used.push(name);
    return name;
  };
  beforeAll(() => {
    store = new RedisRateLimitStore({ url: REDIS_URL, keyPrefix: prefix });
  });
  afterAll(async () => {
    await store.reset(...used);
    await store.close();
  });

  it('bursts to capacity, refuses with a retry-after, and refills at the rate', async () => {
    const policy = { capacity: 3, refillPerSecond: 20 }; // one token per 50 ms
    const key = k('burst');
    const results: RateLimitDecision[] = [];
    for (let i = 0; i < 4; i++) results.push(await store.take(key, policy));
    expect(results.slice(0, 3).map((r) => r.allowed)).toEqual([true, true, true]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.allowed).toBe(false);
    expect(results[3]?.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(results[3]?.retryAfterMs).toBeLessThanOrEqual(50);
    await new Promise((r) => setTimeout(r, (results[3]?.retryAfterMs ?? 50) + 5));
    expect((await store.take(key, policy)).allowed).toBe(true);
  });

  it('is atomic under concurrency: exactly capacity of 40 parallel takes succeed', async () => {
    const policy = { capacity: 10, refillPerSecond: 0.001 };
    const key = k('parallel');
    const results = await Promise.all(Array.from({ length: 40 }, () => store.take(key, policy)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    // One token per 1000 s: the retry-after says so.
    expect(Math.max(...results.map((r) => r.retryAfterMs))).toBeGreaterThan(900_000);
  });

  it('keeps buckets per key and takes multi-token costs', async () => {
    const policy = { capacity: 5, refillPerSecond: 0.01 };
    expect(await store.take(k('a'), policy, 5)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await store.take(k('a'), policy, 1)).toMatchObject({ allowed: false });
    expect(await store.take(k('b'), policy, 4)).toMatchObject({ allowed: true, remaining: 1 });
    await expect(store.take(k('b'), policy, 6)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('sets an expiry so idle buckets disappear', async () => {
    await store.take(k('ttl'), { capacity: 2, refillPerSecond: 1 });
    const admin = new RespClient(parseRedisUrl(REDIS_URL));
    try {
      const ttl = await admin.command(['PTTL', `${prefix}ttl`]);
      expect(typeof ttl === 'number' && ttl > 0 && ttl <= 2000).toBe(true);
    } finally {
      await admin.close();
    }
  });
});

describe('RespClient failures', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // A fake server that accepts, then answers garbage to the first command and hangs on the next.
    let n = 0;
    server = createServer((socket) => {
      socket.on('data', () => {
        if (n++ === 0) socket.write('?garbage\r\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('sends the script with EVAL when the server answers NOSCRIPT', async () => {
    // A fake Redis that has never seen the script (SCRIPT FLUSH on the shared test server would
    // disturb other suites): it records the commands and answers like Redis would.
    const seen: string[] = [];
    const fake = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        const cmd = parseReply(chunk)?.value as string[];
        seen.push(cmd[0] as string);
        socket.write(cmd[0] === 'EVALSHA' ? '-NOSCRIPT No matching script.\r\n' : '*3\r\n:1\r\n:4\r\n:0\r\n');
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const store = new RedisRateLimitStore({
      client: { host: '127.0.0.1', port: (fake.address() as { port: number }).port },
    });
    try {
      expect(await store.take('x', { capacity: 5, refillPerSecond: 1 })).toEqual({
        allowed: true,
        remaining: 4,
        retryAfterMs: 0,
      });
      expect(seen).toEqual(['EVALSHA', 'EVAL']);
    } finally {
      await store.close();
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });

  it('nobody listening → ERR_UNAVAILABLE, and the store reports it', async () => {
    const closed = new RedisRateLimitStore({ client: { host: '127.0.0.1', port: 1, commandTimeoutMs: 500 } });
    await expect(closed.take('x', { capacity: 1, refillPerSecond: 1 })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    await closed.close();
  });

  it('a protocol error and a command timeout both fail the command and reconnect next time', async () => {
    const client = new RespClient({ host: '127.0.0.1', port, commandTimeoutMs: 200 });
    await expect(client.command(['PING'])).rejects.toThrow(/protocol error/);
    await expect(client.command(['PING'])).rejects.toThrow(/no reply within 200 ms/);
    await client.close();
    await expect(client.command(['PING'])).rejects.toThrow(/closed/);
  });
});
