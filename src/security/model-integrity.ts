/**
 * Safe model loading: the SHA-256 recorded at registration is checked at every load, an optional
 * Ed25519 signature over that digest proves who published the model, and ONNX external-data files
 * must stay inside the model's own directory (no "..", no absolute paths, no symlinks out), so a
 * crafted model cannot make the runtime read /etc/shadow or another tenant's weights.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, posix, resolve, sep, win32 } from 'node:path';
import { KaleidoError } from '../core/errors.js';
import { externalDataRefs, type ExternalDataRef } from './onnx-external-data.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Streams a file through SHA-256 (models can be gigabytes: never read whole for hashing). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  } catch (cause) {
    throw new KaleidoError('ERR_MODEL_LOAD_FAILED', `cannot read ${path} to check its digest`, {
      cause,
      details: { reason: 'read', path },
    });
  }
  return hash.digest('hex');
}

function checkHex(value: string, field: string): void {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new KaleidoError('ERR_VALIDATION', `${field} must be 64 lowercase hex characters`, {
      details: { field },
    });
  }
}

/**
 * Ed25519 signature of a model: over the 32 raw bytes of its SHA-256 digest (not the hex text),
 * base64-encoded. Publishers sign once at build time; this helper is what `kaleido models sign`
 * and the tests use.
 */
export function signModelDigest(sha256Hex: string, privateKey: KeyObject | string): string {
  checkHex(sha256Hex, 'sha256');
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return sign(null, Buffer.from(sha256Hex, 'hex'), key).toString('base64');
}

export interface ModelIntegrityOptions {
  /** Trusted publishers' Ed25519 public keys (PEM or KeyObject); a signature must verify under one. */
  readonly publicKeys?: readonly (string | KeyObject)[];
  /** Refuse models without a valid signature (default: true when publicKeys are configured). */
  readonly requireSignature?: boolean;
}

export interface ExpectedModelDigest {
  /** Hex SHA-256 recorded at registration. */
  readonly sha256: string;
  /** Base64 Ed25519 signature of the digest, when the publisher signed it. */
  readonly signature?: string;
}

export class ModelIntegrity {
  private readonly keys: readonly KeyObject[];
  private readonly requireSignature: boolean;

  constructor(options: ModelIntegrityOptions = {}) {
    this.keys = (options.publicKeys ?? []).map((k, i) => {
      let key: KeyObject;
      try {
        key = typeof k === 'string' ? createPublicKey(k) : k;
      } catch (cause) {
        throw new KaleidoError('ERR_BAD_CONFIG', `model signing key #${i} is not a valid public key`, {
          cause,
          details: { field: 'security.models.publicKeys', index: i },
        });
      }
      if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
        throw new KaleidoError('ERR_BAD_CONFIG', `model signing key #${i} must be an Ed25519 public key`, {
          details: { field: 'security.models.publicKeys', index: i, type: key.asymmetricKeyType },
        });
      }
      return key;
    });
    this.requireSignature = options.requireSignature ?? this.keys.length > 0;
    if (this.requireSignature && this.keys.length === 0) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'requireSignature needs at least one public key', {
        details: { field: 'security.models.publicKeys' },
      });
    }
  }

  /** Checks a digest already computed (e.g. while copying the file) against the record. */
  checkDigest(actualSha256: string, expected: ExpectedModelDigest, subject: string): void {
    checkHex(expected.sha256, 'sha256');
    if (actualSha256 !== expected.sha256) {
      throw new KaleidoError(
        'ERR_INTEGRITY_FAILED',
        `${subject} does not match the SHA-256 recorded at registration`,
        {
          details: { subject, expected: expected.sha256, actual: actualSha256 },
        },
      );
    }
    if (expected.signature === undefined) {
      if (this.requireSignature) {
        throw new KaleidoError(
          'ERR_INTEGRITY_FAILED',
          `${subject} is not signed and signatures are required`,
          {
            details: { subject, reason: 'unsigned' },
          },
        );
      }
      return;
    }
    // A signature is verified whenever present: a bad one means tampering even if not required.
    const sig = Buffer.from(expected.signature, 'base64');
    const digest = Buffer.from(expected.sha256, 'hex');
    const ok = sig.length === 64 && this.keys.some((k) => verify(null, digest, k, sig));
    if (!ok) {
      throw new KaleidoError('ERR_INTEGRITY_FAILED', `${subject} has no valid signature from a trusted key`, {
        details: { subject, reason: this.keys.length === 0 ? 'no trusted keys configured' : 'bad signature' },
      });
    }
  }

  /** Hashes the file and checks it (and its signature) against the record. Returns the digest. */
  async verifyFile(path: string, expected: ExpectedModelDigest): Promise<string> {
    checkHex(expected.sha256, 'sha256');
    const actual = await sha256File(path);
    this.checkDigest(actual, expected, path);
    return actual;
  }

  /**
   * Reads an ONNX model and confines every external-data location to the model's directory.
   * Returns the references with their resolved real paths.
   */
  async checkOnnxExternalData(modelPath: string): Promise<(ExternalDataRef & { readonly path: string })[]> {
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (cause) {
      throw new KaleidoError('ERR_MODEL_LOAD_FAILED', `cannot read ${modelPath}`, {
        cause,
        details: { reason: 'read', path: modelPath },
      });
    }
    const refs = externalDataRefs(bytes);
    if (refs.length === 0) return [];
    const dir = dirname(resolve(modelPath));
    return Promise.all(refs.map(async (ref) => ({ ...ref, path: await confineExternalData(dir, ref) })));
  }
}

const refused = (ref: ExternalDataRef, why: string): KaleidoError =>
  new KaleidoError(
    'ERR_MODEL_LOAD_FAILED',
    `external data "${ref.location.slice(0, 200)}" of tensor "${ref.tensor}" is refused: ${why}`,
    { details: { reason: 'external-data', tensor: ref.tensor, location: ref.location.slice(0, 200), why } },
  );

/**
 * Resolves `ref.location` inside `modelDir` or throws ERR_MODEL_LOAD_FAILED. Lexical checks come
 * first (they explain the refusal clearly); the realpath check then catches symlinks, whose
 * target is only known on disk. The file must exist and be a regular file.
 */
export async function confineExternalData(modelDir: string, ref: ExternalDataRef): Promise<string> {
  const loc = ref.location;
  if (loc === '' || loc.includes('\0')) throw refused(ref, 'empty or contains NUL');
  if (isAbsolute(loc) || posix.isAbsolute(loc) || win32.isAbsolute(loc)) throw refused(ref, 'absolute path');
  // A backslash is a separator on Windows and a plain character elsewhere: refuse the ambiguity.
  if (loc.includes('\\')) throw refused(ref, 'backslash in path');
  if (loc.split('/').includes('..')) throw refused(ref, 'parent directory segment ("..")');
  let realDir: string;
  let realTarget: string;
  try {
    realDir = await realpath(modelDir);
  } catch (cause) {
    throw new KaleidoError('ERR_MODEL_LOAD_FAILED', `model directory ${modelDir} is not readable`, { cause });
  }
  try {
    realTarget = await realpath(resolve(realDir, loc));
  } catch {
    throw refused(ref, 'file does not exist');
  }
  if (!realTarget.startsWith(realDir + sep))
    throw refused(ref, 'resolves outside the model directory (symlink)');
  if (!(await stat(realTarget)).isFile()) throw refused(ref, 'not a regular file');
  return realTarget;
}
