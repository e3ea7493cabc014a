import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsArtifactStore } from '../adapters/artifacts-fs/index.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { artifactStoreConformance } from '../../test/conformance/artifact-store.suite.js';
import { EncryptingArtifactStore } from './encrypting-artifact-store.js';
import { EnvelopeEncryption, StaticKeyEncryptionKeyProvider } from './envelope.js';
import { loadKeyEncryptionKeys } from './kek-config.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const ROWS =
  '{"text":"my secret row number one","label":"spam"}\n{"text":"another private row","label":"ham"}\n';
const sha = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

const envelope = (active: string, keys: Record<string, string>) =>
  new EnvelopeEncryption(new StaticKeyEncryptionKeyProvider(active, keys));

// The decorator keeps the port's contract: the adapters' conformance suite, with (nearly) every
// key sensitive, so sealed objects are what the suite puts, gets, stats and lists.
artifactStoreConformance('encrypting(fs)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-enc-conf-'));
  return {
    store: new EncryptingArtifactStore({
      inner: createFsArtifactStore({ root: join(dir, 'root') }),
      envelope: envelope('k1', { k1: K1 }),
      sensitivePrefixes: [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-%'],
    }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('EncryptingArtifactStore', () => {
  let dir: string;
  let inner: ArtifactStore;
  const store = (active = 'k1', keys: Record<string, string> = { k1: K1 }) =>
    new EncryptingArtifactStore({
      inner,
      envelope: envelope(active, keys),
      sensitivePrefixes: ['datasets/', 'training/'],
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kaleido-enc-'));
    inner = createFsArtifactStore({ root: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores sensitive artifacts sealed and returns the plaintext, with plaintext sha256 and size', async () => {
    expect(sha('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const s = store();
    const info = await s.put('datasets/blobs/sha256/x', Buffer.from(ROWS));
    expect(info.sha256).toBe(sha(ROWS));
    expect(info.size).toBe(Buffer.byteLength(ROWS));
    const onDisk = readFileSync(join(dir, 'datasets/blobs/sha256/x'));
    expect(onDisk.subarray(0, 4).toString()).toBe('KEV1');
    expect(onDisk.includes(Buffer.from('secret row'))).toBe(false);
    expect(Buffer.from(await s.get('datasets/blobs/sha256/x')).toString()).toBe(ROWS);
    // stat and list report the plaintext digest, also from a fresh decorator (nothing remembered).
    const fresh = store();
    expect((await fresh.stat('datasets/blobs/sha256/x'))?.sha256).toBe(sha(ROWS));
    expect((await fresh.list('datasets/')).map((i) => [i.key, i.sha256, i.size])).toEqual([
      ['datasets/blobs/sha256/x', sha(ROWS), Buffer.byteLength(ROWS)],
    ]);
    const chunks: Uint8Array[] = [];
    for await (const c of fresh.stream('datasets/blobs/sha256/x')) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe(ROWS);
  });

  it('accepts streamed writes and leaves non-sensitive artifacts untouched', async () => {
    const s = store();
    async function* parts() {
      yield Buffer.from('checkpoint ');
      yield Buffer.from('bytes');
    }
    await s.put('training/jobs/j1/checkpoint.bin', parts());
    expect(Buffer.from(await s.get('training/jobs/j1/checkpoint.bin')).toString()).toBe('checkpoint bytes');
    await s.put('models/m/1/model.onnx', Buffer.from('plain model'));
    expect(readFileSync(join(dir, 'models/m/1/model.onnx'), 'utf8')).toBe('plain model');
    expect((await s.stat('models/m/1/model.onnx'))?.sha256).toBe(sha('plain model'));
  });

  it('refuses a tampered ciphertext, a tampered header and a ciphertext moved to another key', async () => {
    const s = store();
    await s.put('datasets/a', Buffer.from(ROWS));
    const sealed = readFileSync(join(dir, 'datasets/a'));
    const flip = (at: number) => {
      const copy = Buffer.from(sealed);
      copy[at] = (copy[at] as number) ^ 1;
      return copy;
    };
    await inner.put('datasets/body', flip(sealed.length - 1));
    await inner.put('datasets/header', flip(10));
    await inner.put('datasets/moved', sealed);
    for (const key of ['datasets/body', 'datasets/header', 'datasets/moved']) {
      await expect(s.get(key)).rejects.toMatchObject({ code: 'ERR_INTEGRITY_FAILED' });
      await expect(store().stat(key)).rejects.toMatchObject({ code: 'ERR_INTEGRITY_FAILED' });
    }
    // Plaintext planted under a sensitive prefix is refused, not served.
    await inner.put('datasets/planted', Buffer.from(ROWS));
    await expect(s.get('datasets/planted')).rejects.toMatchObject({
      code: 'ERR_INTEGRITY_FAILED',
      message: expect.stringContaining('rewrap'),
    });
  });

  it('rotates: new writes use the active key, old objects stay readable, rewrap moves them, the old key can go', async () => {
    const before = store('k1', { k1: K1 });
    await before.put('datasets/old', Buffer.from(ROWS));
    await inner.put('training/data/legacy', Buffer.from('legacy plaintext'));
    const rotated = store('k2', { k1: K1, k2: K2 });
    await rotated.put('datasets/new', Buffer.from('new rows'));
    const keyId = (k: string) => {
      const b = readFileSync(join(dir, k));
      return b.subarray(5, 5 + (b[4] as number)).toString();
    };
    expect(keyId('datasets/old')).toBe('k1');
    expect(keyId('datasets/new')).toBe('k2');
    expect(Buffer.from(await rotated.get('datasets/old')).toString()).toBe(ROWS);

    const first = await rotated.rewrap();
    expect(first).toMatchObject({
      state: 'done',
      activeKeyId: 'k2',
      scanned: 3,
      rewrapped: 1,
      encrypted: 1,
      current: 1,
      failed: 0,
    });
    expect(keyId('datasets/old')).toBe('k2');
    expect(keyId('training/data/legacy')).toBe('k2');
    // Idempotent: a second run has nothing to do.
    expect(await rotated.rewrap()).toMatchObject({ scanned: 3, rewrapped: 0, encrypted: 0, current: 3 });

    const k2only = store('k2', { k2: K2 });
    expect(Buffer.from(await k2only.get('datasets/old')).toString()).toBe(ROWS);
    expect(Buffer.from(await k2only.get('training/data/legacy')).toString()).toBe('legacy plaintext');
    // Without the key an object was wrapped with, the read fails clearly (configuration error).
    await expect(store('k1', { k1: K1 }).get('datasets/new')).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
  });

  it('rewrap reports objects it cannot open and goes on with the others', async () => {
    const s = store('k1', { k1: K1 });
    await s.put('datasets/good', Buffer.from('good'));
    await s.put('datasets/bad', Buffer.from('bad'));
    const bad = readFileSync(join(dir, 'datasets/bad'));
    bad[12] = (bad[12] as number) ^ 0xff;
    writeFileSync(join(dir, 'datasets/bad'), bad);
    const report = await store('k2', { k1: K1, k2: K2 }).rewrap();
    expect(report).toMatchObject({ state: 'done', rewrapped: 1, failed: 1 });
    expect(report.failures).toEqual([
      expect.objectContaining({ key: 'datasets/bad', code: 'ERR_INTEGRITY_FAILED' }),
    ]);
  });
});

describe('loadKeyEncryptionKeys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kaleido-kek-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a local key once with 0600 permissions and reuses it', () => {
    const a = loadKeyEncryptionKeys({ keys: [], activeKeyId: '' }, { dataDir: dir, env: {} });
    expect(a).toMatchObject({ activeKeyId: 'local', generated: true });
    expect(statSync(join(dir, 'keys', 'local.kek')).mode & 0o777).toBe(0o600);
    const b = loadKeyEncryptionKeys({ keys: [], activeKeyId: '' }, { dataDir: dir, env: {} });
    expect(b.generated).toBe(false);
    expect(Buffer.from(b.provider.getKey('local') as Uint8Array)).toEqual(
      Buffer.from(a.provider.getKey('local') as Uint8Array),
    );
  });

  it('reads keys inline and from the environment, keeps the local key readable, and checks the active id', () => {
    loadKeyEncryptionKeys({ keys: [], activeKeyId: '' }, { dataDir: dir, env: {} });
    const keks = loadKeyEncryptionKeys(
      { keys: [`k1:${K1}`, 'k2:env:MY_KEK', { id: 'k3', key: K1 }], activeKeyId: 'k2' },
      { dataDir: dir, env: { MY_KEK: K2 } },
    );
    expect(keks.activeKeyId).toBe('k2');
    expect([...keks.keyIds].sort()).toEqual(['k1', 'k2', 'k3', 'local']);
    expect(Buffer.from(keks.provider.getKey('k2') as Uint8Array).toString('base64')).toBe(K2);
    const load =
      (keys: string[], activeKeyId = '', env: Record<string, string> = {}) =>
      () =>
        loadKeyEncryptionKeys({ keys, activeKeyId }, { dataDir: dir, env });
    expect(load([`k1:${K1}`, `k2:${K2}`])).toThrow(/activeKeyId/);
    expect(load([`k1:${K1}`], 'nope')).toThrow(/not a configured key/);
    expect(load(['k1:env:MISSING'])).toThrow(/MISSING is not set/);
    expect(load(['k1:c2hvcnQ='])).toThrow(/32 bytes/);
    // No key material in the message.
    try {
      load([`k1:${K1}`, `k1:${K2}`])();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(K1);
    }
  });
});
