/**
 * A strict FLAC decoder for the in-process path of the audio decoder: integer samples straight
 * from the frames (constant, verbatim, fixed and LPC subframes, partitioned Rice residuals, the
 * three stereo decorrelations), each frame's CRC-8 header and CRC-16 body checked.
 *
 * Strict on purpose: anything unexpected — a bad CRC, a reserved code, data ending mid-frame, a
 * sample count that differs from STREAMINFO's, bytes after the last frame — throws FlacError, and
 * the caller hands the input to ffmpeg, whose errors (truncated, corrupt) the API already reports.
 * So this decoder only ever has to be right on valid files, and tests compare it with ffmpeg.
 */
import { parseFlacStreamInfo } from './header-probe.js';

export class FlacError extends Error {}

const fail = (why: string): never => {
  throw new FlacError(why);
};

/** Bit reader, most significant bit first. */
class Bits {
  pos = 0; // in bits
  constructor(private readonly b: Uint8Array) {}

  get bytePos(): number {
    return this.pos >> 3;
  }

  /** Unsigned value of the next n ≤ 32 bits. */
  read(n: number): number {
    const i = this.pos >> 3;
    if (n <= 24 && i + 3 < this.b.length) {
      // Fast path: the n bits lie inside the 4 bytes from the current one (offset ≤ 7, n ≤ 24).
      if (n === 0) return 0;
      const b = this.b;
      const w =
        (((b[i] as number) << 24) |
          ((b[i + 1] as number) << 16) |
          ((b[i + 2] as number) << 8) |
          (b[i + 3] as number)) >>>
        0;
      const off = this.pos & 7;
      this.pos += n;
      return ((w << off) >>> 0) >>> (32 - n);
    }
    let v = 0;
    while (n > 0) {
      const byte = this.b[this.pos >> 3];
      if (byte === undefined) return fail('data ends inside a frame');
      const avail = 8 - (this.pos & 7);
      const take = avail < n ? avail : n;
      v = v * (1 << take) + ((byte >> (avail - take)) & ((1 << take) - 1));
      n -= take;
      this.pos += take;
    }
    return v;
  }

  /** Two's-complement value of the next n bits. */
  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.read(n);
    return v >= 2 ** (n - 1) ? v - 2 ** n : v;
  }

  /** Number of 0 bits before the next 1 (which is consumed). */
  unary(): number {
    let q = 0;
    for (;;) {
      const byte = this.b[this.pos >> 3];
      if (byte === undefined) return fail('data ends inside a frame');
      const off = this.pos & 7;
      const rest = (byte << off) & 0xff;
      if (rest === 0) {
        q += 8 - off;
        this.pos += 8 - off;
        continue;
      }
      const zeros = Math.clz32(rest) - 24;
      this.pos += zeros + 1;
      return q + zeros;
    }
  }

  alignToByte(): void {
    this.pos = (this.pos + 7) & ~7;
  }
}

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c8 = i;
  let c16 = i << 8;
  for (let k = 0; k < 8; k++) {
    c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
    c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  }
  CRC8[i] = c8;
  CRC16[i] = c16;
}
const crc8 = (b: Uint8Array, from: number, to: number): number => {
  let c = 0;
  for (let i = from; i < to; i++) c = CRC8[c ^ (b[i] ?? 0)] ?? 0;
  return c;
};
const crc16 = (b: Uint8Array, from: number, to: number): number => {
  let c = 0;
  for (let i = from; i < to; i++) c = ((c << 8) & 0xffff) ^ (CRC16[(c >> 8) ^ (b[i] ?? 0)] ?? 0);
  return c;
};

const RATES = [0, 88_200, 176_400, 192_000, 8000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000];
const SAMPLE_SIZES = [0, 8, 12, 0, 16, 20, 24, 32];
const FIXED: readonly (readonly number[])[] = [[], [1], [2, -1], [3, -3, 1], [4, -6, 4, -1]];

export interface FlacPcm {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** Mono: the channels averaged, each sample scaled by 2^−(bits − 1) as ffmpeg's output is. */
  readonly mono: Float32Array;
}

/**
 * Decodes a whole FLAC file to mono float. Refuses (FlacError) more than two channels, more than
 * 24 bits, and more than `maxSeconds` of audio; `pause` is awaited about once per second of audio
 * so a long file does not hold the event loop.
 */
export async function decodeFlac(
  b: Uint8Array,
  options: { maxSeconds: number; pause?: () => Promise<void> },
): Promise<FlacPcm> {
  const info = parseFlacStreamInfo(b) ?? fail('no STREAMINFO');
  if (info.channels > 2) fail('more than two channels');
  if (info.bitsPerSample > 24) fail('more than 24 bits per sample');
  const maxSamples = Math.floor(options.maxSeconds * info.sampleRate);
  if (info.totalSamples > maxSamples) fail('too long for the in-process path');
  // Metadata blocks: 1 bit "last", 7 bits type, 24 bits length.
  let at = 4;
  for (;;) {
    if (at + 4 > b.length) fail('metadata ends early');
    const head = b[at] ?? 0;
    const length = ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0);
    at += 4 + length;
    if (head & 0x80) break;
  }
  let capacity = info.totalSamples > 0 ? info.totalSamples : Math.min(maxSamples, info.sampleRate * 10);
  let mono = new Float32Array(capacity);
  let n = 0;
  const scale = 1 / 2 ** (info.bitsPerSample - 1) / info.channels;
  const bits = new Bits(b);
  bits.pos = at * 8;
  const chans = [new Float64Array(0), new Float64Array(0)];
  let sincePause = 0;
  while (bits.bytePos < b.length) {
    const frameStart = bits.bytePos;
    if (bits.read(15) !== 0x7ffc) fail('lost frame sync');
    bits.read(1); // blocking strategy
    const sizeCode = bits.read(4);
    const rateCode = bits.read(4);
    const assignment = bits.read(4);
    const sizeBitsCode = bits.read(3);
    if (bits.read(1) !== 0) fail('reserved bit set');
    // Frame or sample number, UTF-8-style coded: only its length matters here.
    const first = bits.read(8);
    let extra = 0;
    if (first >= 0x80) {
      if (first < 0xc0 || first >= 0xfe) fail('bad frame number');
      extra = Math.clz32(~(first << 24)) - 1;
    }
    for (let i = 0; i < extra; i++) if (bits.read(8) >> 6 !== 2) fail('bad frame number');
    let blockSize = 0;
    if (sizeCode === 0) fail('reserved block size');
    else if (sizeCode === 1) blockSize = 192;
    else if (sizeCode <= 5) blockSize = 576 << (sizeCode - 2);
    else if (sizeCode === 6) blockSize = bits.read(8) + 1;
    else if (sizeCode === 7) blockSize = bits.read(16) + 1;
    else blockSize = 256 << (sizeCode - 8);
    let rate = info.sampleRate;
    if (rateCode >= 1 && rateCode <= 11) rate = RATES[rateCode] ?? 0;
    else if (rateCode === 12) rate = bits.read(8) * 1000;
    else if (rateCode === 13) rate = bits.read(16);
    else if (rateCode === 14) rate = bits.read(16) * 10;
    else if (rateCode === 15) fail('bad sample rate code');
    if (rate !== info.sampleRate) fail('sample rate changes');
    const bps = sizeBitsCode === 0 ? info.bitsPerSample : (SAMPLE_SIZES[sizeBitsCode] ?? 0);
    if (bps !== info.bitsPerSample) fail('sample size changes');
    const channels = assignment < 8 ? assignment + 1 : assignment <= 10 ? 2 : fail('reserved channel code');
    if (channels !== info.channels) fail('channel count changes');
    if (bits.read(8) !== crc8(b, frameStart, bits.bytePos - 1)) fail('frame header CRC');
    for (let c = 0; c < channels; c++) {
      const side =
        (assignment === 8 && c === 1) || (assignment === 9 && c === 0) || (assignment === 10 && c === 1);
      if ((chans[c]?.length ?? 0) < blockSize) chans[c] = new Float64Array(blockSize);
      subframe(bits, chans[c] as Float64Array, blockSize, bps + (side ? 1 : 0));
    }
    bits.alignToByte();
    const end = bits.bytePos;
    if (bits.read(16) !== crc16(b, frameStart, end)) fail('frame CRC');
    if (n + blockSize > maxSamples) fail('too long for the in-process path');
    if (n + blockSize > capacity) {
      capacity = Math.min(maxSamples, Math.max(capacity * 2, n + blockSize));
      const grown = new Float32Array(capacity);
      grown.set(mono.subarray(0, n));
      mono = grown;
    }
    const l = chans[0] as Float64Array;
    if (channels === 1) {
      for (let i = 0; i < blockSize; i++) mono[n + i] = (l[i] as number) * scale;
    } else {
      const r = chans[1] as Float64Array;
      for (let i = 0; i < blockSize; i++) {
        const a = l[i] as number;
        const s = r[i] as number;
        let left: number;
        let right: number;
        if (assignment === 8) {
          left = a;
          right = a - s; // left, side
        } else if (assignment === 9) {
          left = a + s; // side, right
          right = s;
        } else if (assignment === 10) {
          const mid = a * 2 + (s & 1); // mid, side
          left = Math.floor((mid + s) / 2);
          right = Math.floor((mid - s) / 2);
        } else {
          left = a;
          right = s;
        }
        mono[n + i] = (left + right) * scale;
      }
    }
    n += blockSize;
    sincePause += blockSize;
    if (options.pause !== undefined && sincePause >= info.sampleRate) {
      sincePause = 0;
      await options.pause();
    }
  }
  if (info.totalSamples > 0 && n !== info.totalSamples) fail('sample count differs from STREAMINFO');
  return {
    sampleRate: info.sampleRate,
    channels: info.channels,
    bitsPerSample: info.bitsPerSample,
    mono: n === mono.length ? mono : mono.slice(0, n),
  };
}

function subframe(bits: Bits, out: Float64Array, blockSize: number, bps: number): void {
  if (bits.read(1) !== 0) fail('subframe padding bit set');
  const type = bits.read(6);
  let wasted = 0;
  if (bits.read(1) === 1) wasted = bits.unary() + 1;
  const width = bps - wasted;
  if (width <= 0) fail('wasted bits exceed the sample size');
  if (type === 0) {
    const v = bits.signed(width);
    out.fill(v, 0, blockSize);
  } else if (type === 1) {
    for (let i = 0; i < blockSize; i++) out[i] = bits.signed(width);
  } else if (type >= 8 && type <= 12) {
    const order = type - 8;
    for (let i = 0; i < order; i++) out[i] = bits.signed(width);
    residual(bits, out, blockSize, order);
    predict(out, blockSize, FIXED[order] ?? [], 0);
  } else if (type >= 32) {
    const order = type - 31;
    for (let i = 0; i < order; i++) out[i] = bits.signed(width);
    const precision = bits.read(4) + 1;
    if (precision === 16) fail('bad LPC precision');
    const shift = bits.signed(5);
    if (shift < 0) fail('negative LPC shift');
    const coefs: number[] = [];
    for (let i = 0; i < order; i++) coefs.push(bits.signed(precision));
    residual(bits, out, blockSize, order);
    predict(out, blockSize, coefs, shift);
  } else {
    fail('reserved subframe type');
  }
  if (wasted > 0) {
    const k = 2 ** wasted;
    for (let i = 0; i < blockSize; i++) out[i] = (out[i] as number) * k;
  }
}

/** Reads the residual into out[order…blockSize). */
function residual(bits: Bits, out: Float64Array, blockSize: number, order: number): void {
  const method = bits.read(2);
  if (method > 1) fail('reserved residual coding');
  const paramBits = method === 0 ? 4 : 5;
  const escape = method === 0 ? 15 : 31;
  const partitionOrder = bits.read(4);
  const partitions = 1 << partitionOrder;
  const perPartition = blockSize >> partitionOrder;
  if (perPartition << partitionOrder !== blockSize || perPartition < order) fail('bad partition order');
  let i = order;
  for (let p = 0; p < partitions; p++) {
    const count = p === 0 ? perPartition - order : perPartition;
    const param = bits.read(paramBits);
    if (param === escape) {
      const raw = bits.read(5);
      for (let j = 0; j < count; j++) out[i++] = bits.signed(raw);
    } else {
      const k = 2 ** param;
      for (let j = 0; j < count; j++) {
        const u = bits.unary() * k + bits.read(param);
        out[i++] = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
  }
}

/** out[i] += Σ coefs[j]·out[i−1−j] >> shift, for i ≥ order (residual already in place). */
function predict(out: Float64Array, blockSize: number, coefs: readonly number[], shift: number): void {
  const order = coefs.length;
  if (order === 0) return;
  const div = 2 ** shift;
  for (let i = order; i < blockSize; i++) {
    let sum = 0;
    for (let j = 0; j < order; j++) sum += (coefs[j] as number) * (out[i - 1 - j] as number);
    out[i] = (out[i] as number) + Math.floor(sum / div);
  }
}
