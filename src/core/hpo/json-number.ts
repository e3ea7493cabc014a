/** JSON has no NaN or ±Infinity; numbers that may be non-finite travel as these strings. */
import { KaleidoError } from '../errors.js';

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(x: number): JsonNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export function decodeNumber(x: unknown, field: string): number {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  throw new KaleidoError('ERR_VALIDATION', `${field} must be a number`, { details: { field, value: x } });
}

/** True for values `encodeNumber` produces. */
export function isJsonNumber(x: unknown): x is JsonNumber {
  return typeof x === 'number' || x === 'NaN' || x === 'Infinity' || x === '-Infinity';
}
