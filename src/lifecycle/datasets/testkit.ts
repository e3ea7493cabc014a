/**
 * An in-memory ArtifactStore for lifecycle tests (lifecycle code may not import the concrete
 * adapters; the file-system store is exercised by its own conformance suite). Same key rules as
 * every adapter (assertArtifactKey); contents are copied in and out so callers cannot alias them.
 */
import { createHash } from 'node:crypto';
import { KaleidoError } from '../../core/errors.js';
import { assertArtifactKey, type ArtifactInfo, type ArtifactStore } from '../../core/ports/artifact-store.js';

export class MemoryArtifactStore implements ArtifactStore {
  readonly entries = new Map<string, { data: Uint8Array; info: ArtifactInfo }>();
  /** Number of put() calls, for tests that check content addressing avoids rewrites. */
  puts = 0;

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<ArtifactInfo> {
    assertArtifactKey(key);
    let bytes: Uint8Array;
    if (data instanceof Uint8Array) bytes = data.slice();
    else {
      const chunks: Uint8Array[] = [];
      for await (const c of data) chunks.push(c);
      bytes = new Uint8Array(Buffer.concat(chunks));
    }
    const info: ArtifactInfo = {
      key,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      modifiedAt: Date.now(),
    };
    this.entries.set(key, { data: bytes, info });
    this.puts++;
    return info;
  }

  async get(key: string): Promise<Uint8Array> {
    assertArtifactKey(key);
    const e = this.entries.get(key);
    if (!e) throw new KaleidoError('ERR_NOT_FOUND', `no artifact ${key}`, { details: { key } });
    return e.data.slice();
  }

  async *stream(key: string): AsyncIterable<Uint8Array> {
    yield await this.get(key);
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    assertArtifactKey(key);
    return this.entries.get(key)?.info;
  }

  async list(prefix = ''): Promise<ArtifactInfo[]> {
    assertArtifactKey(prefix, { prefix: true });
    return [...this.entries.values()]
      .map((e) => e.info)
      .filter((i) => i.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<boolean> {
    assertArtifactKey(key);
    return this.entries.delete(key);
  }
}
