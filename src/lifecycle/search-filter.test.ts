import { describe, expect, it } from 'vitest';
import { parseFilter, parseOrderBy } from './search-filter.js';
import { RUN_SEARCH_SPEC } from './tracking.js';
import { decodePageToken, encodePageToken } from './validation.js';

describe('parseFilter', () => {
  it('parses conjunctions of metric, param, tag and attribute clauses', () => {
    expect(
      parseFilter(
        "metrics.loss < 0.5 AND params.lr = '0.01' and tags.`my-tag` != \"x\" AND attributes.status = 'FINISHED' " +
          "AND tags.mlflow.runName LIKE 'a%' AND run_name ILIKE '%B%' AND metrics.acc >= -1e-3 AND start_time > 10",
        RUN_SEARCH_SPEC,
      ),
    ).toEqual([
      { kind: 'metric', key: 'loss', op: '<', value: 0.5 },
      { kind: 'param', key: 'lr', op: '=', value: '0.01' },
      { kind: 'tag', key: 'my-tag', op: '!=', value: 'x' },
      { kind: 'attribute', key: 'status', op: '=', value: 'FINISHED' },
      { kind: 'tag', key: 'mlflow.runName', op: 'LIKE', value: 'a%' },
      { kind: 'attribute', key: 'run_name', op: 'ILIKE', value: '%B%' },
      { kind: 'metric', key: 'acc', op: '>=', value: -0.001 },
      { kind: 'attribute', key: 'start_time', op: '>', value: 10 },
    ]);
  });

  it('handles quotes inside strings and empty filters', () => {
    expect(parseFilter("tags.note = 'it''s'", RUN_SEARCH_SPEC)).toEqual([
      { kind: 'tag', key: 'note', op: '=', value: "it's" },
    ]);
    expect(parseFilter('', RUN_SEARCH_SPEC)).toEqual([]);
    expect(parseFilter(undefined, RUN_SEARCH_SPEC)).toEqual([]);
  });

  it.each([
    ["metrics.acc > 'x'", /with a number/],
    ["params.lr > '1'", /cannot use > on text/],
    ['params.lr = 1', /quoted string/],
    ["attributes.lifecycle = 'x'", /cannot search attribute/],
    ['metrics.a > 1 OR metrics.b > 1', /OR is not supported/],
    ["params.lr IN ('a')", /IN/],
    ["tags.t = 'open", /unterminated/],
    ['metrics.a >', /ends where a value/],
    ["tags.t = 'a' tags.u = 'b'", /AND/],
    ['metrics.a ~ 1', /unexpected/],
  ])('refuses %s', (filter, message) => {
    expect(() => parseFilter(filter, RUN_SEARCH_SPEC)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', message: expect.stringMatching(message) }),
    );
  });

  it('refuses over-long filters and non-strings', () => {
    expect(() => parseFilter('x'.repeat(5000), RUN_SEARCH_SPEC)).toThrow(/at most 4096/);
    expect(() => parseFilter(42, RUN_SEARCH_SPEC)).toThrow(/must be a string/);
  });
});

describe('parseOrderBy', () => {
  it('parses directions and defaults to ascending', () => {
    expect(
      parseOrderBy(['metrics.acc DESC', 'attributes.start_time', 'params.`lr` asc'], RUN_SEARCH_SPEC),
    ).toEqual([
      { kind: 'metric', key: 'acc', ascending: false },
      { kind: 'attribute', key: 'start_time', ascending: true },
      { kind: 'param', key: 'lr', ascending: true },
    ]);
    expect(parseOrderBy('run_name', RUN_SEARCH_SPEC)).toEqual([
      { kind: 'attribute', key: 'run_name', ascending: true },
    ]);
    expect(() => parseOrderBy(['metrics.acc sideways'], RUN_SEARCH_SPEC)).toThrow(/ASC or DESC/);
    expect(() => parseOrderBy(['metrics.acc DESC x'], RUN_SEARCH_SPEC)).toThrow(/after the direction/);
  });
});

describe('page tokens', () => {
  it('round-trip offsets and refuse forged or foreign tokens', () => {
    expect(decodePageToken(encodePageToken(1234))).toBe(1234);
    expect(decodePageToken(undefined)).toBe(0);
    expect(() => decodePageToken('abc$')).toThrow(/not a token/);
    expect(() => decodePageToken(Buffer.from('{"o":-1}').toString('base64url'))).toThrow(/not a token/);
    expect(() => decodePageToken(encodePageToken(20_000_000))).toThrow(/not a token/);
  });
});
