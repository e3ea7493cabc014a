/**
 * Shared plumbing of the security suite: HTTP calls with or without a key, raw socket requests
 * (for chunked bodies no fetch implementation will send malformed), key and tenant set-up through
 * the public API, and a canary HTTP server that counts every request it receives (SSRF checks).
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field.
  readonly body: any;
}

export interface CallOptions {
  readonly key?: string;
  /** An object is sent as JSON; a string or bytes as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
  let body: string | Uint8Array | undefined;
  if (typeof o.body === 'string' || o.body instanceof Uint8Array) body = o.body;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** Creates an API key through the API (as `adminKey`); returns the secret and the key id. */
export async function createKey(
  base: string,
  adminKey: string,
  spec: { name?: string; role: string; tenant?: string; scopes?: string[]; expiresAt?: number },
): Promise<{ key: string; id: string }> {
  const res = await call(base, 'POST', '/v1/keys', {
    key: adminKey,
    body: { name: spec.name ?? `${spec.role} key`, ...spec },
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.text}`);
  return { key: res.body.key as string, id: res.body.apiKey.id as string };
}

export async function createTenant(base: string, adminKey: string, id: string): Promise<void> {
  const res = await call(base, 'POST', '/v1/tenants', { key: adminKey, body: { id, name: id } });
  if (res.status !== 201) throw new Error(`tenant creation failed: ${res.status} ${res.text}`);
}

/** An infer request body for add_sub_fp32 (two FP32[16] inputs). */
export const ADD_SUB_REQUEST = {
  inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: Array.from({ length: 16 }, () => 1) },
  ],
};

/**
 * Writes `raw` (a whole HTTP/1.1 request, possibly malformed) on a fresh connection and resolves
 * with the status line's code (0 when the server closed without answering) and the raw answer.
 */
export function rawRequest(
  port: number,
  raw: string | Buffer | readonly (string | Buffer)[],
  timeoutMs = 10_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got: ${data.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
    });
    socket.on('error', () => undefined); // a reset after the answer is fine
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, text: data });
    });
    socket.on('connect', () => {
      const parts = Array.isArray(raw) ? raw : [raw];
      for (const p of parts as (string | Buffer)[]) socket.write(p);
      // Half-close so a server waiting for more body sees the end and answers.
      socket.end();
    });
  });
}

export const portOf = (url: string): number => Number(new URL(url).port);

/** An HTTP server that answers 200 to everything and counts requests: SSRF tripwire. */
export interface Canary {
  readonly url: string;
  hits(): number;
  close(): Promise<void>;
}

export async function startCanary(): Promise<Canary> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits += 1;
    req.resume();
    res.end('canary');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Substitutes route parameters with harmless concrete values, to call every route. */
export function concretePath(url: string): string {
  return url
    .replace(/:model\b/g, 'add_sub_fp32')
    .replace(/:version\b/g, '1')
    .replace(/:id\b/g, '00000000-0000-4000-8000-000000000000')
    .replace(/:[A-Za-z_]+/g, 'x')
    .replace(/\*$/, 'x');
}
