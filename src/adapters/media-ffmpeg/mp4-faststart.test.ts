import { describe, expect, it } from 'vitest';
import { isIsoBmff, moveIndexToFront } from './mp4-faststart.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u64 = (n: number): number[] => [...u32(Math.floor(n / 2 ** 32)), ...u32(n >>> 0)];
const box = (type: string, payload: number[]): number[] => [
  ...u32(8 + payload.length),
  ...ascii(type),
  ...payload,
];

/** ftyp, mdat (two 4-byte chunks "AAAA" "BBBB"), moov with one stco and one co64 table pointing at them. */
function slowStartFile(): { file: Uint8Array; chunkA: number; chunkB: number } {
  const ftyp = box('ftyp', [...ascii('M4A '), 0, 0, 0, 0]);
  const mdatStart = ftyp.length;
  const chunkA = mdatStart + 8;
  const chunkB = chunkA + 4;
  const mdat = box('mdat', [...ascii('AAAA'), ...ascii('BBBB')]);
  const stco = box('stco', [0, 0, 0, 0, ...u32(1), ...u32(chunkA)]);
  const co64 = box('co64', [0, 0, 0, 0, ...u32(1), ...u64(chunkB)]);
  const moov = box('moov', box('trak', box('mdia', box('minf', box('stbl', [...stco, ...co64])))));
  return { file: Uint8Array.from([...ftyp, ...mdat, ...moov]), chunkA, chunkB };
}

/** Chunk offsets listed in the stco/co64 tables of a file (found by scanning for the box types). */
function offsets(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: number[] = [];
  for (let i = 4; i + 4 <= file.length; i++) {
    const type = String.fromCharCode(...file.subarray(i, i + 4));
    if (type === 'stco') out.push(view.getUint32(i + 12));
    if (type === 'co64') out.push(Number(view.getBigUint64(i + 12)));
  }
  return out;
}

describe('moveIndexToFront', () => {
  it('moves moov before mdat and shifts the chunk offsets so they point at the same bytes', () => {
    const { file } = slowStartFile();
    const moved = moveIndexToFront(file);
    expect(moved.length).toBe(file.length);
    const types: string[] = [];
    for (let at = 0; at < moved.length;) {
      const size = new DataView(moved.buffer).getUint32(at);
      types.push(String.fromCharCode(...moved.subarray(at + 4, at + 8)));
      at += size;
    }
    expect(types).toEqual(['ftyp', 'moov', 'mdat']);
    const [a, b] = offsets(moved);
    expect(String.fromCharCode(...moved.subarray(a, (a ?? 0) + 4))).toBe('AAAA');
    expect(String.fromCharCode(...moved.subarray(b, (b ?? 0) + 4))).toBe('BBBB');
  });

  it('leaves fast-start files, non-MP4 input and malformed layouts unchanged', () => {
    const { file } = slowStartFile();
    const moved = moveIndexToFront(file);
    expect(moveIndexToFront(moved)).toBe(moved);
    const wav = Uint8Array.from(ascii('RIFF....WAVE'));
    expect(isIsoBmff(wav)).toBe(false);
    expect(moveIndexToFront(wav)).toBe(wav);
    const cut = file.subarray(0, file.length - 5); // moov box runs past the end
    expect(moveIndexToFront(cut)).toBe(cut);
  });
});
