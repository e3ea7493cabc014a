/**
 * Check-digit and checksum validators used by the recognizers. Each is a pure function with
 * published known-answer tests (checksums.test.ts); a recognizer only reports a checksum-bearing
 * entity when its checksum holds, which is what gives those entities their precision.
 */
import { keccak256, sha256 } from './hashes.js';

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;

/** Luhn (ISO/IEC 7812-1 mod 10) over a string of digits. False for empty or non-digit input. */
export function luhnValid(digits: string): boolean {
  if (digits.length === 0) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    const c = digits.charCodeAt(i);
    if (!isDigitCode(c)) return false;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The Luhn check digit that makes `payload + digit` valid. */
export function luhnCheckDigit(payload: string): number {
  for (let d = 0; d <= 9; d++) if (luhnValid(payload + String(d))) return d;
  /* c8 ignore next */
  throw new RangeError('unreachable: one of ten digits always completes a Luhn number');
}

export type CardBrand =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners' | 'unionpay' | 'maestro';

/**
 * Card brand from the issuer identification number (IIN) prefix and length, or undefined when
 * no major scheme issues numbers of this prefix and length. Ranges from the schemes' published
 * IIN tables (Mastercard 2-series 2221–2720, Discover 644–649 and 65, JCB 3528–3589 …).
 */
export function cardBrand(digits: string): CardBrand | undefined {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4' && (n === 13 || n === 16 || n === 19)) return 'visa';
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return 'mastercard';
  if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
  if (
    (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) &&
    n >= 16 &&
    n <= 19
  )
    return 'discover';
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return 'jcb';
  if ((p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305) || p3 === 309) && n >= 14 && n <= 19)
    return 'diners';
  if (p2 === 62 && n >= 16 && n <= 19) return 'unionpay';
  if (
    (p4 === 5018 ||
      p4 === 5020 ||
      p4 === 5038 ||
      p4 === 5893 ||
      p4 === 6304 ||
      p4 === 6759 ||
      p4 === 6761 ||
      p4 === 6762 ||
      p4 === 6763) &&
    n >= 12 &&
    n <= 19
  )
    return 'maestro';
  return undefined;
}

/** A plausible payment card number: known IIN/length and a valid Luhn digit. */
export const creditCardValid = (digits: string): boolean =>
  /^\d{12,19}$/.test(digits) && cardBrand(digits) !== undefined && luhnValid(digits);

/**
 * IBAN lengths per country (ISO 13616 registry, SWIFT release 2024). An IBAN whose country is not
 * listed is rejected: most false positives of a bare mod-97 test come from random alphanumerics.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** ISO 7064 MOD 97-10 remainder of an alphanumeric string (A=10 … Z=35), computed piecewise. */
export function mod97(alnum: string): number {
  let rem = 0;
  for (const ch of alnum.toUpperCase()) {
    const c = ch.charCodeAt(0);
    if (isDigitCode(c)) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return -1;
  }
  return rem;
}

/**
 * IBAN validity (ISO 13616): known country, the country's exact length, check digits 02–98, and
 * mod-97 of the rearranged string equal to 1. Accepts lower case; spaces must be removed first.
 */
export function ibanValid(iban: string): boolean {
  const s = iban.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  const expected = IBAN_LENGTHS[s.slice(0, 2)];
  if (expected === undefined || s.length !== expected) return false;
  const check = Number(s.slice(2, 4));
  if (check < 2 || check > 98) return false;
  return mod97(s.slice(4) + s.slice(0, 4)) === 1;
}

/** Check digits for `country + '00' + bban` (for generators and tests). */
export function ibanCheckDigits(country: string, bban: string): string {
  const rem = mod97(bban + country.toUpperCase() + '00');
  return String(98 - rem).padStart(2, '0');
}

/** Numbers the SSA says were never issued, plus the best-known specimen numbers used in ads. */
const SSN_SPECIMENS = new Set(['078051120', '219099999', '123456789']);

/**
 * US Social Security Number validity by the SSA's never-assigned rules: area 000, 666 and
 * 900–999; group 00; serial 0000; plus famous specimen numbers. Input: exactly 9 digits.
 */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  return !SSN_SPECIMENS.has(digits);
}

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58 (Bitcoin alphabet) to bytes; undefined on a character outside the alphabet. */
export function base58Decode(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const ch of text) {
    let carry = BASE58_ALPHABET.indexOf(ch);
    if (carry < 0) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i]! * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (let i = 0; i < text.length && text[i] === '1'; i++) bytes.push(0);
  return Uint8Array.from(bytes.reverse());
}

/** Bytes to Base58 (Bitcoin alphabet). */
export function base58Encode(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i]! << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) out += '1';
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58_ALPHABET[digits[i]!]!;
  return out;
}

const doubleSha256 = (data: Uint8Array): Uint8Array => sha256(sha256(data));

/** Base58Check payload (version byte + data) when the 4-byte double-SHA-256 checksum holds. */
export function base58CheckDecode(text: string): Uint8Array | undefined {
  const raw = base58Decode(text);
  if (raw === undefined || raw.length < 5) return undefined;
  const payload = raw.subarray(0, raw.length - 4);
  const checksum = doubleSha256(payload);
  for (let i = 0; i < 4; i++) if (raw[raw.length - 4 + i] !== checksum[i]) return undefined;
  return payload;
}

/** Base58Check encoding of a payload (version byte + data). */
export function base58CheckEncode(payload: Uint8Array): string {
  const out = new Uint8Array(payload.length + 4);
  out.set(payload);
  out.set(doubleSha256(payload).subarray(0, 4), payload.length);
  return base58Encode(out);
}

/** Legacy Bitcoin mainnet address: P2PKH (version 0x00, '1…') or P2SH (0x05, '3…'), 20-byte hash. */
export function bitcoinBase58AddressValid(address: string): boolean {
  if (address.length < 26 || address.length > 35) return false;
  const payload = base58CheckDecode(address);
  return payload !== undefined && payload.length === 21 && (payload[0] === 0x00 || payload[0] === 0x05);
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const BECH32M_CONST = 0x2bc830a3;

function bech32Polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GENERATORS[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const ch of hrp) out.push(ch.charCodeAt(0) >>> 5);
  out.push(0);
  for (const ch of hrp) out.push(ch.charCodeAt(0) & 31);
  return out;
}

export type Bech32Variant = 'bech32' | 'bech32m';

/** BIP-173 / BIP-350 decoding: hrp, 5-bit data (checksum removed) and which constant matched. */
export function bech32Decode(
  text: string,
): { hrp: string; data: number[]; variant: Bech32Variant } | undefined {
  if (text.length > 90) return undefined;
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) return undefined; // mixed case is invalid
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (c < 33 || c > 126) return undefined;
  }
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, sep);
  const data: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = BECH32_CHARSET.indexOf(ch);
    if (v < 0) return undefined;
    data.push(v);
  }
  const pm = bech32Polymod([...hrpExpand(hrp), ...data]);
  const variant: Bech32Variant | undefined =
    pm === 1 ? 'bech32' : pm === BECH32M_CONST ? 'bech32m' : undefined;
  if (variant === undefined) return undefined;
  return { hrp, data: data.slice(0, -6), variant };
}

/** BIP-173 / BIP-350 encoding of 5-bit data under `hrp` (lower case). */
export function bech32Encode(hrp: string, data: readonly number[], variant: Bech32Variant): string {
  const values = [...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0];
  const pm = bech32Polymod(values) ^ (variant === 'bech32' ? 1 : BECH32M_CONST);
  let out = hrp + '1';
  for (const d of data) out += BECH32_CHARSET[d]!;
  for (let i = 0; i < 6; i++) out += BECH32_CHARSET[(pm >>> (5 * (5 - i))) & 31]!;
  return out;
}

/** Regroup bits (BIP-173 convertbits); undefined when padding rules are broken. */
export function convertBits(
  data: readonly number[],
  from: number,
  to: number,
  pad: boolean,
): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    if (value < 0 || value >> from !== 0) return undefined;
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    return undefined;
  }
  return out;
}

/**
 * Native SegWit address (BIP-173 v0 with bech32, BIP-350 v1–v16 with bech32m), mainnet 'bc' or
 * testnet 'tb': program 2–40 bytes, v0 programs exactly 20 or 32 bytes.
 */
export function segwitAddressValid(address: string, hrps: readonly string[] = ['bc', 'tb']): boolean {
  const dec = bech32Decode(address);
  if (dec === undefined || !hrps.includes(dec.hrp) || dec.data.length < 1) return false;
  const version = dec.data[0]!;
  if (version > 16) return false;
  const program = convertBits(dec.data.slice(1), 5, 8, false);
  if (program === undefined || program.length < 2 || program.length > 40) return false;
  if (version === 0) return dec.variant === 'bech32' && (program.length === 20 || program.length === 32);
  return dec.variant === 'bech32m';
}

/** EIP-55 mixed-case checksum form of a 20-byte hex address (with or without 0x). */
export function toEip55Address(address: string): string {
  const hex = address.replace(/^0x/i, '').toLowerCase();
  const hash = keccak256(new TextEncoder().encode(hex));
  let out = '0x';
  for (let i = 0; i < hex.length; i++) {
    const ch = hex[i]!;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

export type EthAddressCheck = 'checksum-valid' | 'no-checksum' | 'invalid';

/**
 * Ethereum address check. All-lower or all-upper hex carries no checksum (EIP-55 says such
 * addresses cannot be verified): 'no-checksum'. Mixed case must match EIP-55 exactly.
 */
export function ethAddressCheck(address: string): EthAddressCheck {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return 'invalid';
  const body = address.slice(2);
  if (body === body.toLowerCase() || body === body.toUpperCase()) return 'no-checksum';
  return toEip55Address(body) === address ? 'checksum-valid' : 'invalid';
}
