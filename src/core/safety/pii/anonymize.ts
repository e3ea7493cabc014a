import { KaleidoError } from '../../errors.js';
import type { Finding, PiiCrypto, PiiEntity } from './types.js';
import { resolveOverlaps } from './analyzer.js';
import { fromBase64Url, toBase64, toBase64Url, toHex, utf8Bytes, utf8Text } from './encoding.js';

/** Replace the value with a fixed text; default `<ENTITY_TYPE>`. */
export interface ReplaceOperator {
  readonly type: 'replace';
  readonly newValue?: string;
}
/** Overwrite characters (Unicode code points) with `maskingChar`, from the start or the end. */
export interface MaskOperator {
  readonly type: 'mask';
  /** One character (default '*'). */
  readonly maskingChar?: string;
  /** How many characters to mask (default: all). */
  readonly charsToMask?: number;
  /** Mask the last characters instead of the first (default false). */
  readonly fromEnd?: boolean;
  /**
   * Mask every letter and digit except the last `keepLast` ones, leaving separators (spaces,
   * dashes) in place: "4111 1111 1111 1111" → "**** **** **** 1111" whatever the grouping.
   * Takes precedence over charsToMask/fromEnd.
   */
  readonly keepLast?: number;
}
/** Remove the value. */
export interface RedactOperator {
  readonly type: 'redact';
}
/**
 * Keyed hash: HMAC-SHA-256 of the UTF-8 value. Keyed, so a short value (an SSN has ~10^9
 * possibilities) cannot be recovered by hashing every candidate without the key; deterministic,
 * so the same value maps to the same token across documents (joins still work).
 */
export interface HashOperator {
  readonly type: 'hash';
  /** Secret key, at least 16 bytes (32 recommended). */
  readonly key: Uint8Array;
  readonly encoding?: 'hex' | 'base64';
  /** Keep only the first N characters of the encoded digest (≥ 8; default: all). */
  readonly truncate?: number;
}
/** Reversible: AES-256-GCM, written as base64url(iv | ciphertext | tag). */
export interface EncryptOperator {
  readonly type: 'encrypt';
  /** 32-byte key. */
  readonly key: Uint8Array;
}
/** Leave the value as is (listed in items for auditing). */
export interface KeepOperator {
  readonly type: 'keep';
}

export type Operator =
  ReplaceOperator | MaskOperator | RedactOperator | HashOperator | EncryptOperator | KeepOperator;
export type OperatorType = Operator['type'];

/** Operators per entity type; `DEFAULT` applies to entity types not listed (default: replace). */
export type OperatorsByEntity = Partial<Record<PiiEntity | 'DEFAULT', Operator>>;

export interface AnonymizedItem {
  readonly entity: PiiEntity;
  readonly operator: OperatorType;
  /** Text written in place of the value. */
  readonly replacement: string;
  /** Span of the replacement in the output text. */
  readonly start: number;
  readonly end: number;
  /** Span of the original value in the input text. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
}

export interface AnonymizeResult {
  readonly text: string;
  /** One item per replaced finding, sorted by position. */
  readonly items: AnonymizedItem[];
}

const invalid = (message: string, details: Record<string, unknown>): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details });

function requireCrypto(crypto: PiiCrypto | undefined, op: string): PiiCrypto {
  if (crypto === undefined)
    throw invalid(`the ${op} operator needs a PiiCrypto implementation`, { operator: op });
  return crypto;
}

function validateOperator(entity: string, op: Operator, crypto: PiiCrypto | undefined): void {
  switch (op.type) {
    case 'replace':
    case 'redact':
    case 'keep':
      return;
    case 'mask': {
      if (op.maskingChar !== undefined && [...op.maskingChar].length !== 1) {
        throw invalid('maskingChar must be exactly one character', { entity, maskingChar: op.maskingChar });
      }
      if (op.keepLast !== undefined && (!Number.isInteger(op.keepLast) || op.keepLast < 0)) {
        throw invalid('keepLast must be a non-negative integer', { entity, keepLast: op.keepLast });
      }
      if (op.charsToMask !== undefined && (!Number.isInteger(op.charsToMask) || op.charsToMask < 0)) {
        throw invalid('charsToMask must be a non-negative integer', { entity, charsToMask: op.charsToMask });
      }
      return;
    }
    case 'hash': {
      requireCrypto(crypto, 'hash');
      if (!(op.key instanceof Uint8Array) || op.key.length < 16) {
        throw invalid('hash key must be at least 16 bytes', { entity, keyLength: op.key?.length });
      }
      if (op.truncate !== undefined && (!Number.isInteger(op.truncate) || op.truncate < 8)) {
        throw invalid('truncate must be an integer ≥ 8', { entity, truncate: op.truncate });
      }
      return;
    }
    case 'encrypt': {
      requireCrypto(crypto, 'encrypt');
      if (!(op.key instanceof Uint8Array) || op.key.length !== 32) {
        throw invalid('encrypt key must be 32 bytes (AES-256)', { entity, keyLength: op.key?.length });
      }
      return;
    }
    default: {
      const unknown: { type?: unknown } = op;
      throw invalid(`unknown operator ${String(unknown.type)}`, { entity });
    }
  }
}

function apply(entity: PiiEntity, value: string, op: Operator, crypto: PiiCrypto | undefined): string {
  switch (op.type) {
    case 'replace':
      return op.newValue ?? `<${entity}>`;
    case 'redact':
      return '';
    case 'keep':
      return value;
    case 'mask': {
      const chars = [...value];
      if (op.keepLast !== undefined) {
        const alnum = /[\p{L}\p{N}]/u;
        const total = chars.filter((c) => alnum.test(c)).length;
        let seen = 0;
        const m = op.maskingChar ?? '*';
        return chars.map((c) => (alnum.test(c) && seen++ < total - (op.keepLast as number) ? m : c)).join('');
      }
      const n = Math.min(op.charsToMask ?? chars.length, chars.length);
      const m = op.maskingChar ?? '*';
      for (let k = 0; k < n; k++) chars[op.fromEnd === true ? chars.length - 1 - k : k] = m;
      return chars.join('');
    }
    case 'hash': {
      const mac = requireCrypto(crypto, 'hash').hmacSha256(op.key, utf8Bytes(value));
      const encoded = op.encoding === 'base64' ? toBase64(mac) : toHex(mac);
      return op.truncate === undefined ? encoded : encoded.slice(0, op.truncate);
    }
    case 'encrypt':
      return toBase64Url(requireCrypto(crypto, 'encrypt').aesGcmEncrypt(op.key, utf8Bytes(value)));
  }
}

function checkFindings(text: string, findings: readonly Finding[]): void {
  for (const f of findings) {
    if (!(
      Number.isInteger(f.start) &&
      Number.isInteger(f.end) &&
      f.start >= 0 &&
      f.start < f.end &&
      f.end <= text.length
    )) {
      throw invalid('finding span is outside the text', {
        entity: f.entity,
        start: f.start,
        end: f.end,
        length: text.length,
      });
    }
  }
}

/**
 * Replace each finding's span according to its entity's operator. Overlapping findings are
 * resolved first (same rule as the analyzer). Each item reports both its span in the input
 * (`sourceStart`/`sourceEnd`) and its span in the output text (`start`/`end`), which already
 * accounts for every earlier replacement's change in length.
 */
export function anonymize(
  text: string,
  findings: readonly Finding[],
  operators: OperatorsByEntity = {},
  crypto?: PiiCrypto,
): AnonymizeResult {
  checkFindings(text, findings);
  for (const [entity, op] of Object.entries(operators))
    if (op !== undefined) validateOperator(entity, op, crypto);
  const chosen = resolveOverlaps(findings);

  // One left-to-right pass over disjoint, sorted spans: each output offset is the source offset
  // plus the length change of everything replaced before it. Building from parts keeps this O(n)
  // even for long transcripts with thousands of findings.
  const parts: string[] = [];
  const items: AnonymizedItem[] = [];
  let cursor = 0;
  let outLength = 0;
  for (const f of chosen) {
    const op: Operator = operators[f.entity] ?? operators.DEFAULT ?? { type: 'replace' };
    const replacement = apply(f.entity, text.slice(f.start, f.end), op, crypto);
    const before = text.slice(cursor, f.start);
    parts.push(before, replacement);
    const start = outLength + before.length;
    items.push({
      entity: f.entity,
      operator: op.type,
      replacement,
      start,
      end: start + replacement.length,
      sourceStart: f.start,
      sourceEnd: f.end,
    });
    outLength = start + replacement.length;
    cursor = f.end;
  }
  parts.push(text.slice(cursor));
  const out = parts.join('');
  return { text: out, items };
}

/** Keys for `deanonymize`: one per entity type, or `DEFAULT` for all. */
export type DecryptKeys = Partial<Record<PiiEntity | 'DEFAULT', Uint8Array>>;

/**
 * Reverse the `encrypt` items of an anonymization: decrypt each one in place and
 * return the restored text with the items' new spans. Items of other operators are left as they
 * are (they are not reversible) and keep their updated positions. Throws ERR_VALIDATION when the
 * text no longer holds an item's replacement at its span, or when a ciphertext fails to
 * authenticate (wrong key or tampering).
 */
export function deanonymize(
  text: string,
  items: readonly AnonymizedItem[],
  keys: DecryptKeys,
  crypto: PiiCrypto,
): AnonymizeResult {
  const sorted = [...items].sort((a, b) => a.start - b.start);
  for (let k = 0; k < sorted.length; k++) {
    const it = sorted[k]!;
    if (text.slice(it.start, it.end) !== it.replacement || (k > 0 && sorted[k - 1]!.end > it.start)) {
      throw invalid('the text does not hold this item at its span (was it edited?)', {
        entity: it.entity,
        start: it.start,
        end: it.end,
      });
    }
  }
  const restored: string[] = sorted.map((it) => {
    if (it.operator !== 'encrypt') return it.replacement;
    const key = keys[it.entity] ?? keys.DEFAULT;
    if (key === undefined) throw invalid(`no decryption key for ${it.entity}`, { entity: it.entity });
    return utf8Text(crypto.aesGcmDecrypt(key, fromBase64Url(it.replacement)));
  });
  const parts: string[] = [];
  const result: AnonymizedItem[] = [];
  let cursor = 0;
  let outLength = 0;
  for (let k = 0; k < sorted.length; k++) {
    const it = sorted[k]!;
    const value = restored[k]!;
    const before = text.slice(cursor, it.start);
    parts.push(before, value);
    const start = outLength + before.length;
    result.push({ ...it, replacement: value, start, end: start + value.length });
    outLength = start + value.length;
    cursor = it.end;
  }
  parts.push(text.slice(cursor));
  const out = parts.join('');
  return { text: out, items: result };
}
