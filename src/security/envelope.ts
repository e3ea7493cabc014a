/**
 * Envelope encryption for stored data sets, sensitive artifacts, secrets and redaction keys.
 *
 * Each object gets its own random 256-bit data key (DEK). The data is sealed with AES-256-GCM
 * under the DEK; the DEK is sealed (wrapped) with AES-256-GCM under a key-encryption key (KEK)
 * from configuration. Both seals authenticate the object id as associated data, so a ciphertext
 * copied onto another object fails to open. Rotation adds a KEK, makes it current, and re-wraps
 * DEKs (rewrap()): a few dozen bytes per object, the data itself is never re-encrypted, and old
 * objects keep opening while that runs because the KEK id travels in the header.
 *
 * Layout (all integers big-endian):
 *   "KEV1" | kekIdLength u8 | kekId utf8 | wrapIv 12 | wrappedDek 32 | wrapTag 16 | dataIv 12 | dataTag 16 | ciphertext
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { KeyEncryptionKeyProvider } from '../core/ports/security.js';

const MAGIC = Buffer.from('KEV1', 'ascii');
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;
export const KEK_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Text form of a sealed value (for secrets kept in text columns or config). */
const TEXT_PREFIX = 'kev1:';

const dataAad = (objectId: string) => Buffer.from(`kaleido.envelope.v1\0data\0${objectId}`, 'utf8');
const wrapAad = (kekId: string, objectId: string) =>
  Buffer.from(`kaleido.envelope.v1\0dek\0${kekId}\0${objectId}`, 'utf8');

const tampered = (reason: string, cause?: unknown): KaleidoError =>
  new KaleidoError('ERR_INTEGRITY_FAILED', 'encrypted data failed authentication and is refused', {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });

function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Buffer,
): { iv: Buffer; body: Buffer; tag: Buffer } {
  // Random 96-bit IVs: every DEK seals exactly one message, and a KEK stays far below the
  // 2^32-messages bound of NIST SP 800-38D for random IVs.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, body, tag: cipher.getAuthTag() };
}

function open(
  key: Uint8Array,
  iv: Uint8Array,
  body: Uint8Array,
  tag: Uint8Array,
  aad: Buffer,
  what: string,
): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw tampered(
      `${what} authentication tag mismatch (modified data, wrong object id or wrong key)`,
      cause,
    );
  }
}

interface Header {
  readonly kekId: string;
  readonly wrapIv: Uint8Array;
  readonly wrapped: Uint8Array;
  readonly wrapTag: Uint8Array;
  /** Offset of the data part (dataIv onwards). */
  readonly dataStart: number;
}

function parseHeader(sealed: Uint8Array): Header {
  if (!(sealed instanceof Uint8Array) || sealed.length < MAGIC.length + 1) throw tampered('too short');
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw tampered('not a Kaleido envelope (bad magic)');
  const idLen = buf[MAGIC.length] as number;
  const idStart = MAGIC.length + 1;
  const wrapStart = idStart + idLen;
  const dataStart = wrapStart + WRAPPED_BYTES;
  if (idLen === 0 || buf.length < dataStart + IV_BYTES + TAG_BYTES) throw tampered('truncated header');
  const kekId = buf.toString('utf8', idStart, wrapStart);
  if (!KEK_ID.test(kekId)) throw tampered('malformed key id');
  return {
    kekId,
    wrapIv: buf.subarray(wrapStart, wrapStart + IV_BYTES),
    wrapped: buf.subarray(wrapStart + IV_BYTES, wrapStart + IV_BYTES + KEY_BYTES),
    wrapTag: buf.subarray(wrapStart + IV_BYTES + KEY_BYTES, dataStart),
    dataStart,
  };
}

function checkObjectId(objectId: string): void {
  if (
    typeof objectId !== 'string' ||
    objectId.length === 0 ||
    objectId.length > 1024 ||
    objectId.includes('\0')
  ) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      'objectId must be a non-empty string without NUL (≤ 1024 chars)',
      {
        details: { field: 'objectId' },
      },
    );
  }
}

export class EnvelopeEncryption {
  constructor(private readonly keks: KeyEncryptionKeyProvider) {}

  private kek(id: string): Uint8Array {
    const key = this.keks.getKey(id);
    if (key === undefined) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        `key-encryption key "${id}" is not configured; keep retired keys until every object is re-wrapped`,
        { details: { field: 'security.encryption.keys', keyId: id } },
      );
    }
    return key;
  }

  private wrapDek(dek: Uint8Array, objectId: string): Buffer {
    const kekId = this.keks.currentKeyId();
    const w = seal(this.kek(kekId), dek, wrapAad(kekId, objectId));
    const id = Buffer.from(kekId, 'utf8');
    return Buffer.concat([MAGIC, Buffer.from([id.length]), id, w.iv, w.body, w.tag]);
  }

  private unwrapDek(h: Header, objectId: string): Buffer {
    return open(this.kek(h.kekId), h.wrapIv, h.wrapped, h.wrapTag, wrapAad(h.kekId, objectId), 'data key');
  }

  /** Seals `plaintext` for the object `objectId` under a fresh data key and the current KEK. */
  encrypt(plaintext: Uint8Array, objectId: string): Uint8Array {
    checkObjectId(objectId);
    const dek = randomBytes(KEY_BYTES);
    try {
      const header = this.wrapDek(dek, objectId);
      const d = seal(dek, plaintext, dataAad(objectId));
      // A Buffer is a Uint8Array: returned as is (no copy of a large object).
      return Buffer.concat([header, d.iv, d.tag, d.body]);
    } finally {
      dek.fill(0);
    }
  }

  /** Opens a sealed value; ERR_INTEGRITY_FAILED if anything was changed or it belongs to another object. */
  decrypt(sealed: Uint8Array, objectId: string): Uint8Array {
    checkObjectId(objectId);
    const h = parseHeader(sealed);
    const dek = this.unwrapDek(h, objectId);
    try {
      const iv = sealed.subarray(h.dataStart, h.dataStart + IV_BYTES);
      const tag = sealed.subarray(h.dataStart + IV_BYTES, h.dataStart + IV_BYTES + TAG_BYTES);
      const body = sealed.subarray(h.dataStart + IV_BYTES + TAG_BYTES);
      return open(dek, iv, body, tag, dataAad(objectId), 'data');
    } finally {
      dek.fill(0);
    }
  }

  /** The KEK new values are wrapped with. */
  activeKeyId(): string {
    return this.keks.currentKeyId();
  }

  /** The KEK id a sealed value is wrapped with. */
  keyIdOf(sealed: Uint8Array): string {
    return parseHeader(sealed).kekId;
  }

  /** True when the value is wrapped with a KEK other than the current one. */
  needsRewrap(sealed: Uint8Array): boolean {
    return this.keyIdOf(sealed) !== this.keks.currentKeyId();
  }

  /**
   * Re-wraps the data key under the current KEK; the data part is copied unchanged. The old
   * wrapping is authenticated first, so a tampered header is refused rather than laundered.
   */
  rewrap(sealed: Uint8Array, objectId: string): Uint8Array {
    checkObjectId(objectId);
    const h = parseHeader(sealed);
    if (h.kekId === this.keks.currentKeyId()) return sealed;
    const dek = this.unwrapDek(h, objectId);
    try {
      return Buffer.concat([this.wrapDek(dek, objectId), sealed.subarray(h.dataStart)]);
    } finally {
      dek.fill(0);
    }
  }

  /** Seals UTF-8 text into `kev1:<base64url>` (secrets and redaction keys kept as text). */
  encryptText(text: string, objectId: string): string {
    return TEXT_PREFIX + Buffer.from(this.encrypt(Buffer.from(text, 'utf8'), objectId)).toString('base64url');
  }

  decryptText(sealed: string, objectId: string): string {
    if (typeof sealed !== 'string' || !sealed.startsWith(TEXT_PREFIX))
      throw tampered('not a kev1: sealed text');
    return Buffer.from(
      this.decrypt(Buffer.from(sealed.slice(TEXT_PREFIX.length), 'base64url'), objectId),
    ).toString('utf8');
  }
}

/**
 * KEKs from configuration: `{ currentKeyId, keys: { <id>: <base64 of 32 bytes> } }`. Rotation:
 * add a key, make it current, re-wrap (EnvelopeEncryption.rewrap), then drop the old key.
 */
export class StaticKeyEncryptionKeyProvider implements KeyEncryptionKeyProvider {
  private readonly keys: ReadonlyMap<string, Uint8Array>;

  constructor(
    private readonly current: string,
    keys: Readonly<Record<string, string | Uint8Array>>,
  ) {
    const parsed = new Map<string, Uint8Array>();
    for (const [id, value] of Object.entries(keys)) {
      if (!KEK_ID.test(id)) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `key-encryption key id "${id}" must match ${KEK_ID.source}`,
          {
            details: { field: 'security.encryption.keys', keyId: id },
          },
        );
      }
      const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
      if (
        bytes.length !== KEY_BYTES ||
        (typeof value === 'string' && bytes.toString('base64') !== value.trim())
      ) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `key-encryption key "${id}" must be ${KEY_BYTES} bytes, base64`,
          {
            details: { field: 'security.encryption.keys', keyId: id },
          },
        );
      }
      parsed.set(id, new Uint8Array(bytes));
    }
    if (!parsed.has(current)) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        `the current key-encryption key "${current}" is not among the keys`,
        {
          details: { field: 'security.encryption.currentKeyId', keyId: current },
        },
      );
    }
    this.keys = parsed;
  }

  currentKeyId(): string {
    return this.current;
  }

  getKey(id: string): Uint8Array | undefined {
    return this.keys.get(id);
  }
}
