/**
 * Moves the index (`moov` box) of an MP4/M4A/MOV file in front of its media data (`mdat`), in
 * memory — what `qt-faststart` / `-movflags +faststart` do on disk.
 *
 * Why: the decoder reads the file from a pipe (no temporary files), and ffmpeg cannot seek back
 * on a pipe. Most recorders (phones, ffmpeg's own default) write `moov` after `mdat`, so a file
 * larger than ffmpeg's read buffer fails with "partial file" over a pipe. Moving `moov` forward
 * shifts the media data by the size of `moov`, so every chunk offset in the sample tables
 * (`stco` 32-bit, `co64` 64-bit) that points into the shifted range is increased by that size.
 *
 * Box layout (ISO/IEC 14496-12 §4.2): size (u32 BE) + type (4 chars); size 1 means a u64 size
 * follows the type; size 0 means "to the end of the file" (only the last box).
 */

interface Box {
  readonly type: string;
  /** Offset of the box header in the file. */
  readonly start: number;
  /** Offset just past the box. */
  readonly end: number;
  /** Offset of the box payload (after the 8- or 16-byte header). */
  readonly payload: number;
}

/** Container boxes on the path from `moov` to the chunk offset tables. */
const CONTAINERS: ReadonlySet<string> = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'udta']);

const typeAt = (b: Uint8Array, at: number): string =>
  String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);

/** Top-level (or child) boxes between `from` and `to`; undefined when the layout is not well formed. */
function boxes(b: Uint8Array, view: DataView, from: number, to: number): Box[] | undefined {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return undefined;
      const big = view.getBigUint64(at + 8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      size = Number(big);
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) return undefined;
    out.push({ type: typeAt(b, at + 4), start: at, end: at + size, payload: at + header });
    at += size;
  }
  return at === to ? out : undefined;
}

/** Adds `delta` to every chunk offset in [lo, hi) found under `box` (recursively). */
function patchOffsets(
  b: Uint8Array,
  view: DataView,
  box: Box,
  lo: number,
  hi: number,
  delta: number,
): boolean {
  if (box.type === 'stco' || box.type === 'co64') {
    // FullBox: version/flags (4 bytes), entry_count (u32), entries.
    const count = view.getUint32(box.payload + 4);
    const wide = box.type === 'co64';
    const first = box.payload + 8;
    if (first + count * (wide ? 8 : 4) > box.end) return false;
    for (let i = 0; i < count; i++) {
      const at = first + i * (wide ? 8 : 4);
      const offset = wide ? Number(view.getBigUint64(at)) : view.getUint32(at);
      if (offset < lo || offset >= hi) continue;
      const moved = offset + delta;
      if (wide) view.setBigUint64(at, BigInt(moved));
      else if (moved > 0xffffffff) return false;
      else view.setUint32(at, moved);
    }
    return true;
  }
  if (!CONTAINERS.has(box.type)) return true;
  const children = boxes(b, view, box.payload, box.end);
  if (children === undefined) return false;
  return children.every((c) => patchOffsets(b, view, c, lo, hi, delta));
}

/** True when the bytes start like an ISO base media file (`ftyp` as the first box). */
export const isIsoBmff = (input: Uint8Array): boolean => input.length >= 12 && typeAt(input, 4) === 'ftyp';

/**
 * Returns the file with `moov` moved before the first `mdat`, or the input itself when there is
 * nothing to do (not MP4, already fast-start, fragmented, or a layout this does not understand —
 * the decoder then reports what it finds).
 */
export function moveIndexToFront(input: Uint8Array): Uint8Array {
  if (!isIsoBmff(input)) return input;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const top = boxes(input, view, 0, input.length);
  if (top === undefined) return input;
  const moovIndex = top.findIndex((x) => x.type === 'moov');
  const mdatIndex = top.findIndex((x) => x.type === 'mdat');
  if (moovIndex === -1 || mdatIndex === -1 || moovIndex < mdatIndex) return input;
  const moov = top[moovIndex] as Box;
  const insertAt = (top[mdatIndex] as Box).start;
  const size = moov.end - moov.start;

  const out = new Uint8Array(input.length);
  // Layout: [0, insertAt) unchanged, then moov, then [insertAt, moov.start), then [moov.end, len).
  out.set(input.subarray(0, insertAt), 0);
  out.set(input.subarray(moov.start, moov.end), insertAt);
  out.set(input.subarray(insertAt, moov.start), insertAt + size);
  out.set(input.subarray(moov.end), moov.end);

  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const moved: Box = {
    ...moov,
    start: insertAt,
    end: insertAt + size,
    payload: insertAt + (moov.payload - moov.start),
  };
  // Only data that sat between the insertion point and the old moov moves (by the moov size).
  return patchOffsets(out, outView, moved, insertAt, moov.start, size) ? out : input;
}
