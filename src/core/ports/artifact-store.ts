/**
 * Port: the artifact store (a local directory embedded, an S3-compatible bucket scaled out) for
 * model files, datasets and other blobs. Keys are relative POSIX paths ("resnet50/1/model.onnx").
 *
 * Key validation lives here, in pure code, so that every adapter refuses exactly the same keys;
 * every adapter must pass test/conformance/artifact-store.suite.ts.
 */
import { KaleidoError } from '../errors.js';

export interface ArtifactInfo {
  readonly key: string;
  readonly size: number;
  /** Lowercase hex sha256 of the content. */
  readonly sha256: string;
  /** Milliseconds since the Unix epoch of the last write. */
  readonly modifiedAt: number;
}

export interface ArtifactStore {
  /**
   * Writes the whole content atomically: readers see the old content or the new one, never a
   * partial file. The sha256 is computed while writing. ERR_VALIDATION for a bad key.
   */
  put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<ArtifactInfo>;
  /** The whole content; ERR_NOT_FOUND if absent. */
  get(key: string): Promise<Uint8Array>;
  /** The content in chunks, for large artifacts; errors (ERR_NOT_FOUND …) surface on iteration. */
  stream(key: string): AsyncIterable<Uint8Array>;
  stat(key: string): Promise<ArtifactInfo | undefined>;
  /** Artifacts whose key starts with `prefix` (a plain string prefix, as S3), sorted by key. */
  list(prefix?: string): Promise<ArtifactInfo[]>;
  /** True if something was deleted. */
  delete(key: string): Promise<boolean>;
}

/** S3's limit, so that keys stay portable between adapters. */
export const MAX_ARTIFACT_KEY_BYTES = 1024;

/** Percent-decoding rounds tried when looking for hidden traversal ("%252e%252e" needs two). */
const DECODE_ROUNDS = 4;

// Control characters (NUL included) have no business in a key and confuse logs and shells.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The problem with one (possibly decoded) form of a key or prefix, or undefined. */
function pathProblem(s: string, isPrefix: boolean): string | undefined {
  if (s.includes('\\')) return 'must not contain a backslash';
  if (CONTROL.test(s)) return 'must not contain NUL or control characters';
  if (s.startsWith('/')) return 'must be relative (no leading "/")';
  if (/^[A-Za-z]:/.test(s)) return 'must be relative (no drive letter)';
  const segments = s.split('/');
  // A prefix may end in "/" ("models/") or stop mid-segment ("models/res"); its last piece is
  // only the start of a segment, so it is checked for ".." but may be empty.
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    if (seg === '..') return 'must not contain ".." segments';
    if (seg === '.' && !(isPrefix && i === last)) return 'must not contain "." segments';
    if (seg === '' && !(isPrefix && i === last)) return 'must not contain empty segments';
  }
  return undefined;
}

/**
 * Why `key` is not an acceptable artifact key, or undefined if it is. Besides the plain rules
 * (relative, "/"-separated, no empty, "." or ".." segments, no backslash or control characters,
 * at most 1024 UTF-8 bytes), the key is percent-decoded repeatedly and every decoded form must pass
 * too, so that "%2e%2e/x" or "%252e%252e/x" cannot turn into a traversal in a layer that decodes.
 */
export function artifactKeyProblem(key: unknown, options: { prefix?: boolean } = {}): string | undefined {
  const isPrefix = options.prefix === true;
  if (typeof key !== 'string') return 'must be a string';
  if (key === '') return isPrefix ? undefined : 'must not be empty';
  if (utf8Length(key) > MAX_ARTIFACT_KEY_BYTES) return `must be at most ${MAX_ARTIFACT_KEY_BYTES} bytes`;
  let form = key;
  for (let round = 0; round <= DECODE_ROUNDS; round++) {
    const problem = pathProblem(form, isPrefix);
    if (problem !== undefined) return round === 0 ? problem : `${problem} (after percent-decoding)`;
    if (!form.includes('%')) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(form);
    } catch {
      // Not valid percent-encoding ("100%"): no decoder will turn it into anything else.
      return undefined;
    }
    if (decoded === form) return undefined;
    form = decoded;
  }
  return 'is percent-encoded too many times';
}

/** Throws ERR_VALIDATION unless `key` is an acceptable artifact key (see artifactKeyProblem). */
export function assertArtifactKey(key: unknown, options: { prefix?: boolean } = {}): asserts key is string {
  const problem = artifactKeyProblem(key, options);
  if (problem !== undefined) {
    const field = options.prefix === true ? 'prefix' : 'key';
    throw new KaleidoError('ERR_VALIDATION', `artifact ${field} ${problem}`, {
      details: { field, value: typeof key === 'string' ? key.slice(0, 200) : typeof key },
    });
  }
}
