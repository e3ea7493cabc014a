/**
 * Input rules shared by the tracking and registry services. Limits follow MLflow's where it has
 * them (key 250 characters, param value 6000, tag value 8000, batch sizes), so data that MLflow
 * accepts is accepted here; every value arrives as `unknown` because it usually comes off the wire.
 */
import { KaleidoError } from '../core/errors.js';
import type { Tag } from '../core/ports/tracking-store.js';

export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_NAME_LENGTH = 256;
export const MAX_DESCRIPTION_LENGTH = 65_536;
export const MAX_URI_LENGTH = 2048;
/** Page sizes: MLflow's search_runs maximum. */
export const MAX_RESULTS = 1000;
export const MAX_TAGS_PER_REQUEST = 100;

// eslint-disable-next-line no-control-regex -- refusing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
/** MLflow's key alphabet: alphanumerics, _ - . space : / */
const KEY = /^[A-Za-z0-9_\-. :/]+$/;

export function invalid(field: string, message: string, value?: unknown): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', `${field} ${message}`, {
    details: { field, ...(value === undefined ? {} : { value }) },
  });
}

/** Any string without NUL (PostgreSQL cannot store it), at most `max` characters. */
export function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string', typeof value);
  if (value.includes('\u0000')) throw invalid(field, 'must not contain NUL characters');
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`, value.length);
  return value;
}

/** A display name: non-empty, no control characters, no surrounding whitespace. */
export function displayName(field: string, value: unknown, max = MAX_NAME_LENGTH): string {
  const s = text(field, value, max);
  if (s === '') throw invalid(field, 'must not be empty');
  if (CONTROL.test(s)) throw invalid(field, 'must not contain control characters');
  if (s.trim() !== s) throw invalid(field, 'must not start or end with whitespace');
  return s;
}

/** A metric, param or tag key, with MLflow's alphabet and no path tricks. */
export function key(field: string, value: unknown): string {
  const s = text(field, value, MAX_KEY_LENGTH);
  if (s === '') throw invalid(field, 'must not be empty');
  if (!KEY.test(s)) {
    throw invalid(
      field,
      'may contain only letters, digits, underscores, dashes, periods, spaces, colons and slashes',
      s,
    );
  }
  if (s.startsWith('/') || s.split('/').some((part) => part === '..' || part === '.')) {
    throw invalid(field, 'must be a relative path without "." or ".." segments', s);
  }
  return s;
}

/** Integers that arrive as JSON numbers or (int64 in protobuf JSON) as decimal strings. */
export function integer(field: string, value: unknown, min = Number.MIN_SAFE_INTEGER): number {
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    throw invalid(field, `must be an integer >= ${min === Number.MIN_SAFE_INTEGER ? '-2^53' : min}`, value);
  }
  return n;
}

/** Milliseconds since the epoch. */
export const timestamp = (field: string, value: unknown): number => integer(field, value, 0);

export function finite(field: string, value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(field, 'must be a finite number', value);
  return n;
}

export function tag(field: string, value: unknown, maxValue = MAX_TAG_VALUE_LENGTH): Tag {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(field, 'must be an object');
  const t = value as { key?: unknown; value?: unknown };
  return { key: key(`${field}.key`, t.key), value: text(`${field}.value`, t.value ?? '', maxValue) };
}

/** A list of {key, value}; a key given twice keeps its last value (as sequential set-tag calls would). */
export function tags(field: string, value: unknown, max = MAX_TAGS_PER_REQUEST): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'must be a list of {key, value}');
  if (value.length > max) throw invalid(field, `must hold at most ${max} entries`, value.length);
  const byKey = new Map<string, Tag>();
  value.forEach((v, i) => {
    const t = tag(`${field}[${i}]`, v);
    byKey.delete(t.key);
    byKey.set(t.key, t);
  });
  return [...byKey.values()];
}

/** Page size: 1..MAX_RESULTS, default `fallback`. */
export function maxResults(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = integer('max_results', value, 1);
  if (n > MAX_RESULTS) throw invalid('max_results', `must be at most ${MAX_RESULTS}`, n);
  return n;
}

/**
 * Page tokens are opaque to clients: base64url of {"o": offset}. The offset is bounded so a
 * forged token cannot ask the database to skip billions of rows.
 */
const MAX_OFFSET = 10_000_000;

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

export function decodePageToken(token: unknown, max = MAX_OFFSET): number {
  if (token === undefined || token === null || token === '') return 0;
  if (typeof token !== 'string' || token.length > 128 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw invalid('page_token', 'is not a token this server issued');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('page_token', 'is not a token this server issued');
  }
  const o = (parsed as { o?: unknown } | null)?.o;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0 || o > max) {
    throw invalid('page_token', 'is not a token this server issued');
  }
  return o;
}
