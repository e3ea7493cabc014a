/**
 * Conformance suite every ArtifactStore adapter must pass (local directory, S3 …). Call it with a
 * factory that opens a fresh, empty store.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/core/ports/artifact-store.js';

export interface ArtifactStoreHarness {
  store: ArtifactStore;
  cleanup(): Promise<void>;
}

const SHA_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Deterministic pseudo-random content (xorshift), so failures reproduce. */
function content(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Byte-for-byte equality of large buffers, reported as length and digest: element-wise deep
 * equality of hundreds of thousands of bytes is slow and prints unreadable diffs.
 */
function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect({ size: actual?.byteLength, sha256: actual && sha(actual) }).toEqual({
    size: expected?.byteLength,
    sha256: expected && sha(expected),
  });
}

async function* chunked(data: Uint8Array, size: number, delayMs = 0): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += size) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    yield data.slice(i, i + size);
  }
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of it) chunks.push(c);
  return chunks;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** Keys every adapter must refuse with ERR_VALIDATION. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '/',
  '/etc/passwd',
  '..',
  '../x',
  'a/..',
  'a/../../x',
  '.',
  './a',
  'a/./b',
  'a//b',
  'a/',
  'a\\b',
  '..\\x',
  'a\u0000b',
  'a\nb',
  'C:/windows',
  '%2e%2e/x',
  '%2E%2E/x',
  'a/%2e%2e/%2e%2e/x',
  '..%2fx',
  '%2e%2e%2fetc%2fpasswd',
  '%252e%252e/x',
  '%25252e%25252e%25252fx',
  'a%5c..%5cb',
  '%2fetc%2fpasswd',
  'a%00b',
  'x'.repeat(1025),
];

export function artifactStoreConformance(name: string, make: () => Promise<ArtifactStoreHarness>): void {
  describe(`ArtifactStore conformance: ${name}`, () => {
    let h: ArtifactStoreHarness;
    let store: ArtifactStore;

    beforeEach(async () => {
      h = await make();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('puts and gets bytes, with size and sha256 (known answers)', async () => {
      const before = Date.now();
      const info = await store.put('models/abc.txt', bytes('abc'));
      expect(info).toMatchObject({ key: 'models/abc.txt', size: 3, sha256: SHA_ABC });
      expect(info.modifiedAt).toBeGreaterThanOrEqual(before - 2000);
      expect(info.modifiedAt).toBeLessThanOrEqual(Date.now() + 2000);
      expect(await store.get('models/abc.txt')).toEqual(bytes('abc'));
      expect(await store.stat('models/abc.txt')).toEqual(info);

      expect(await store.put('empty', new Uint8Array(0))).toMatchObject({ size: 0, sha256: SHA_EMPTY });
      expect(await store.get('empty')).toEqual(new Uint8Array(0));
    });

    it('puts from an async iterable, hashing while writing', async () => {
      const data = content(200_003, 7);
      const info = await store.put('big/model.onnx', chunked(data, 4096));
      expect(info).toMatchObject({ size: data.byteLength, sha256: sha(data) });
      expectSameBytes(await store.get('big/model.onnx'), data);
    });

    it('streams the content in chunks that stay valid after reading on', async () => {
      const data = content(300_000, 3);
      await store.put('s/data.bin', data);
      const chunks = await drain(store.stream('s/data.bin'));
      expect(chunks.length).toBeGreaterThan(1);
      expectSameBytes(concat(chunks), data);
      expectSameBytes(concat(await drain(store.stream('s/data.bin'))), data);
    });

    it('replaces content on a second put', async () => {
      await store.put('k', bytes('first version'));
      const info = await store.put('k', bytes('abc'));
      expect(info).toMatchObject({ size: 3, sha256: SHA_ABC });
      expect(await store.get('k')).toEqual(bytes('abc'));
      expect(await store.stat('k')).toMatchObject({ size: 3, sha256: SHA_ABC });
    });

    it('reports absent keys: ERR_NOT_FOUND, undefined, false', async () => {
      await expect(store.get('nope/missing.bin')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      await expect(drain(store.stream('nope/missing.bin'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      expect(await store.stat('nope/missing.bin')).toBeUndefined();
      expect(await store.delete('nope/missing.bin')).toBe(false);
      await store.put('dir/file', bytes('x'));
      // A "directory" is not an artifact.
      await expect(store.get('dir')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      expect(await store.stat('dir')).toBeUndefined();
    });

    it('lists by string prefix, sorted by key', async () => {
      for (const key of [
        'models/resnet/1/model.onnx',
        'models/bert/2/model.onnx',
        'models/resnet/10/model.onnx',
        'datasets/a.csv',
        'models/readme.md',
        'zeta',
        'Alpha',
        'ünï/cødé.bin',
      ]) {
        await store.put(key, bytes(key));
      }
      const keys = async (prefix?: string) => (await store.list(prefix)).map((i) => i.key);
      expect(await keys()).toEqual([
        'Alpha',
        'datasets/a.csv',
        'models/bert/2/model.onnx',
        'models/readme.md',
        'models/resnet/1/model.onnx',
        'models/resnet/10/model.onnx',
        'zeta',
        'ünï/cødé.bin',
      ]);
      expect(await keys('')).toHaveLength(8);
      expect(await keys('models/re')).toEqual([
        'models/readme.md',
        'models/resnet/1/model.onnx',
        'models/resnet/10/model.onnx',
      ]);
      expect(await keys('models/resnet/1')).toEqual([
        'models/resnet/1/model.onnx',
        'models/resnet/10/model.onnx',
      ]);
      expect(await keys('models/resnet/1/')).toEqual(['models/resnet/1/model.onnx']);
      expect(await keys('models/resnet/1/model.onnx')).toEqual(['models/resnet/1/model.onnx']);
      expect(await keys('mod')).toHaveLength(4);
      expect(await keys('nothing/here/')).toEqual([]);
      const [first] = await store.list('datasets/');
      expect(first).toMatchObject({ key: 'datasets/a.csv', size: 14, sha256: sha(bytes('datasets/a.csv')) });
    });

    it('deletes', async () => {
      await store.put('a/b/c.bin', bytes('abc'));
      await store.put('a/b/d.bin', bytes('abd'));
      expect(await store.delete('a/b/c.bin')).toBe(true);
      expect(await store.delete('a/b/c.bin')).toBe(false);
      await expect(store.get('a/b/c.bin')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      expect((await store.list()).map((i) => i.key)).toEqual(['a/b/d.bin']);
      // The key can be written again.
      await store.put('a/b/c.bin', bytes('again'));
      expect(await store.get('a/b/c.bin')).toEqual(bytes('again'));
    });

    it('accepts keys with spaces, unicode and literal or harmless percent signs', async () => {
      for (const key of [
        'with space/file name.txt',
        '日本語/モデル.onnx',
        '100%',
        'a%20b',
        'rate%/x',
        '.hidden/..dots..',
        'v1.2.3/x',
      ]) {
        await store.put(key, bytes(key));
        expect(await store.get(key)).toEqual(bytes(key));
      }
      expect(await store.list()).toHaveLength(7);
    });

    it('refuses traversal and malformed keys with ERR_VALIDATION, writing nothing', async () => {
      await store.put('safe/file', bytes('safe'));
      for (const key of INVALID_KEYS) {
        const label = JSON.stringify(key);
        await expect(store.put(key, bytes('evil')), label).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        await expect(store.get(key), label).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        await expect(store.stat(key), label).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        await expect(store.delete(key), label).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        await expect(drain(store.stream(key)), label).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
      }
      for (const prefix of ['/etc', '../', 'a/../', '%2e%2e/', 'a\\', 'a//']) {
        await expect(store.list(prefix), prefix).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
      }
      await expect(store.get(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
      expect((await store.list()).map((i) => i.key)).toEqual(['safe/file']);
    });

    it('refuses data that is not bytes, leaving nothing behind', async () => {
      await expect(store.put('k', 'text' as unknown as Uint8Array)).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
      async function* strings(): AsyncIterable<Uint8Array> {
        yield bytes('ok');
        yield 'not bytes' as unknown as Uint8Array;
      }
      await expect(store.put('k', strings())).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
      expect(await store.stat('k')).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('is atomic: a failed or in-flight put never exposes partial content', async () => {
      const v1 = content(50_000, 11);
      await store.put('atomic.bin', v1);
      const failure = new Error('upload aborted');
      async function* failing(): AsyncIterable<Uint8Array> {
        yield content(10_000, 12);
        throw failure;
      }
      // The source's own error comes back unchanged, and the old content stays.
      await expect(store.put('atomic.bin', failing())).rejects.toBe(failure);
      expectSameBytes(await store.get('atomic.bin'), v1);

      const v2 = content(60_000, 13);
      const writing = store.put('atomic.bin', chunked(v2, 10_000, 5));
      await new Promise((r) => setTimeout(r, 12));
      expectSameBytes(await store.get('atomic.bin'), v1);
      await writing;
      expectSameBytes(await store.get('atomic.bin'), v2);
      expect((await store.list()).map((i) => i.key)).toEqual(['atomic.bin']);
    });

    it('ends concurrent puts of one key with exactly one whole version', async () => {
      const versions = Array.from({ length: 6 }, (_, i) => content(20_000 + i, 100 + i));
      const infos = await Promise.all(versions.map((v, i) => store.put('race.bin', chunked(v, 3000, i % 2))));
      const final = await store.get('race.bin');
      const index = versions.findIndex((v) => v.byteLength === final.byteLength);
      expectSameBytes(final, versions[index]);
      expect(infos[index]?.sha256).toBe(sha(final));
      expect(await store.stat('race.bin')).toMatchObject({ size: final.byteLength, sha256: sha(final) });
      expect(await store.list()).toHaveLength(1);
    });
  });
}
