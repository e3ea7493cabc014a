/**
 * The body framing of the binary tensor data extension: a JSON header of
 * `Inference-Header-Content-Length` bytes, then the tensors' raw bytes back to back in the order
 * the tensors are listed in the JSON.
 */
import { KaleidoError } from '../errors.js';
import { DEFAULT_JSON_LIMITS, parseJsonLimited } from './json-limits.js';
import type { JsonLimits } from './json-limits.js';

const utf8 = new TextEncoder();

/**
 * JSON header + binary chunks → one body. `headerLength` is the value for the
 * Inference-Header-Content-Length header. JSON that cannot be serialised (a bigint, a cycle) is a
 * server bug: ERR_INTERNAL.
 */
export function assembleBinaryBody(
  json: unknown,
  chunks: readonly Uint8Array[],
): { body: Uint8Array; headerLength: number } {
  let text: string;
  try {
    text = JSON.stringify(json);
  } catch (e) {
    throw new KaleidoError('ERR_INTERNAL', 'response header is not serialisable as JSON', { cause: e });
  }
  const header = utf8.encode(text);
  let total = header.length;
  for (const c of chunks) total += c.length;
  const body = new Uint8Array(total);
  body.set(header, 0);
  let at = header.length;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { body, headerLength: header.length };
}

const DECIMAL = /^\d{1,16}$/;

/**
 * Splits a request body at `headerLength` (the Inference-Header-Content-Length value, as a number
 * or as the raw header string) and parses the JSON part under `limits`.
 * A length that is negative, not an integer, or beyond the body → ERR_BINARY_HEADER.
 * A length of 0 means a raw binary request (the whole body is one input's bytes): `json` is then
 * undefined and the caller uses decodeRawInput.
 */
export function splitBinaryBody(
  body: Uint8Array,
  headerLength: number | string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): { json: unknown; binary: Uint8Array } {
  const length =
    typeof headerLength === 'number'
      ? headerLength
      : DECIMAL.test(headerLength.trim())
        ? Number(headerLength)
        : NaN;
  if (!Number.isSafeInteger(length) || length < 0 || length > body.length) {
    const shown =
      typeof headerLength === 'string' ? JSON.stringify(headerLength.slice(0, 32)) : String(headerLength);
    throw new KaleidoError(
      'ERR_BINARY_HEADER',
      `Inference-Header-Content-Length ${shown} must be an integer between 0 and the body length ${body.length}`,
      { details: { headerLength: shown, bodyLength: body.length } },
    );
  }
  if (length === 0) return { json: undefined, binary: body };
  return { json: parseJsonLimited(body.subarray(0, length), limits), binary: body.subarray(length) };
}
