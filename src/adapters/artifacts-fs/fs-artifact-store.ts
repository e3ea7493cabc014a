/**
 * ArtifactStore on a local directory (the embedded default).
 *
 * - Writes are atomic: content goes to a temporary file in the target directory, is fsynced, then
 *   renamed over the key (rename within one directory is atomic on POSIX file systems), and the
 *   directory is fsynced so the rename survives a crash.
 * - Nothing escapes the root: keys are validated (core/ports/artifact-store.ts), and every path is
 *   resolved with realpath and must stay under the real root, so a symlink inside the root that
 *   points outside it is never followed (ERR_PERMISSION_DENIED). Directories are created one level
 *   at a time for the same reason: mkdir -p would follow such a symlink.
 * - sha256 values are remembered per file identity (inode, size, mtime), so stat and list hash a
 *   file again only when it changed, e.g. after an operator replaced it by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, type BigIntStats } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  realpath,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join, sep } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import {
  artifactKeyProblem,
  assertArtifactKey,
  type ArtifactInfo,
  type ArtifactStore,
} from '../../core/ports/artifact-store.js';
import { fsError } from './fs-errors.js';
import { sha256OfHandle } from './sha256.js';

/** Temporary files carry this name prefix; keys may not use it, and list() skips it. */
export const TEMP_PREFIX = '.kaleido-tmp-';
const STREAM_CHUNK_BYTES = 1 << 16;
const MAX_CACHED_HASHES = 10_000;

export interface FsArtifactStoreOptions {
  /** Directory holding the artifacts; created if missing. */
  readonly root: string;
}

interface HashEntry {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly sha256: string;
}

const isMissing = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

function conflict(key: string, message: string): KaleidoError {
  return new KaleidoError('ERR_ALREADY_EXISTS', message, { details: { key } });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** Code point order of keys (what S3 listings use: UTF-8 byte order). */
const byKey = (a: ArtifactInfo, b: ArtifactInfo): number =>
  Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8'));

export class FsArtifactStore implements ArtifactStore {
  /** The root with symlinks resolved: the prefix every real path must keep. */
  readonly root: string;
  private readonly hashes = new Map<string, HashEntry>();

  constructor(options: FsArtifactStoreOptions) {
    if (
      options === null ||
      typeof options !== 'object' ||
      typeof options.root !== 'string' ||
      options.root === ''
    ) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the artifact root must be a non-empty path', {
        details: { field: 'root' },
      });
    }
    try {
      mkdirSync(options.root, { recursive: true });
      this.root = realpathSync(options.root);
    } catch (cause) {
      throw new KaleidoError('ERR_BAD_CONFIG', `cannot use ${options.root} as the artifact root`, {
        cause,
        details: { field: 'root' },
      });
    }
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root + sep);
  }

  private guard(real: string, key: string): string {
    if (!this.inside(real)) {
      throw new KaleidoError('ERR_PERMISSION_DENIED', 'the artifact key resolves outside the artifact root', {
        details: { key },
      });
    }
    return real;
  }

  /** Validates the key and splits it; temp-file names are reserved for this store. */
  private segments(key: unknown): string[] {
    assertArtifactKey(key);
    const parts = key.split('/');
    if (parts.some((p) => p.startsWith(TEMP_PREFIX))) {
      throw new KaleidoError('ERR_VALIDATION', `artifact key segments must not start with ${TEMP_PREFIX}`, {
        details: { field: 'key', value: key },
      });
    }
    return parts;
  }

  /** The real path and stats of the regular file at `key`, or undefined if there is none. */
  private async existing(
    key: unknown,
  ): Promise<{ key: string; real: string; stats: BigIntStats } | undefined> {
    const parts = this.segments(key);
    const k = parts.join('/');
    let real: string;
    try {
      real = await realpath(join(this.root, ...parts));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw fsError(e, { key: k });
    }
    this.guard(real, k);
    let stats: BigIntStats;
    try {
      stats = await stat(real, { bigint: true });
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw fsError(e, { key: k });
    }
    return stats.isFile() ? { key: k, real, stats } : undefined;
  }

  private remember(real: string, stats: BigIntStats, sha256: string): void {
    this.hashes.delete(real);
    if (this.hashes.size >= MAX_CACHED_HASHES) {
      const oldest = this.hashes.keys().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
    this.hashes.set(real, { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, sha256 });
  }

  /**
   * The info of a file, hashing it only if it changed since it was last hashed. Stats and hash
   * come from one open handle, so they describe the same file even if the path is replaced
   * meanwhile by a concurrent put.
   */
  private async info(key: string, real: string, stats: BigIntStats): Promise<ArtifactInfo> {
    const cached = this.hashes.get(real);
    if (
      cached !== undefined &&
      cached.ino === stats.ino &&
      cached.size === stats.size &&
      cached.mtimeNs === stats.mtimeNs
    ) {
      return infoOf(key, stats, cached.sha256);
    }
    let file: FileHandle | undefined;
    try {
      file = await open(real, 'r');
      const current = await file.stat({ bigint: true });
      const sha256 = await sha256OfHandle(file);
      this.remember(real, current, sha256);
      return infoOf(key, current, sha256);
    } catch (e) {
      throw fsError(e, { key });
    } finally {
      await file?.close();
    }
  }

  /**
   * Creates the parent directories of a key one level at a time, refusing to pass through a
   * symlink that leaves the root or through a file; returns the real parent directory.
   */
  private async parentDirectory(parts: readonly string[], key: string): Promise<string> {
    let current = this.root;
    for (const part of parts) {
      const next = join(current, part);
      let entry;
      try {
        entry = await lstat(next);
      } catch (e) {
        if (!isMissing(e)) throw fsError(e, { key });
        try {
          await mkdir(next);
        } catch (mkdirError) {
          // Another writer created it at the same moment: look again.
          if ((mkdirError as { code?: unknown }).code !== 'EEXIST') throw fsError(mkdirError, { key });
        }
        entry = await lstat(next);
      }
      if (entry.isSymbolicLink()) {
        const real = this.guard(await realpath(next), key);
        if (!(await stat(real)).isDirectory())
          throw conflict(key, 'a prefix of this key is an existing artifact');
        current = real;
      } else if (entry.isDirectory()) {
        current = next;
      } else {
        throw conflict(key, 'a prefix of this key is an existing artifact');
      }
    }
    return current;
  }

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<ArtifactInfo> {
    const parts = this.segments(key);
    const name = parts.pop() as string;
    if (!(data instanceof Uint8Array) && !isAsyncIterable(data)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        'artifact data must be a Uint8Array or an async iterable of them',
        {
          details: { field: 'data', key },
        },
      );
    }
    // Every file-system step is mapped to the catalog here; an error thrown by the caller's
    // data source passes through unchanged (it is theirs: an aborted upload, say).
    const io = <T>(p: Promise<T>): Promise<T> =>
      p.catch((e: unknown) => {
        throw fsError(e, { key });
      });
    const dir = await io(this.parentDirectory(parts, key));
    const target = join(dir, name);
    const existingEntry = await lstat(target).catch((e: unknown) => {
      if (isMissing(e)) return undefined;
      throw fsError(e, { key });
    });
    if (existingEntry?.isDirectory() === true) {
      throw conflict(key, 'the key names a directory that holds other artifacts');
    }

    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let file: FileHandle | undefined = await io(open(temp, 'wx'));
    let renamed = false;
    try {
      const chunks: AsyncIterable<unknown> | Iterable<Uint8Array> =
        data instanceof Uint8Array ? [data] : data;
      for await (const chunk of chunks) {
        if (!(chunk instanceof Uint8Array)) {
          throw new KaleidoError('ERR_VALIDATION', 'artifact data chunks must be Uint8Array', {
            details: { field: 'data', key },
          });
        }
        hash.update(chunk);
        let offset = 0;
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await io(file.write(chunk, offset, chunk.byteLength - offset));
          offset += bytesWritten;
        }
      }
      await io(file.sync());
      // Stats of our own file, taken before the rename: after it, the path may already name the
      // file of a concurrent put to the same key. A rename keeps inode and mtime.
      const stats = await io(file.stat({ bigint: true }));
      await io(file.close());
      file = undefined;
      await io(rename(temp, target));
      renamed = true;
      await io(syncDirectory(dir));
      const sha256 = hash.digest('hex');
      this.remember(target, stats, sha256);
      return infoOf(key, stats, sha256);
    } catch (e) {
      await file?.close().catch(() => undefined);
      if (!renamed) await unlink(temp).catch(() => undefined);
      throw e;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const found = await this.existing(key);
    if (found === undefined) throw notFound(key);
    try {
      const bytes = await readFile(found.real);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      throw fsError(e, { key });
    }
  }

  async *stream(key: string): AsyncIterable<Uint8Array> {
    const found = await this.existing(key);
    if (found === undefined) throw notFound(key);
    let file;
    try {
      file = await open(found.real, 'r');
    } catch (e) {
      throw fsError(e, { key });
    }
    try {
      for (;;) {
        // A fresh buffer per chunk: the consumer may keep chunks after asking for the next one.
        const buffer = new Uint8Array(STREAM_CHUNK_BYTES);
        const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, null);
        if (bytesRead === 0) return;
        yield bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    const found = await this.existing(key);
    if (found === undefined) return undefined;
    try {
      return await this.info(found.key, found.real, found.stats);
    } catch (e) {
      if (e instanceof KaleidoError && e.code === 'ERR_NOT_FOUND') return undefined; // deleted meanwhile
      throw e;
    }
  }

  async list(prefix = ''): Promise<ArtifactInfo[]> {
    assertArtifactKey(prefix, { prefix: true });
    // Start at the deepest directory the prefix names in full; filter the rest by string prefix.
    const cut = prefix.lastIndexOf('/');
    const base = cut === -1 ? '' : prefix.slice(0, cut);
    let start: string;
    try {
      start = await realpath(base === '' ? this.root : join(this.root, ...base.split('/')));
    } catch (e) {
      if (isMissing(e)) return [];
      throw fsError(e, { prefix });
    }
    if (!this.inside(start)) return [];
    const found: ArtifactInfo[] = [];
    await this.walk(start, base, prefix, found);
    return found.sort(byKey);
  }

  private async walk(dir: string, dirKey: string, prefix: string, out: ArtifactInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return; // removed while listing
      throw fsError(e, { prefix });
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      // Names dropped in by hand that are not valid keys cannot be addressed: leave them out.
      if (artifactKeyProblem(key) !== undefined) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`))
          await this.walk(path, key, prefix, out);
        continue;
      }
      if (!key.startsWith(prefix) || !(entry.isFile() || entry.isSymbolicLink())) continue;
      try {
        // Symlinks count when they resolve to a file inside the root; linked directories are not
        // descended into (no cycles, no duplicates).
        const real = entry.isSymbolicLink() ? await realpath(path) : path;
        if (!this.inside(real)) continue;
        const stats = await stat(real, { bigint: true });
        if (stats.isFile()) out.push(await this.info(key, real, stats));
      } catch (e) {
        if (e instanceof KaleidoError ? e.code !== 'ERR_NOT_FOUND' : !isMissing(e)) throw fsError(e, { key });
      }
    }
  }

  async delete(key: string): Promise<boolean> {
    const parts = this.segments(key);
    const name = parts.pop() as string;
    let dir: string;
    try {
      dir = this.guard(await realpath(join(this.root, ...parts)), key);
    } catch (e) {
      if (isMissing(e)) return false;
      throw fsError(e, { key });
    }
    const target = join(dir, name);
    try {
      // lstat, not stat: a symlink is removed itself, whatever it points to.
      if ((await lstat(target)).isDirectory()) return false;
      await unlink(target);
    } catch (e) {
      if (isMissing(e)) return false;
      throw fsError(e, { key });
    }
    this.hashes.delete(target);
    return true;
  }
}

function infoOf(key: string, stats: BigIntStats, sha256: string): ArtifactInfo {
  return { key, size: Number(stats.size), sha256, modifiedAt: Math.floor(Number(stats.mtimeMs)) };
}

function notFound(key: string): KaleidoError {
  return new KaleidoError('ERR_NOT_FOUND', `artifact ${key} not found`, { details: { key } });
}

/** Makes a rename durable. Some platforms cannot fsync a directory; there it is skipped. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw e;
  } finally {
    await handle?.close();
  }
}

export function createFsArtifactStore(options: FsArtifactStoreOptions): ArtifactStore {
  return new FsArtifactStore(options);
}
