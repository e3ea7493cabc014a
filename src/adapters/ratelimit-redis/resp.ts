/**
 * A minimal Redis client over node:net speaking RESP2: commands as arrays of bulk strings,
 * pipelined over one connection, replies matched to commands in order. It supports what the rate
 * limiter needs (AUTH, SELECT, SCRIPT LOAD, EVALSHA/EVAL, DEL) and nothing clever: no cluster,
 * no pub/sub, no TLS. On any connection error every pending command fails with ERR_UNAVAILABLE
 * and the next command reconnects.
 */
import { connect, type Socket } from 'node:net';
import { KaleidoError } from '../../core/errors.js';

export type RespValue = string | number | null | Buffer | RespError | RespValue[];

/** A `-ERR …` reply: a value, not a thrown error, so a caller can branch on it (e.g. NOSCRIPT). */
export class RespError {
  constructor(readonly message: string) {}
}

interface Parsed {
  readonly value: RespValue;
  readonly end: number;
}

const CRLF = '\r\n';

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}${CRLF}`), b, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

/**
 * Parses one reply starting at `start`; undefined when the buffer does not hold all of it yet.
 * Bulk strings come back as UTF-8 strings (everything this client reads is text).
 */
export function parseReply(buf: Buffer, start = 0): Parsed | undefined {
  const lineEnd = buf.indexOf(CRLF, start);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buf[start] as number);
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len === -1) return { value: null, end: next };
      if (!Number.isSafeInteger(len) || len < 0) throw protocolError(`bad bulk length "${line}"`);
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count === -1) return { value: null, end: next };
      if (!Number.isSafeInteger(count) || count < 0) throw protocolError(`bad array length "${line}"`);
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw protocolError(`unknown reply type "${type}"`);
  }
}

const protocolError = (message: string): KaleidoError =>
  new KaleidoError('ERR_UNAVAILABLE', `Redis protocol error: ${message}`, {
    details: { dependency: 'redis' },
  });

export interface RespClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** Fail a command (and drop the connection, whose reply order is then unknown) after this long. Default 2000. */
  readonly commandTimeoutMs?: number;
}

interface Pending {
  resolve(v: RespValue): void;
  reject(e: unknown): void;
}

/** Parses redis://[user:pass@]host[:port][/db] into client options. */
export function parseRedisUrl(url: string): RespClientOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new KaleidoError('ERR_BAD_CONFIG', 'the Redis URL is not a valid URL', {
      cause,
      details: { field: 'url' },
    });
  }
  if (u.protocol !== 'redis:') {
    throw new KaleidoError('ERR_BAD_CONFIG', 'only redis:// URLs are supported (no TLS)', {
      details: { field: 'url', protocol: u.protocol },
    });
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isSafeInteger(db) || db < 0) {
    throw new KaleidoError('ERR_BAD_CONFIG', 'the Redis database must be a non-negative integer', {
      details: { field: 'url', db: u.pathname.slice(1) },
    });
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    db,
  };
}

export class RespClient {
  private socket: Socket | undefined;
  private ready: Promise<void> | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: RespClientOptions) {
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
  }

  /** Sends one command; resolves with its reply (a RespError reply included). */
  async command(args: readonly (string | number | Buffer)[]): Promise<RespValue> {
    if (this.closed) throw new KaleidoError('ERR_UNAVAILABLE', 'the Redis client is closed');
    await this.connection();
    return this.send(args);
  }

  private send(args: readonly (string | number | Buffer)[]): Promise<RespValue> {
    const socket = this.socket;
    if (socket === undefined) return Promise.reject(unavailable('not connected'));
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(unavailable(`no reply within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
      this.pending.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      socket.write(encodeCommand(args));
    });
  }

  private connection(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      // Owned from the start, so that events of a socket this client already dropped are ignored.
      this.socket = socket;
      const mine = () => this.socket === socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(unavailable('connect timed out')), this.timeoutMs);
      timer.unref();
      const failed = (err: KaleidoError) => {
        clearTimeout(timer);
        if (mine()) this.fail(err);
        reject(err);
      };
      socket.once('connect', () => {
        clearTimeout(timer);
        this.handshake().then(resolve, (e: unknown) => failed(e as KaleidoError));
      });
      socket.on('data', (chunk: Buffer) => {
        if (mine()) this.onData(chunk);
      });
      socket.once('error', (e) => failed(unavailable(e.message, e)));
      socket.once('close', () => failed(unavailable('connection closed')));
    });
    return this.ready;
  }

  private async handshake(): Promise<void> {
    const { username, password, db } = this.options;
    if (password !== undefined) {
      const reply = await this.send(
        username === undefined ? ['AUTH', password] : ['AUTH', username, password],
      );
      if (reply instanceof RespError)
        throw new KaleidoError('ERR_UNAVAILABLE', `Redis AUTH failed: ${reply.message}`);
    }
    if (db !== undefined && db !== 0) {
      const reply = await this.send(['SELECT', db]);
      if (reply instanceof RespError)
        throw new KaleidoError('ERR_UNAVAILABLE', `Redis SELECT failed: ${reply.message}`);
    }
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    try {
      for (;;) {
        const parsed = parseReply(this.buffer, at);
        if (parsed === undefined) break;
        at = parsed.end;
        const waiter = this.pending.shift();
        if (waiter === undefined) throw protocolError('reply without a command');
        waiter.resolve(parsed.value);
      }
    } catch (e) {
      this.fail(e);
      return;
    }
    this.buffer = at === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(at);
  }

  /** Drops the connection and fails everything in flight; the next command reconnects. */
  private fail(error: unknown): void {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = undefined;
    this.buffer = Buffer.alloc(0);
    socket?.destroy();
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.socket !== undefined && this.ready !== undefined) {
      // QUIT lets the server finish what it was sent; its reply arrives just before the close.
      await this.ready.then(() => this.send(['QUIT'])).catch(() => undefined);
    }
    this.fail(unavailable('client closed'));
  }
}

const unavailable = (message: string, cause?: unknown): KaleidoError =>
  new KaleidoError('ERR_UNAVAILABLE', `Redis is unavailable: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { dependency: 'redis' },
  });
