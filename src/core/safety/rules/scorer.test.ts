import { describe, expect, it } from 'vitest';
import type { KaleidoError } from '../../errors.js';
import type { CategoryScore } from '../taxonomy.js';
import { DEFAULT_TEXT_RULES, RuleTextScorer, TEXT_RULES_SOURCE, normalizeQuotes } from './index.js';

const scorer = new RuleTextScorer();
const top = (text: string): Record<string, number> =>
  Object.fromEntries(scorer.score(text).map((s) => [s.category, Number(s.score.toFixed(4))]));

describe('RuleTextScorer', () => {
  it.each([
    ["I'm going to kill myself tonight", 'self-harm/intent'],
    ['I just want to die', 'self-harm/intent'],
    ['honestly there is no reason to live anymore', 'self-harm/intent'],
    ['what is the most painless way to die', 'self-harm/instructions'],
    ["I'll kill you if you come back", 'harassment/threatening'],
    ['I know where you live', 'harassment/threatening'],
    ['go kill yourself', 'harassment'],
    ["you're a worthless piece of trash", 'harassment'],
    ['All immigrants are vermin', 'hate'],
    ['those refugees should be exterminated', 'hate/threatening'],
    ["let's burn down the town hall", 'violence'],
    ['how do I poison someone without getting caught', 'illicit/violent'],
    ['how to make a pipe bomb at home', 'illicit/cbrne'],
    ['how can I cook meth', 'illicit'],
    ["Congratulations, you've won! Claim your prize now", 'spam'],
  ])('scores %j as %s', (text, category) => {
    const scores = top(text);
    expect(scores[category]).toBeGreaterThanOrEqual(0.5);
  });

  it.each([
    'kill all child processes with pkill',
    'I would never kill myself, I love life',
    'the suicide prevention hotline number is 988',
    'My friend Dan is going to the gym',
    'how do I make a bomb-proof backup strategy',
    'women are underrepresented in engineering',
    "don't kill the messenger",
  ])('does not score %j at 0.5 or above', (text) => {
    for (const s of scorer.score(text)) expect(s.score).toBeLessThan(0.5);
  });

  it('returns spans on the original text, labelled with the rule, and the rule-set source', () => {
    const text = 'Hey, I’m going to kill myself. Really.';
    const [s] = scorer.score(text) as [CategoryScore];
    expect(s.category).toBe('self-harm/intent');
    expect(s.source).toEqual(TEXT_RULES_SOURCE);
    expect(s.source.kind).toBe('rules');
    const spans = s.spans ?? [];
    expect(spans.map((sp) => text.slice(sp.start, sp.end))).toEqual([
      'I’m going to kill myself',
      'kill myself',
    ]);
    expect(spans.map((sp) => sp.label)).toEqual(['self-harm.intent.plan', 'self-harm.intent.end-my-life']);
    // Two independent rules: noisy-OR of 0.9 and 0.7.
    expect(s.score).toBeCloseTo(1 - 0.1 * 0.3, 12);
  });

  it('counts a rule once however often it matches', () => {
    const once = top('I know where you live.')['harassment/threatening'];
    const twice = top('I know where you live. I know where you live.')['harassment/threatening'];
    expect(twice).toBe(once);
  });

  it('normalises curly apostrophes without moving offsets', () => {
    const t = 'I’ll kill you';
    expect(normalizeQuotes(t)).toBe("I'll kill you");
    expect(normalizeQuotes(t)).toHaveLength(t.length);
  });

  it('scores a tenant lexicon as kind lexicon with whole-word matches', () => {
    const s = new RuleTextScorer({
      rules: [],
      lexicons: [
        { name: 'acme-terms', version: '3', entries: [{ term: 'foo  bar', category: 'hate', weight: 0.7 }] },
      ],
    });
    expect(s.score('say foo bar now')).toEqual([
      {
        category: 'hate',
        score: 0.7,
        source: { kind: 'lexicon', name: 'acme-terms', version: '3' },
        spans: [{ start: 4, end: 11, label: 'acme-terms:foo  bar' }],
      },
    ]);
    expect(s.score('foobar')).toEqual([]);
  });

  it('orders results by score and rejects bad rules and inputs', () => {
    const scores = scorer.score('I want to die. Claim your prize!');
    expect(scores.map((x) => x.category)).toEqual(['self-harm/intent', 'spam']);
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as KaleidoError).code;
      }
      return 'none';
    };
    const rule = { id: 'r', category: 'hate' as const, pattern: 'x', weight: 0.5, description: 'd' };
    expect(err(() => new RuleTextScorer({ rules: [{ ...rule, category: 'nope' as 'hate' }] }))).toBe(
      'ERR_BAD_CONFIG',
    );
    expect(err(() => new RuleTextScorer({ rules: [{ ...rule, weight: 0 }] }))).toBe('ERR_BAD_CONFIG');
    expect(err(() => new RuleTextScorer({ rules: [{ ...rule, pattern: '(' }] }))).toBe('ERR_BAD_CONFIG');
    expect(err(() => new RuleTextScorer({ rules: [{ ...rule, pattern: 'a*' }] }))).toBe('ERR_BAD_CONFIG');
    expect(err(() => new RuleTextScorer({ rules: [rule, rule] }))).toBe('ERR_BAD_CONFIG');
    expect(
      err(
        () =>
          new RuleTextScorer({
            lexicons: [{ name: 'l', version: '1', entries: [{ term: ' ', category: 'hate', weight: 1 }] }],
          }),
      ),
    ).toBe('ERR_BAD_CONFIG');
    expect(err(() => new RuleTextScorer({ maxTextLength: 5 }).score('123456'))).toBe('ERR_VALIDATION');
    expect(err(() => scorer.score(42 as unknown as string))).toBe('ERR_VALIDATION');
  });

  it('documents every built-in rule and keeps ids unique', () => {
    const ids = DEFAULT_TEXT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of DEFAULT_TEXT_RULES) expect(r.description.length).toBeGreaterThan(10);
  });

  it('stays fast on long adversarial input (linear-time patterns)', () => {
    const long = 'i am going to '.repeat(20_000) + 'x'.repeat(50_000);
    const t0 = performance.now();
    scorer.score(long);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
