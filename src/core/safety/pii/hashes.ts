/**
 * Pure-TypeScript SHA-256 (FIPS 180-4) and Keccak-256 (the pre-FIPS-202 padding Ethereum uses).
 *
 * Core code may not import node:crypto, and the wallet checksums need these two digests on a few
 * dozen bytes per candidate, so small portable implementations are cheaper than a port. They are
 * for checksum validation only, never for secrets: keyed hashing of PII goes through the
 * `PiiCrypto` port (constant-time, audited implementations).
 */

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** SHA-256 digest (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  const bitLength = data.length * 8;
  // Message + 0x80 + zero padding + 64-bit big-endian length, to a multiple of 64 bytes.
  const paddedLength = Math.ceil((data.length + 9) / 64) * 64;
  const block = new Uint8Array(paddedLength);
  block.set(data);
  block[data.length] = 0x80;
  const view = new DataView(block.buffer);
  view.setUint32(paddedLength - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(paddedLength - 4, bitLength >>> 0);

  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15]!;
      const w2 = w[i - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let f = h[5]!;
    let g = h[6]!;
    let hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + SHA256_K[i]! + w[i]!) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]!);
  return out;
}

// Keccak-f[1600] on 25 64-bit lanes, each held as two 32-bit halves (lo at 2i, hi at 2i+1):
// JavaScript bit operations are 32-bit, and BigInt lanes would be ~50x slower.

/** Round constants as [hi, lo] pairs. */
const KECCAK_RC: readonly (readonly [number, number])[] = [
  [0x00000000, 0x00000001],
  [0x00000000, 0x00008082],
  [0x80000000, 0x0000808a],
  [0x80000000, 0x80008000],
  [0x00000000, 0x0000808b],
  [0x00000000, 0x80000001],
  [0x80000000, 0x80008081],
  [0x80000000, 0x00008009],
  [0x00000000, 0x0000008a],
  [0x00000000, 0x00000088],
  [0x00000000, 0x80008009],
  [0x00000000, 0x8000000a],
  [0x00000000, 0x8000808b],
  [0x80000000, 0x0000008b],
  [0x80000000, 0x00008089],
  [0x80000000, 0x00008003],
  [0x80000000, 0x00008002],
  [0x80000000, 0x00000080],
  [0x00000000, 0x0000800a],
  [0x80000000, 0x8000000a],
  [0x80000000, 0x80008081],
  [0x80000000, 0x00008080],
  [0x00000000, 0x80000001],
  [0x80000000, 0x80008008],
];

/** Rho rotation offsets, indexed x + 5y. */
const KECCAK_RHO = [
  0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];

function keccakF1600(s: Uint32Array): void {
  const c = new Uint32Array(10);
  const b = new Uint32Array(50);
  for (const [rcHi, rcLo] of KECCAK_RC) {
    // θ
    for (let x = 0; x < 5; x++) {
      c[2 * x] = s[2 * x]! ^ s[2 * x + 10]! ^ s[2 * x + 20]! ^ s[2 * x + 30]! ^ s[2 * x + 40]!;
      c[2 * x + 1] = s[2 * x + 1]! ^ s[2 * x + 11]! ^ s[2 * x + 21]! ^ s[2 * x + 31]! ^ s[2 * x + 41]!;
    }
    for (let x = 0; x < 5; x++) {
      const prev = (x + 4) % 5;
      const next = (x + 1) % 5;
      const nLo = c[2 * next]!;
      const nHi = c[2 * next + 1]!;
      // rotate C[x+1] left by one
      const dLo = c[2 * prev]! ^ ((nLo << 1) | (nHi >>> 31));
      const dHi = c[2 * prev + 1]! ^ ((nHi << 1) | (nLo >>> 31));
      for (let y = 0; y < 25; y += 5) {
        s[2 * (x + y)] = s[2 * (x + y)]! ^ dLo;
        s[2 * (x + y) + 1] = s[2 * (x + y) + 1]! ^ dHi;
      }
    }
    // ρ and π: B[y, 2x+3y] = rot(A[x, y], r[x, y])
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        const i = x + 5 * y;
        const lo = s[2 * i]!;
        const hi = s[2 * i + 1]!;
        const r = KECCAK_RHO[i]!;
        let rLo: number;
        let rHi: number;
        if (r === 0) {
          rLo = lo;
          rHi = hi;
        } else if (r < 32) {
          rLo = (lo << r) | (hi >>> (32 - r));
          rHi = (hi << r) | (lo >>> (32 - r));
        } else if (r === 32) {
          rLo = hi;
          rHi = lo;
        } else {
          const m = r - 32;
          rLo = (hi << m) | (lo >>> (32 - m));
          rHi = (lo << m) | (hi >>> (32 - m));
        }
        const j = y + 5 * ((2 * x + 3 * y) % 5);
        b[2 * j] = rLo;
        b[2 * j + 1] = rHi;
      }
    }
    // χ
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const i = x + y;
        const i1 = ((x + 1) % 5) + y;
        const i2 = ((x + 2) % 5) + y;
        s[2 * i] = b[2 * i]! ^ (~b[2 * i1]! & b[2 * i2]!);
        s[2 * i + 1] = b[2 * i + 1]! ^ (~b[2 * i1 + 1]! & b[2 * i2 + 1]!);
      }
    }
    // ι
    s[0] = s[0]! ^ rcLo;
    s[1] = s[1]! ^ rcHi;
  }
}

/** Keccak-256 as used by Ethereum (multi-rate padding 0x01 … 0x80, not SHA3's 0x06). */
export const keccak256 = (data: Uint8Array): Uint8Array => keccakSponge256(data, 0x01);

/** FIPS 202 SHA3-256: the same permutation with domain padding 0x06 (lets tests cross-check). */
export const sha3_256 = (data: Uint8Array): Uint8Array => keccakSponge256(data, 0x06);

function keccakSponge256(data: Uint8Array, padByte: number): Uint8Array {
  const rate = 136; // (1600 - 2 * 256) / 8
  const paddedLength = Math.floor(data.length / rate) * rate + rate;
  const padded = new Uint8Array(paddedLength);
  padded.set(data);
  padded[data.length] = padded[data.length]! ^ padByte;
  padded[paddedLength - 1] = padded[paddedLength - 1]! ^ 0x80;

  const state = new Uint32Array(50);
  for (let offset = 0; offset < paddedLength; offset += rate) {
    for (let lane = 0; lane < rate / 8; lane++) {
      const p = offset + lane * 8;
      const lo = padded[p]! | (padded[p + 1]! << 8) | (padded[p + 2]! << 16) | (padded[p + 3]! << 24);
      const hi = padded[p + 4]! | (padded[p + 5]! << 8) | (padded[p + 6]! << 16) | (padded[p + 7]! << 24);
      state[2 * lane] = state[2 * lane]! ^ lo;
      state[2 * lane + 1] = state[2 * lane + 1]! ^ hi;
    }
    keccakF1600(state);
  }
  const out = new Uint8Array(32);
  for (let lane = 0; lane < 4; lane++) {
    const lo = state[2 * lane]!;
    const hi = state[2 * lane + 1]!;
    for (let k = 0; k < 4; k++) {
      out[lane * 8 + k] = (lo >>> (8 * k)) & 0xff;
      out[lane * 8 + 4 + k] = (hi >>> (8 * k)) & 0xff;
    }
  }
  return out;
}
