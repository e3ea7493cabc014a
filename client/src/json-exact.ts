/**
 * A JSON parser that keeps integers beyond Number.MAX_SAFE_INTEGER exact, as bigint.
 *
 * JSON.parse turns 9007199254740993 into 9007199254740992, which silently corrupts INT64/UINT64
 * tensors sent as JSON. The client parses with JSON.parse first and falls back to this slower
 * parser only when a 64-bit output holds an unsafe integer (Node 20 has no reviver `context.source`).
 * Everything except such integers comes out exactly as JSON.parse would produce it.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const WHITESPACE = /[ \t\n\r]*/y;
const MAX_DEPTH = 512;

export function parseJsonExact(text: string): unknown {
  let pos = 0;

  const fail = (what: string): never => {
    throw new SyntaxError(`Invalid JSON at position ${pos}: ${what}`);
  };
  const skipWhitespace = (): void => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.exec(text);
    pos = WHITESPACE.lastIndex;
  };
  const expect = (char: string): void => {
    skipWhitespace();
    if (text[pos] !== char) fail(`expected '${char}'`);
    pos += 1;
  };

  const parseString = (): string => {
    const start = pos;
    pos += 1; // opening quote
    for (;;) {
      const char = text[pos];
      if (char === undefined) return fail('unterminated string');
      if (char === '\\') pos += 2;
      else if (char === '"') break;
      else pos += 1;
    }
    pos += 1;
    // Escapes and control characters are validated and decoded by the native parser.
    return JSON.parse(text.slice(start, pos)) as string;
  };

  const parseValue = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWhitespace();
    const char = text[pos];
    if (char === '"') return parseString();
    if (char === '{') {
      pos += 1;
      const object: Record<string, unknown> = {};
      skipWhitespace();
      if (text[pos] === '}') {
        pos += 1;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail('expected a property name');
        const key = parseString();
        expect(':');
        // defineProperty: a "__proto__" key must become an own property, as with JSON.parse.
        Object.defineProperty(object, key, {
          value: parseValue(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipWhitespace();
        if (text[pos] === ',') pos += 1;
        else if (text[pos] === '}') {
          pos += 1;
          return object;
        } else fail("expected ',' or '}'");
      }
    }
    if (char === '[') {
      pos += 1;
      const array: unknown[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos += 1;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') pos += 1;
        else if (text[pos] === ']') {
          pos += 1;
          return array;
        } else fail("expected ',' or ']'");
      }
    }
    for (const [literal, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail('unexpected character');
    pos = NUMBER.lastIndex;
    const literal = match[0];
    const number = Number(literal);
    return INTEGER.test(literal) && !Number.isSafeInteger(number) ? BigInt(literal) : number;
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail('unexpected trailing characters');
  return value;
}
