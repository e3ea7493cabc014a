/**
 * Encryption at rest for the artifact store: a decorator around any ArtifactStore (the local
 * directory, S3 …) that seals every artifact under the sensitive key prefixes (data set blobs and
 * manifests, training data, checkpoints, trained heads) with envelope encryption (envelope.ts:
 * a fresh AES-256-GCM data key per object, wrapped by the active key-encryption key, the KEK id in
 * the header, the artifact key as associated data). Other artifacts pass through unchanged.
 *
 * - The port's contract holds for callers: `put` returns the sha256 and size of the PLAINTEXT, and
 *   so do `stat` and `list` (the plaintext digest of a stored ciphertext is remembered per
 *   ciphertext digest, and computed by opening the object when not known), so content addressing
 *   of data sets keeps working.
 * - Reads authenticate before returning anything: a modified ciphertext or header, an object
 *   copied onto another key, or a plaintext object under a sensitive prefix (written before
 *   encryption was on, or planted on disk) is refused with ERR_INTEGRITY_FAILED, never returned.
 * - Rotation: configure the new KEK next to the old ones and make it active; new writes use it,
 *   old objects keep opening because the KEK id travels in the header. `rewrap()` then re-wraps
 *   every data key under the active KEK (a few dozen bytes per object: the data is not
 *   re-encrypted), and encrypts legacy plaintext objects; afterwards the old KEK can be removed.
 * - Objects are sealed whole (envelope.ts is not a streaming format): `stream()` of a sensitive
 *   artifact yields the opened object in one chunk. Sensitive artifacts are data sets and
 *   checkpoints, bounded by the upload limit.
 */
import { createHash } from 'node:crypto';
import { KaleidoError, toKaleidoError } from '../core/errors.js';
import { assertArtifactKey, type ArtifactInfo, type ArtifactStore } from '../core/ports/artifact-store.js';
import type { EnvelopeEncryption } from './envelope.js';

const MAGIC = Buffer.from('KEV1', 'ascii');
const MAX_REMEMBERED = 10_000;
const MAX_LISTED_FAILURES = 20;

export interface EncryptingArtifactStoreOptions {
  readonly inner: ArtifactStore;
  readonly envelope: EnvelopeEncryption;
  /** Key prefixes whose artifacts are stored encrypted (e.g. "datasets/", "training/"). */
  readonly sensitivePrefixes: readonly string[];
}

export interface RewrapReport {
  readonly state: 'idle' | 'running' | 'done' | 'failed';
  /** The KEK every data key is wrapped with once this run is done. */
  readonly activeKeyId: string;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Sensitive objects looked at. */
  readonly scanned: number;
  /** Data keys re-wrapped under the active KEK. */
  readonly rewrapped: number;
  /** Plaintext objects under a sensitive prefix that were encrypted. */
  readonly encrypted: number;
  /** Already wrapped with the active KEK (nothing to do). */
  readonly current: number;
  /** Changed by a concurrent write while being re-wrapped (the new write already uses the active KEK). */
  readonly skipped: number;
  readonly failed: number;
  /** The first failures: key and error code. */
  readonly failures: ReadonlyArray<{ readonly key: string; readonly code: string; readonly message: string }>;
  /** A failure of the run itself (listing the store …). */
  readonly error?: string;
}

const isEnvelope = (bytes: Uint8Array): boolean =>
  bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC);

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const notBytes = (): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', 'artifact data must be a Uint8Array or an async iterable of them', {
    details: { field: 'data' },
  });

async function collect(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
  ) {
    throw notBytes();
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of data) {
    if (!(chunk instanceof Uint8Array)) throw notBytes();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A plain Uint8Array view (no copy): callers get what the adapters return, not a Buffer. */
const plainView = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const STREAM_CHUNK_BYTES = 1 << 16;

export class EncryptingArtifactStore implements ArtifactStore {
  private readonly inner: ArtifactStore;
  private readonly envelope: EnvelopeEncryption;
  private readonly prefixes: readonly string[];
  /** ciphertext sha256 + key → plaintext digest and size (insertion-ordered, bounded). */
  private readonly plain = new Map<string, { sha256: string; size: number }>();
  /** Per-key write serialisation between put() and rewrap() in this process. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private report: RewrapReport;
  private running: Promise<RewrapReport> | undefined;

  constructor(options: EncryptingArtifactStoreOptions) {
    this.inner = options.inner;
    this.envelope = options.envelope;
    this.prefixes = [...options.sensitivePrefixes];
    for (const p of this.prefixes) {
      if (typeof p !== 'string' || p === '') {
        throw new KaleidoError('ERR_BAD_CONFIG', 'sensitive prefixes must be non-empty strings', {
          details: { field: 'security.encryption.sensitivePrefixes' },
        });
      }
    }
    this.report = this.freshReport('idle');
  }

  /** True when artifacts under `key` are stored encrypted. */
  isSensitive(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<ArtifactInfo> {
    if (!this.isSensitive(key)) return this.inner.put(key, data);
    assertArtifactKey(key);
    const plaintext = await collect(data);
    return this.withLock(key, async () => {
      const sealed = this.envelope.encrypt(plaintext, key);
      const info = await this.inner.put(key, sealed);
      const plain = { sha256: sha256Hex(plaintext), size: plaintext.length };
      this.remember(key, info.sha256, plain);
      return { ...info, ...plain };
    });
  }

  async get(key: string): Promise<Uint8Array> {
    const stored = await this.inner.get(key);
    return this.isSensitive(key) ? this.open(key, stored) : stored;
  }

  stream(key: string): AsyncIterable<Uint8Array> {
    if (!this.isSensitive(key)) return this.inner.stream(key);
    const get = (): Promise<Uint8Array> => this.get(key);
    return (async function* () {
      // Opened whole (authenticated before any byte is released), then handed out in chunks.
      const all = await get();
      for (let at = 0; at < all.length; at += STREAM_CHUNK_BYTES) {
        yield all.subarray(at, Math.min(all.length, at + STREAM_CHUNK_BYTES));
      }
    })();
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    const info = await this.inner.stat(key);
    return info === undefined || !this.isSensitive(info.key) ? info : this.plainInfo(info);
  }

  async list(prefix?: string): Promise<ArtifactInfo[]> {
    const infos = await this.inner.list(prefix);
    const out: ArtifactInfo[] = [];
    for (const info of infos) out.push(this.isSensitive(info.key) ? await this.plainInfo(info) : info);
    return out;
  }

  delete(key: string): Promise<boolean> {
    return this.inner.delete(key);
  }

  /** The state and counts of the last (or current) rewrap run. */
  rewrapStatus(): RewrapReport {
    return this.report;
  }

  /**
   * Starts re-wrapping every sensitive object under the active KEK (and encrypting legacy
   * plaintext ones) unless a run is already going; resolves when that run ends. Idempotent:
   * objects already under the active KEK are only counted.
   */
  rewrap(): Promise<RewrapReport> {
    this.running ??= this.runRewrap().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private freshReport(state: RewrapReport['state']): RewrapReport {
    return {
      state,
      activeKeyId: this.envelope.activeKeyId(),
      startedAt: null,
      finishedAt: null,
      scanned: 0,
      rewrapped: 0,
      encrypted: 0,
      current: 0,
      skipped: 0,
      failed: 0,
      failures: [],
    };
  }

  private async runRewrap(): Promise<RewrapReport> {
    const counts = { scanned: 0, rewrapped: 0, encrypted: 0, current: 0, skipped: 0, failed: 0 };
    const failures: Array<{ key: string; code: string; message: string }> = [];
    const startedAt = Date.now();
    const snapshot = (state: RewrapReport['state'], error?: string): RewrapReport => ({
      ...this.freshReport(state),
      startedAt,
      finishedAt: state === 'running' ? null : Date.now(),
      ...counts,
      failures: [...failures],
      ...(error === undefined ? {} : { error }),
    });
    this.report = snapshot('running');
    try {
      const seen = new Set<string>();
      for (const prefix of this.prefixes) {
        for (const info of await this.inner.list(prefix)) {
          if (seen.has(info.key)) continue; // overlapping prefixes
          seen.add(info.key);
          counts.scanned++;
          try {
            const outcome = await this.rewrapOne(info);
            counts[outcome]++;
          } catch (e) {
            counts.failed++;
            const err = toKaleidoError(e);
            if (failures.length < MAX_LISTED_FAILURES) {
              failures.push({ key: info.key, code: err.code, message: err.message });
            }
          }
          this.report = snapshot('running');
        }
      }
      this.report = snapshot('done');
    } catch (e) {
      this.report = snapshot('failed', toKaleidoError(e).message);
    }
    return this.report;
  }

  private rewrapOne(info: ArtifactInfo): Promise<'rewrapped' | 'encrypted' | 'current' | 'skipped'> {
    return this.withLock(info.key, async () => {
      const stored = await this.inner.get(info.key);
      const storedSha = sha256Hex(stored);
      let next: Uint8Array;
      let outcome: 'rewrapped' | 'encrypted';
      if (!isEnvelope(stored)) {
        next = this.envelope.encrypt(stored, info.key);
        outcome = 'encrypted';
      } else {
        if (!this.envelope.needsRewrap(stored)) return 'current';
        // Authenticates the old wrapping first: a tampered header is refused, not laundered.
        next = this.envelope.rewrap(stored, info.key);
        outcome = 'rewrapped';
      }
      // Another replica may have rewritten the object meanwhile: its write is newer (and sealed
      // with the active key), so it must not be overwritten with this older content.
      const now = await this.inner.stat(info.key);
      if (now === undefined || now.sha256 !== storedSha) return 'skipped';
      const written = await this.inner.put(info.key, next);
      if (outcome === 'encrypted') {
        this.remember(info.key, written.sha256, { sha256: storedSha, size: stored.length });
      }
      return outcome;
    });
  }

  private open(key: string, stored: Uint8Array): Uint8Array {
    if (!isEnvelope(stored)) {
      throw new KaleidoError(
        'ERR_INTEGRITY_FAILED',
        `artifact "${key}" is stored unencrypted under a sensitive prefix and is refused; run "kaleido admin rewrap" to encrypt it`,
        { details: { key, reason: 'not encrypted' } },
      );
    }
    try {
      return plainView(this.envelope.decrypt(stored, key));
    } catch (e) {
      const err = toKaleidoError(e);
      // The envelope's error carries the reason; name the artifact too.
      throw new KaleidoError(err.code, `artifact "${key}": ${err.message}`, {
        details: { key, ...(err.details ?? {}) },
        cause: e,
      });
    }
  }

  private async plainInfo(info: ArtifactInfo): Promise<ArtifactInfo> {
    const id = `${info.key}\0${info.sha256}`;
    let plain = this.plain.get(id);
    if (plain === undefined) {
      const plaintext = this.open(info.key, await this.inner.get(info.key));
      plain = { sha256: sha256Hex(plaintext), size: plaintext.length };
      this.remember(info.key, info.sha256, plain);
    }
    return { ...info, ...plain };
  }

  private remember(key: string, cipherSha: string, plain: { sha256: string; size: number }): void {
    const id = `${key}\0${cipherSha}`;
    this.plain.delete(id);
    this.plain.set(id, plain);
    if (this.plain.size > MAX_REMEMBERED) {
      const oldest = this.plain.keys().next().value;
      if (oldest !== undefined) this.plain.delete(oldest);
    }
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}
