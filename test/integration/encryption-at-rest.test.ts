/**
 * Encryption at rest through the public API, on a real server (startKaleido) and its data
 * directory: an uploaded data set and the training data and checkpoints derived from it are
 * stored sealed (no plaintext row on disk), training still works, content addressing still uses
 * the plaintext digest, a rotation (new active key + POST /v1/admin/encryption/rewrap) moves
 * every object to the new key so the old key can be removed, and tampered bytes are refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const CANARY = 'zebracanary';
const WORDS = ['good', 'great', 'lovely', 'bad', 'awful', 'poor'];
const ROWS = Array.from({ length: 60 }, (_, i) => {
  const positive = i % 2 === 0;
  const word = WORDS[(i % 3) + (positive ? 0 : 3)] as string;
  return JSON.stringify({ text: `${CANARY}${i} a ${word} film`, label: positive ? 'pos' : 'neg' });
}).join('\n');

type Json = Record<string, unknown>;

async function call(
  s: TestServer,
  method: string,
  path: string,
  body?: unknown,
  key = TEST_ADMIN_KEY,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined
        ? {}
        : { 'content-type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Every file under the artifact root, relative path → bytes. */
function artifactFiles(dataDir: string): Map<string, Buffer> {
  const root = join(dataDir, 'artifacts');
  const out = new Map<string, Buffer>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      if (statSync(path).isDirectory()) walk(path, r);
      else out.set(r, readFileSync(path));
    }
  };
  walk(root, '');
  return out;
}

const keyIdOf = (sealed: Buffer): string => sealed.subarray(5, 5 + (sealed[4] as number)).toString('ascii');

async function trainOnce(s: TestServer): Promise<Json> {
  const created = await call(s, 'POST', '/v1/training-jobs', {
    dataset: { id: 'secret-reviews' },
    featurizer: { type: 'hashed-bow', dimensions: 64 },
    config: { epochs: 3 },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json['id'] as string;
  for (let i = 0; i < 600; i++) {
    const job = (await call(s, 'GET', `/v1/training-jobs/${id}`)).json;
    if (['succeeded', 'failed', 'cancelled'].includes(job['state'] as string)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('training job did not finish');
}

describe('encryption at rest (API → disk)', () => {
  let dataDir: string;
  const servers: TestServer[] = [];
  const serve = async (keys: string, active = ''): Promise<TestServer> => {
    const s = await startTestServer({
      startupModels: [],
      auth: {},
      overrides: {
        'data.dir': dataDir,
        'analysis.modalities': 'text',
        'security.encryption.keys': keys,
        'security.encryption.activeKeyId': active,
      },
    });
    servers.push(s);
    return s;
  };
  const stop = async (s: TestServer) => {
    servers.splice(servers.indexOf(s), 1);
    await s.close();
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kaleido-at-rest-'));
  });
  afterAll(async () => {
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores data sets, training data and checkpoints sealed; training works; rewrap moves them to a new key', async () => {
    // ---- key k1 ----
    const first = await serve(`k1:${K1}`);
    const up = await call(first, 'POST', '/v1/datasets?name=secret-reviews&splitSeed=3', ROWS);
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    // Content addressing hashes the plaintext.
    expect(up.json['sha256']).toBe(createHash('sha256').update(ROWS).digest('hex'));
    const job = await trainOnce(first);
    expect(job['state'], JSON.stringify(job)).toBe('succeeded');

    const files = artifactFiles(dataDir);
    const sensitive = [...files].filter(([k]) => k.startsWith('datasets/') || k.startsWith('training/'));
    expect(sensitive.some(([k]) => k.startsWith('datasets/blobs/'))).toBe(true);
    expect(sensitive.some(([k]) => k.startsWith('training/data/'))).toBe(true);
    expect(sensitive.some(([k]) => k.endsWith('head.bin'))).toBe(true);
    for (const [key, bytes] of sensitive) {
      expect(bytes.subarray(0, 4).toString(), key).toBe('KEV1');
      expect(keyIdOf(bytes), key).toBe('k1');
      expect(bytes.includes(Buffer.from(CANARY)), key).toBe(false);
      expect(bytes.includes(Buffer.from('lovely film')), key).toBe(false);
    }
    // No key material on disk when keys come from configuration.
    expect(() => statSync(join(dataDir, 'keys', 'local.kek'))).toThrow();
    await stop(first);

    // ---- rotation: k2 active, k1 still readable ----
    const second = await serve(`k1:${K1},k2:${K2}`, 'k2');
    expect((await call(second, 'GET', '/v1/datasets/secret-reviews/versions/1')).status).toBe(200);
    // Only system administrators may rewrap.
    const analyst = await call(second, 'POST', '/v1/keys', { name: 'a', role: 'analyst' });
    expect(analyst.status).toBe(201);
    const refused = await call(
      second,
      'POST',
      '/v1/admin/encryption/rewrap',
      undefined,
      analyst.json['key'] as string,
    );
    expect(refused.status).toBe(403);
    const rewrap = await call(second, 'POST', '/v1/admin/encryption/rewrap?wait=true');
    expect(rewrap.status, JSON.stringify(rewrap.json)).toBe(200);
    const report = rewrap.json['rewrap'] as Json;
    expect(report).toMatchObject({ state: 'done', activeKeyId: 'k2', failed: 0, scanned: sensitive.length });
    expect(report['rewrapped']).toBe(sensitive.length);
    // Idempotent.
    const again = (await call(second, 'POST', '/v1/admin/encryption/rewrap?wait=true')).json[
      'rewrap'
    ] as Json;
    expect(again).toMatchObject({ rewrapped: 0, current: sensitive.length, failed: 0 });
    // The CLI: kaleido admin rewrap (waits and prints the counts).
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    });
    try {
      await buildCli()
        .exitOverride()
        .parseAsync([
          'node',
          'kaleido',
          'admin',
          'rewrap',
          '--url',
          second.httpUrl,
          '--api-key',
          TEST_ADMIN_KEY,
        ]);
    } finally {
      spy.mockRestore();
    }
    expect(out).toContain(`rewrap done (active key k2): scanned ${sensitive.length}, rewrapped 0`);
    expect((await call(second, 'GET', '/v1/admin/encryption/rewrap')).json['rewrap']).toMatchObject({
      state: 'done',
    });
    for (const [key, bytes] of artifactFiles(dataDir)) {
      if (key.startsWith('datasets/') || key.startsWith('training/')) expect(keyIdOf(bytes), key).toBe('k2');
    }
    await stop(second);

    // ---- k1 removed: everything still readable, training still works ----
    const third = await serve(`k2:${K2}`);
    const manifest = await call(third, 'GET', '/v1/datasets/secret-reviews/versions/1');
    expect(manifest.status).toBe(200);
    expect(manifest.json['rowCount']).toBe(60);
    const retrained = await trainOnce(third);
    expect(retrained['state'], JSON.stringify(retrained)).toBe('succeeded');

    // ---- tampering is refused, never served ----
    const manifestFile = join(dataDir, 'artifacts', 'datasets', 'secret-reviews', 'v1', 'manifest.json');
    const sealed = readFileSync(manifestFile);
    sealed[sealed.length - 3] = (sealed[sealed.length - 3] as number) ^ 0x01;
    writeFileSync(manifestFile, sealed);
    const tampered = await call(third, 'GET', '/v1/datasets/secret-reviews/versions/1');
    expect(tampered.status).toBeGreaterThanOrEqual(400);
    expect((tampered.json['error'] as Json)['code']).toBe('ERR_INTEGRITY_FAILED');
    await stop(third);
  }, 180_000);

  it('without configured keys: generates a 0600 local key and seals with it; bad key config refuses to start', async () => {
    const own = mkdtempSync(join(tmpdir(), 'kaleido-at-rest-default-'));
    try {
      const s = await startTestServer({
        startupModels: [],
        overrides: { 'data.dir': own, 'analysis.modalities': 'text' },
      });
      try {
        const res = await fetch(`${s.httpUrl}/v1/datasets?name=d`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: ROWS,
        });
        expect(res.status).toBe(201);
      } finally {
        await s.close();
      }
      expect(statSync(join(own, 'keys', 'local.kek')).mode & 0o777).toBe(0o600);
      expect(statSync(join(own, 'keys')).mode & 0o777).toBe(0o700);
      const files = [...artifactFiles(own)].filter(([k]) => k.startsWith('datasets/'));
      expect(files.length).toBeGreaterThan(0);
      for (const [key, bytes] of files) {
        expect(keyIdOf(bytes), key).toBe('local');
        expect(bytes.includes(Buffer.from(CANARY)), key).toBe(false);
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
    await expect(
      startTestServer({
        startupModels: [],
        overrides: { 'security.encryption.keys': 'k1:env:KALEIDO_TEST_NO_SUCH_KEK' },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
      message: expect.stringContaining('KALEIDO_TEST_NO_SUCH_KEK is not set'),
    });
    await expect(
      startTestServer({ startupModels: [], overrides: { 'security.encryption.keys': `k1:${K1},k2:${K2}` } }),
    ).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG', message: expect.stringContaining('activeKeyId') });
  }, 120_000);
});
