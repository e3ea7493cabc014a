import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { artifactStoreConformance } from '../../../test/conformance/artifact-store.suite.js';
import { TEMP_PREFIX, createFsArtifactStore, sha256OfFile } from './index.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kaleido-artifacts-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

artifactStoreConformance('fs', async () => {
  const dir = await mkdtemp(join(scratch, 'conf-'));
  const root = join(dir, 'root');
  return {
    store: createFsArtifactStore({ root }),
    cleanup: async () => {
      // No temporary file may survive a test, and nothing may be written next to the root.
      const leftovers = (await readdir(root, { recursive: true })).filter((p) => p.includes(TEMP_PREFIX));
      expect(leftovers).toEqual([]);
      expect(await readdir(dir)).toEqual(['root']);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('fs artifact store', () => {
  let base: string;
  let root: string;
  let outside: string;
  let store: ArtifactStore;

  beforeEach(async () => {
    base = await mkdtemp(join(scratch, 'fs-'));
    root = join(base, 'deep', 'root');
    outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    store = createFsArtifactStore({ root });
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('creates the root and writes plain files under it', async () => {
    await store.put('m/1/model.onnx', bytes('abc'));
    expect(await readFile(join(root, 'm', '1', 'model.onnx'), 'utf8')).toBe('abc');
  });

  it('does not follow a symlinked directory out of the root', async () => {
    await symlink(outside, join(root, 'link'));
    const denied = { code: 'ERR_PERMISSION_DENIED' };
    await expect(store.get('link/secret.txt')).rejects.toMatchObject(denied);
    await expect(store.stat('link/secret.txt')).rejects.toMatchObject(denied);
    await expect(store.put('link/new.txt', bytes('x'))).rejects.toMatchObject(denied);
    await expect(store.put('link/sub/new.txt', bytes('x'))).rejects.toMatchObject(denied);
    await expect(store.delete('link/secret.txt')).rejects.toMatchObject(denied);
    expect(await store.list()).toEqual([]);
    expect(await store.list('link/')).toEqual([]);
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
  });

  it('does not follow a symlinked file out of the root, but may delete the link itself', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await expect(store.get('leak.txt')).rejects.toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
    await expect(store.list()).resolves.toEqual([]);
    expect(await store.delete('leak.txt')).toBe(true);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('follows symlinks that stay inside the root', async () => {
    await store.put('real/model.onnx', bytes('abc'));
    await symlink(join(root, 'real'), join(root, 'alias'));
    await symlink(join(root, 'real', 'model.onnx'), join(root, 'current.onnx'));
    expect(await store.get('alias/model.onnx')).toEqual(bytes('abc'));
    expect(await store.get('current.onnx')).toEqual(bytes('abc'));
    // Linked files are listed; linked directories are not descended into.
    expect((await store.list()).map((i) => i.key)).toEqual(['current.onnx', 'real/model.onnx']);
  });

  it('reserves the temporary-file prefix and hides stray temporary files', async () => {
    await expect(store.put(`a/${TEMP_PREFIX}x`, bytes('x'))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await store.put('a/b', bytes('x'));
    await writeFile(join(root, 'a', `${TEMP_PREFIX}crashed`), 'partial');
    expect((await store.list()).map((i) => i.key)).toEqual(['a/b']);
  });

  it('leaves out files whose names are not valid keys', async () => {
    await store.put('ok', bytes('x'));
    await writeFile(join(root, 'back\\slash'), 'x');
    await writeFile(join(root, '%2e%2e'), 'x');
    expect((await store.list()).map((i) => i.key)).toEqual(['ok']);
  });

  it('refuses a key whose prefix is a file, or that names a directory (ERR_ALREADY_EXISTS)', async () => {
    await store.put('a/b', bytes('file'));
    await expect(store.put('a/b/c', bytes('x'))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
    await expect(store.put('a', bytes('x'))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a/b')).toEqual(bytes('file'));
  });

  it('rehashes a file changed behind its back', async () => {
    await store.put('m.bin', bytes('abc'));
    expect((await store.stat('m.bin'))?.sha256).toBe(sha('abc'));
    await writeFile(join(root, 'm.bin'), 'changed by hand');
    expect(await store.stat('m.bin')).toMatchObject({ size: 15, sha256: sha('changed by hand') });
    expect((await store.list())[0]?.sha256).toBe(sha('changed by hand'));
  });

  it('hashes files dropped in by an operator', async () => {
    await mkdir(join(root, 'manual'), { recursive: true });
    await writeFile(join(root, 'manual', 'model.onnx'), 'abc');
    expect(await store.stat('manual/model.onnx')).toMatchObject({ size: 3, sha256: sha('abc') });
  });

  it('refuses a bad root with ERR_BAD_CONFIG', async () => {
    await writeFile(join(base, 'a-file'), 'x');
    expect(() => createFsArtifactStore({ root: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => createFsArtifactStore({ root: join(base, 'a-file', 'root') })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});

describe('sha256OfFile', () => {
  it('hashes files of any size (known answers)', async () => {
    const dir = await mkdtemp(join(scratch, 'sha-'));
    await writeFile(join(dir, 'abc'), 'abc');
    await writeFile(join(dir, 'empty'), '');
    // 3 MiB of "a": several read chunks.
    await writeFile(join(dir, 'big'), 'a'.repeat(3 * 1024 * 1024));
    expect(await sha256OfFile(join(dir, 'abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256OfFile(join(dir, 'empty'))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await sha256OfFile(join(dir, 'big'))).toBe(sha('a'.repeat(3 * 1024 * 1024)));
  });

  it('reports a missing file as ERR_NOT_FOUND and a directory as ERR_VALIDATION', async () => {
    await expect(sha256OfFile(join(scratch, 'missing'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(sha256OfFile(scratch)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(sha256OfFile('')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
