/**
 * Reads the files of a ZIP archive (APPNOTE 6.3: central directory, stored and deflated entries)
 * so a data set can be uploaded as one archive with a folder per class. Deliberately small: no
 * ZIP64, no encryption, no multi-disk archives (each refused with a clear error). Sizes are taken
 * from the central directory, checked against limits before inflating (zip bombs), enforced while
 * inflating, and every entry's CRC-32 is verified.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { KaleidoError } from '../../core/errors.js';
import type { DatasetFile } from '../../core/ports/dataset-store.js';

export interface ZipLimits {
  /** Largest total of uncompressed sizes (default 1 GiB). */
  readonly maxTotalBytes?: number;
  readonly maxEntries?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const bad = (message: string, details: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `invalid zip archive: ${message}`, { details });

/** Regular files of the archive (directories left out), in central-directory order. */
export function readZip(bytes: Uint8Array, limits: ZipLimits = {}): DatasetFile[] {
  const maxTotal = limits.maxTotalBytes ?? 1 << 30;
  const maxEntries = limits.maxEntries ?? 100_000;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is in the last 22 + 65535 (max comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory record');
  const entries = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0)
    throw bad('multi-disk archives are not supported');
  if (entries === 0xffff || cdOffset === 0xffffffff) throw bad('ZIP64 archives are not supported');
  if (entries > maxEntries) throw bad(`more than ${maxEntries} entries`, { entries });
  if (cdOffset + cdSize > eocd) throw bad('central directory out of range');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const files: DatasetFile[] = [];
  let total = 0;
  let at = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL)
      throw bad(`central directory entry ${e} is corrupt`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    let name: string;
    try {
      name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      throw bad(`entry ${e} has a name that is not UTF-8`);
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (flags & 0x1) throw bad(`"${name}" is encrypted`, { path: name });
    if (size === 0xffffffff || compressed === 0xffffffff)
      throw bad('ZIP64 entries are not supported', { path: name });
    total += size;
    if (total > maxTotal)
      throw bad(`uncompressed content exceeds ${maxTotal} bytes`, { maxTotalBytes: maxTotal });
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL) {
      throw bad(`local header of "${name}" is corrupt`, { path: name });
    }
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressed > bytes.length) throw bad(`"${name}" is truncated`, { path: name });
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw.slice();
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) }));
      } catch (cause) {
        throw new KaleidoError('ERR_VALIDATION', `invalid zip archive: "${name}" does not inflate`, {
          cause,
          details: { path: name },
        });
      }
    } else
      throw bad(`"${name}" uses compression method ${method} (only stored and deflate are supported)`, {
        path: name,
      });
    if (data.length !== size)
      throw bad(`"${name}" has ${data.length} bytes, the directory says ${size}`, { path: name });
    if (crc32(data) >>> 0 !== crc) throw bad(`"${name}" fails its CRC-32 check`, { path: name });
    files.push({ path: name, data });
  }
  return files;
}
