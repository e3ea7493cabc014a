/**
 * JSON parsing with structural limits, for untrusted request bodies.
 *
 * `JSON.parse` itself copes with deep nesting, but everything that later walks the result
 * recursively (validation, our nested-data flattening, logging serializers) can overflow the stack
 * on a `[[[[…` bomb, and a body of a few MB can hold millions of tiny values. A single linear pass
 * over the text rejects both before any object is built (Triton has the same guard, see its
 * `test_json_recursion_depth_limit`). The pass only tracks strings and brackets; syntax errors are
 * left to `JSON.parse`, which reports them.
 */
import { KaleidoError } from '../errors.js';

export interface JsonLimits {
  /** Deepest allowed nesting of arrays/objects; the top-level container is depth 1. */
  readonly maxDepth: number;
  /** Most array elements plus object members in the whole document (unbounded when absent). */
  readonly maxElements?: number;
}

/** Generous for OIP requests: a rank-8 nested tensor inside a request is depth 11. */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

const isJsonWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Throws ERR_INVALID_JSON / ERR_PAYLOAD_TOO_LARGE if `text` breaks a limit; O(n), no allocation. */
function checkStructure(text: string, limits: JsonLimits): void {
  const maxElements = limits.maxElements ?? Infinity;
  let depth = 0;
  let elements = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character cannot end the string
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > limits.maxDepth) {
        throw new KaleidoError(
          'ERR_INVALID_JSON',
          `JSON nesting exceeds the maximum depth of ${limits.maxDepth}`,
          {
            details: { maxDepth: limits.maxDepth },
          },
        );
      }
      // A non-empty container holds one more element than it has commas.
      let j = i + 1;
      while (j < text.length && isJsonWhitespace(text.charCodeAt(j))) j++;
      const next = text.charCodeAt(j);
      if (j < text.length && next !== CLOSE_BRACKET && next !== CLOSE_BRACE) elements++;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === COMMA) {
      elements++;
    } else {
      continue;
    }
    if (elements > maxElements) {
      throw new KaleidoError(
        'ERR_PAYLOAD_TOO_LARGE',
        `JSON document holds more than ${maxElements} array elements and object members`,
        { details: { maxElements } },
      );
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses untrusted JSON text (a string, or UTF-8 bytes with an optional BOM) under `limits`.
 * Malformed input → ERR_INVALID_JSON carrying the parser's message; too deep → ERR_INVALID_JSON with
 * details `{ maxDepth }`; too many elements → ERR_PAYLOAD_TOO_LARGE with details `{ maxElements }`.
 */
export function parseJsonLimited(
  text: string | Uint8Array,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): unknown {
  let source: string;
  if (typeof text === 'string') {
    source = text;
  } else {
    try {
      source = utf8.decode(text);
    } catch {
      throw new KaleidoError('ERR_INVALID_JSON', 'JSON text is not valid UTF-8');
    }
  }
  checkStructure(source, limits);
  try {
    return JSON.parse(source) as unknown;
  } catch (e) {
    // Keep only the parser's message: it names the position, which helps the client, while the
    // stack would leak server internals.
    const message = e instanceof Error ? e.message : 'unparseable JSON';
    throw new KaleidoError('ERR_INVALID_JSON', `invalid JSON: ${message}`);
  }
}
