import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KaleidoError } from '../core/errors.js';
import { formatPath, parsePolicy, parsePolicyYaml } from './index.js';

const valid = {
  id: 'acme-chat',
  version: '2.1.0',
  tenant: 'acme',
  appliesTo: { routes: ['/v1/analyze'], pipelines: ['chat'] },
  failMode: 'closed',
  failAction: 'review',
  requiredAnalyzers: ['toxicity-model'],
  rules: [
    { id: 'hate', category: 'hate', threshold: 0.7, action: 'block', direction: 'both' },
    { id: 'pii', category: 'pii', threshold: 0.5, action: 'redact', direction: 'output' },
    { id: 'inj', category: 'prompt-injection', threshold: 0.5, action: 'review' },
  ],
  pii: {
    minScore: 0.6,
    entities: { DEFAULT: { type: 'replace' }, US_SSN: { type: 'hash', keyRef: 'ssn-key', truncate: 16 } },
  },
};

/** The ERR_BAD_CONFIG message of parsing `doc`, or 'accepted'. */
const rejection = (doc: unknown): string => {
  try {
    parsePolicy(doc);
    return 'accepted';
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    expect((e as KaleidoError).code).toBe('ERR_BAD_CONFIG');
    const msg = (e as KaleidoError).message;
    expect(msg.startsWith(`${String((e as KaleidoError).details?.field)}: `)).toBe(true);
    return msg;
  }
};

const withRule = (i: number, patch: Record<string, unknown>): unknown => ({
  ...valid,
  rules: valid.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)),
});

describe('policy schema', () => {
  it('accepts a full policy and fills defaults', () => {
    const p = parsePolicy(valid);
    expect(p.rules[2]?.direction).toBe('both');
    expect(p.version).toBe('2.1.0');
    const minimal = parsePolicy({ id: 'm', version: 3, rules: [] });
    expect(minimal).toEqual({ id: 'm', version: '3', appliesTo: {}, failMode: 'closed', rules: [] });
  });

  it.each([
    [withRule(2, { threshold: 1.5 }), 'rules[2].threshold: must be between 0 and 1'],
    [withRule(0, { threshold: -0.1 }), 'rules[0].threshold: must be between 0 and 1'],
    [withRule(1, { threshold: 'high' }), 'rules[1].threshold: must be a number between 0 and 1'],
    [withRule(1, { threshold: undefined }), 'rules[1].threshold: is required'],
    [withRule(0, { category: 'rudeness' }), 'rules[0].category: unknown category "rudeness"'],
    [withRule(0, { action: 'delete' }), 'rules[0].action: must be one of allow, flag, redact, review, block'],
    [withRule(0, { direction: 'sideways' }), 'rules[0].direction: must be input, output or both'],
    [withRule(1, { id: 'hate' }), 'rules[1].id: duplicate rule id "hate" (also rules[0])'],
    [withRule(0, { id: 'has space' }), 'rules[0].id: must be 1–128 letters'],
    [withRule(0, { severity: 3 }), 'rules[0].severity: is not a policy field'],
    [{ ...valid, version: 1.5 }, 'version: quote a dotted version'],
    [{ ...valid, version: 'v2' }, 'version: must be MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH'],
    [{ ...valid, version: undefined }, 'version: is required'],
    [{ ...valid, id: undefined }, 'id: is required'],
    [{ ...valid, rules: undefined }, 'rules: is required'],
    [{ ...valid, rules: 'all' }, 'rules: must be a list of rules'],
    [{ ...valid, failMode: 'maybe' }, 'failMode: must be closed or open'],
    [{ ...valid, failAction: 'flag' }, 'failAction: must be block or review'],
    [{ ...valid, tenant: '' }, 'tenant: must not be empty'],
    [{ ...valid, appliesTo: { routes: [''] } }, 'appliesTo.routes[0]: must not be empty'],
    [{ ...valid, appliesTo: { hosts: ['x'] } }, 'appliesTo.hosts: is not a policy field'],
    [{ ...valid, pii: { entities: { SHOE_SIZE: { type: 'redact' } } } }, 'pii.entities.SHOE_SIZE'],
    [{ ...valid, pii: { entities: { US_SSN: { type: 'hash' } } } }, 'pii.entities.US_SSN.keyRef'],
    [{ ...valid, pii: { entities: { US_SSN: { type: 'shred' } } } }, 'pii.entities.US_SSN.type'],
    [
      { ...valid, pii: { entities: { URL: { type: 'mask', maskingChar: '##' } } } },
      'pii.entities.URL.maskingChar: must be exactly one character',
    ],
    [{ ...valid, pii: { minScore: 2, entities: {} } }, 'pii.minScore: must be between 0 and 1'],
    [{ ...valid, owner: 'me' }, 'owner: is not a policy field'],
    ['just a string', '(root):'],
  ])('rejects a bad policy naming the field (%#)', (doc, expected) => {
    expect(rejection(doc)).toContain(expected);
  });

  it('parses YAML and prefixes errors with the origin', () => {
    expect(parsePolicyYaml(stringify(valid)).id).toBe('acme-chat');
    expect(() => parsePolicyYaml('id: [unclosed', 'policies/x.yaml')).toThrow(
      /^policies\/x\.yaml: not valid YAML/,
    );
    try {
      parsePolicyYaml(stringify(withRule(2, { threshold: 7 })), 'policies/acme.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as KaleidoError).message).toBe(
        'policies/acme.yaml: rules[2].threshold: must be between 0 and 1',
      );
      expect((e as KaleidoError).details).toEqual({
        field: 'rules[2].threshold',
        file: 'policies/acme.yaml',
      });
    }
  });

  it('formats paths', () => {
    expect(formatPath(['rules', 2, 'threshold'])).toBe('rules[2].threshold');
    expect(formatPath([])).toBe('(root)');
  });
});
