/**
 * Value generators for the synthetic PII evaluation set. Valid values are built the way the
 * issuing schemes build them (check digits computed, not copied); look-alikes are built to fail
 * exactly one rule. Checksums here are written independently of src/core where it is cheap to do
 * so (Luhn, mod-97, Base58Check over node:crypto), so a bug in the recognizers' validators cannot
 * silently make generator and detector agree.
 */
import { createHash } from 'node:crypto';
import { getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { bech32Encode, convertBits, toEip55Address } from '../../src/core/safety/pii/checksums.js';

/** Mulberry32: small, fast, seedable; good enough to shuffle templates. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  letters(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)]!;
    return s;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

// ---------------------------------------------------------------- cards

function luhnSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10;
}

function withLuhn(payload: string): string {
  for (let d = 0; d <= 9; d++) if (luhnSum(payload + d) === 0) return payload + d;
  throw new Error('unreachable');
}

const CARD_SCHEMES: readonly { prefixes: readonly string[]; length: number; groups: readonly number[] }[] = [
  { prefixes: ['4'], length: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['51', '52', '53', '54', '55', '2221', '2300', '2720'], length: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['34', '37'], length: 15, groups: [4, 6, 5] },
  { prefixes: ['6011', '65', '644'], length: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['3528', '3589'], length: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['36'], length: 14, groups: [4, 6, 4] },
];

function groupDigits(digits: string, groups: readonly number[], sep: string): string {
  const parts: string[] = [];
  let p = 0;
  for (const g of groups) {
    parts.push(digits.slice(p, p + g));
    p += g;
  }
  return parts.join(sep);
}

export function creditCard(rng: Rng): string {
  const scheme = rng.pick(CARD_SCHEMES);
  const prefix = rng.pick(scheme.prefixes);
  const digits = withLuhn(prefix + rng.digits(scheme.length - prefix.length - 1));
  const style = rng.int(0, 3);
  if (style === 0) return digits;
  return groupDigits(digits, scheme.groups, style === 1 || style === 3 ? ' ' : '-');
}

/** A 16-digit number with a card prefix whose Luhn digit is wrong (an order number). */
export function luhnFailingNumber(rng: Rng): string {
  const prefix = rng.pick(['4', '5', '6011', '37']);
  const valid = withLuhn(prefix + rng.digits(15 - prefix.length));
  const last = (Number(valid[15]) + rng.int(1, 9)) % 10;
  const digits = valid.slice(0, 15) + String(last);
  return rng.chance(0.5) ? digits : groupDigits(digits, [4, 4, 4, 4], rng.pick([' ', '-']));
}

// ---------------------------------------------------------------- IBAN

function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const v = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem;
}

const IBAN_FORMATS: readonly { country: string; bban: (rng: Rng) => string }[] = [
  { country: 'DE', bban: (r) => r.digits(18) },
  { country: 'GB', bban: (r) => r.letters(4) + r.digits(14) },
  {
    country: 'FR',
    bban: (r) => r.digits(10) + r.letters(1, 'ABCDEFGHJK0123456789') + r.digits(10) + r.digits(2),
  },
  { country: 'ES', bban: (r) => r.digits(20) },
  { country: 'IT', bban: (r) => r.letters(1) + r.digits(10) + r.digits(12) },
  { country: 'NL', bban: (r) => r.letters(4) + r.digits(10) },
  { country: 'BE', bban: (r) => r.digits(12) },
  { country: 'CH', bban: (r) => r.digits(17) },
  { country: 'AT', bban: (r) => r.digits(16) },
  { country: 'PL', bban: (r) => r.digits(24) },
];

function ibanCompact(rng: Rng): string {
  const f = rng.pick(IBAN_FORMATS);
  const bban = f.bban(rng);
  const check = String(98 - mod97(bban + f.country + '00')).padStart(2, '0');
  return f.country + check + bban;
}

const group4 = (s: string): string => s.replace(/(.{4})(?=.)/g, '$1 ');

export function iban(rng: Rng): string {
  const compact = ibanCompact(rng);
  const style = rng.int(0, 3);
  if (style === 0) return compact;
  if (style === 1) return compact.toLowerCase();
  return group4(compact);
}

/** An IBAN with one digit changed: the mod-97 check fails (it catches every single substitution). */
export function invalidIban(rng: Rng): string {
  const compact = ibanCompact(rng);
  let pos = rng.int(4, compact.length - 1);
  while (!/\d/.test(compact[pos]!)) pos = rng.int(4, compact.length - 1);
  const changed = String((Number(compact[pos]) + rng.int(1, 9)) % 10);
  const bad = compact.slice(0, pos) + changed + compact.slice(pos + 1);
  return rng.chance(0.5) ? bad : group4(bad);
}

// ---------------------------------------------------------------- SSN

export function ssn(rng: Rng, sep: '-' | ' ' | '' = '-'): string {
  let area = rng.int(1, 899);
  while (area === 666) area = rng.int(1, 899);
  const group = rng.int(1, 99);
  const serial = rng.int(1, 9999);
  return [
    String(area).padStart(3, '0'),
    String(group).padStart(2, '0'),
    String(serial).padStart(4, '0'),
  ].join(sep);
}

export function invalidSsn(rng: Rng): string {
  const kind = rng.int(0, 4);
  const area =
    kind === 0
      ? '000'
      : kind === 1
        ? '666'
        : kind === 2
          ? String(rng.int(900, 999))
          : String(rng.int(100, 665));
  const group = kind === 3 ? '00' : String(rng.int(10, 99));
  const serial = kind === 4 ? '0000' : String(rng.int(1000, 9999));
  return `${area}-${group}-${serial}`;
}

// ---------------------------------------------------------------- network

export function ipv4(rng: Rng): string {
  const first = rng.pick([10, 172, 192, 203, 198, 81, 94, 145, 62, 8]);
  return [first, rng.int(0, 255), rng.int(0, 255), rng.int(1, 254)].join('.');
}

export function ipv6(rng: Rng): string {
  const hex = (): string => rng.int(0, 0xffff).toString(16);
  const style = rng.int(0, 4);
  if (style === 0) return Array.from({ length: 8 }, hex).join(':');
  if (style === 1) return `2001:db8::${hex()}:${hex()}`;
  if (style === 2) return `fe80::${hex()}:${hex()}:${hex()}:${hex()}`;
  if (style === 3) return `2a02:${hex()}:${hex()}::${hex()}`;
  return `::ffff:${ipv4(rng)}`;
}

const DOMAINS = [
  'example.com',
  'mail.example.org',
  'acme-corp.net',
  'contoso.io',
  'fabrikam.de',
  'globex.co.uk',
  'initech.fr',
  'umbrella.com.br',
  'hooli.xyz',
  'piedpiper.dev',
];

export function email(rng: Rng, first: string, last: string): string {
  const f = first
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
  const l = last
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
  const local = rng.pick([
    `${f}.${l}`,
    `${f[0]}${l}`,
    `${f}_${l}${rng.int(1, 99)}`,
    `${f}+news`,
    `${l}.${f}`,
    `${f}${rng.int(1970, 2005)}`,
  ]);
  return `${local}@${rng.pick(DOMAINS)}`;
}

export function url(rng: Rng): string {
  const domain = rng.pick(DOMAINS);
  const path = rng.pick([
    '',
    '/',
    '/profile/jdoe',
    '/u/12345?ref=mail',
    '/reset-password?token=ab12cd',
    '/docs/page.html#top',
    '/~alice/cv.pdf',
  ]);
  const kind = rng.int(0, 5);
  if (kind === 0) return `https://www.${domain}${path}`;
  if (kind === 1) return `http://${domain}${path}`;
  if (kind === 2) return `www.${domain}${path}`;
  if (kind === 3) return `https://${domain}:8443${path}`;
  if (kind === 4) return `http://${ipv4(rng)}/admin`;
  return `https://${domain}${path}`;
}

// ---------------------------------------------------------------- dates

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function date(rng: Rng, fromYear: number, toYear: number): string {
  const y = rng.int(fromYear, toYear);
  const m = rng.int(1, 12);
  const d = rng.int(1, 28);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  switch (rng.int(0, 5)) {
    case 0:
      return `${y}-${p2(m)}-${p2(d)}`;
    case 1:
      return `${p2(d)}/${p2(m)}/${y}`;
    case 2:
      return `${m}/${d}/${y}`;
    case 3:
      return `${d} ${MONTHS[m - 1]} ${y}`;
    case 4:
      return `${MONTHS[m - 1]} ${d}, ${y}`;
    default:
      return `${p2(d)}.${p2(m)}.${y}`;
  }
}

// ---------------------------------------------------------------- wallets

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function base58check(version: number, payload: Uint8Array): string {
  const body = new Uint8Array([version, ...payload]);
  const check = sha256(sha256(body)).subarray(0, 4);
  return base58(new Uint8Array([...body, ...check]));
}

export function wallet(rng: Rng): string {
  switch (rng.int(0, 5)) {
    case 0:
      return base58check(0x00, rng.bytes(20));
    case 1:
      return base58check(0x05, rng.bytes(20));
    case 2:
      return bech32Encode('bc', [0, ...convertBits([...rng.bytes(20)], 8, 5, true)!], 'bech32');
    case 3:
      return bech32Encode('bc', [1, ...convertBits([...rng.bytes(32)], 8, 5, true)!], 'bech32m');
    default:
      return toEip55Address(Buffer.from(rng.bytes(20)).toString('hex'));
  }
}

export function ethLowercase(rng: Rng): string {
  return '0x' + Buffer.from(rng.bytes(20)).toString('hex');
}

/** A wallet with one character changed (checksum fails). */
export function invalidWallet(rng: Rng): string {
  const w = wallet(rng);
  if (w.startsWith('0x')) {
    // Flip the case of one letter: EIP-55 catches it.
    const letters = [...w.slice(2)].map((c, i) => (/[a-fA-F]/.test(c) ? i + 2 : -1)).filter((i) => i >= 0);
    const pos = rng.pick(letters);
    const c = w[pos]!;
    return w.slice(0, pos) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + w.slice(pos + 1);
  }
  const alphabet = w.startsWith('bc1') ? 'qpzry9x8gf2tvdw0s3jn54khce6mua7l' : B58;
  const pos = rng.int(6, w.length - 1);
  let c = rng.pick([...alphabet]);
  while (c === w[pos]) c = rng.pick([...alphabet]);
  return w.slice(0, pos) + c + w.slice(pos + 1);
}

// ---------------------------------------------------------------- phones

const US_AREAS = [
  '212',
  '415',
  '312',
  '617',
  '206',
  '305',
  '713',
  '404',
  '503',
  '720',
  '646',
  '718',
  '202',
  '408',
  '512',
];

export function phone(rng: Rng): string {
  const region = rng.pick([
    'US',
    'US',
    'US',
    'GB',
    'GB',
    'DE',
    'FR',
    'IN',
    'BR',
    'JP',
    'AU',
    'ES',
    'IT',
  ] as CountryCode[]);
  for (;;) {
    let parsed;
    if (region === 'US') {
      parsed = parsePhoneNumberFromString(`${rng.pick(US_AREAS)}${rng.int(201, 989)}${rng.digits(4)}`, 'US');
    } else {
      const example = getExampleNumber(region, examples)!;
      const nat = example.nationalNumber;
      const keep = Math.max(2, nat.length - 5);
      parsed = parsePhoneNumberFromString(nat.slice(0, keep) + rng.digits(nat.length - keep), region);
    }
    if (parsed === undefined || !parsed.isValid()) continue;
    // National formats only for the regions the evaluation tells the analyzer about (US, GB).
    const national = region === 'US' || region === 'GB';
    const style = rng.int(0, national ? 4 : 1);
    if (style === 0) return parsed.formatInternational();
    if (style === 1) return parsed.number;
    if (region === 'US' && style === 3) return parsed.formatNational().replace(/[()]/g, '').replace(' ', '-');
    if (region === 'US' && style === 4)
      return parsed.nationalNumber.replace(/(\d{3})(\d{3})(\d{4})/, '$1.$2.$3');
    return parsed.formatNational();
  }
}

// ---------------------------------------------------------------- passports

export function passport(rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return rng.digits(9); // US / UK
    case 1:
      return rng.letters(1) + rng.digits(8); // US next-generation
    case 2:
      return rng.digits(2) + rng.letters(2) + rng.digits(5); // FR
    default:
      return (
        rng.letters(1, 'CFGHJK') + rng.letters(8, 'CFGHJKLMNPRTVWXYZ0123456789').replace(/^(.{3})./, '$10')
      ); // DE
  }
}
