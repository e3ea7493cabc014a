import { describe, expect, it } from 'vitest';
import type { KaleidoError } from '../../errors.js';
import type { CategoryScore, ScoreSource } from '../taxonomy.js';
import type { FailureReason, Policy, RuleReason } from './index.js';
import { PII_SOURCE, evaluate } from './index.js';

const model: ScoreSource = { kind: 'model', name: 'toxic-bert', version: '1.2' };
const rules: ScoreSource = { kind: 'rules', name: 'kaleido-text-rules', version: '1.0.0' };

const policy: Policy = {
  id: 'p',
  version: '3',
  contentHash: 'sha256:abc',
  appliesTo: {},
  failMode: 'closed',
  rules: [
    { id: 'hate-block', category: 'hate', threshold: 0.8, action: 'block', direction: 'both' },
    { id: 'hate-flag', category: 'hate', threshold: 0.4, action: 'flag', direction: 'both' },
    { id: 'self-harm-review', category: 'self-harm', threshold: 0.5, action: 'review', direction: 'input' },
    { id: 'pii-redact', category: 'pii', threshold: 0.5, action: 'redact', direction: 'output' },
    { id: 'spam-redact', category: 'spam', threshold: 0.5, action: 'redact', direction: 'both' },
  ],
};

const score = (
  category: CategoryScore['category'],
  value: number,
  source = model,
  spans?: CategoryScore['spans'],
): CategoryScore => ({
  category,
  score: value,
  source,
  ...(spans !== undefined ? { spans } : {}),
});

describe('evaluate', () => {
  it('allows when nothing matches, and still lists what it considered', () => {
    const d = evaluate(policy, {
      direction: 'input',
      scores: [score('hate', 0.1), score('spam', 0.2, rules)],
    });
    expect(d.action).toBe('allow');
    expect(d.reasons).toEqual([]);
    expect(d.policy).toEqual({ id: 'p', version: '3', contentHash: 'sha256:abc' });
    expect(d.scores).toHaveLength(2);
    expect(d.modelVersions).toEqual([model, rules]);
    expect(d.failClosed).toBe(false);
  });

  it('takes the most severe matched rule and explains every match', () => {
    const d = evaluate(policy, {
      direction: 'input',
      scores: [score('hate', 0.9), score('self-harm/intent', 0.6, rules)],
    });
    expect(d.action).toBe('block');
    expect(d.reasons.map((r) => (r as RuleReason).ruleId)).toEqual([
      'hate-block',
      'self-harm-review',
      'hate-flag',
    ]);
    const review = d.reasons[1] as RuleReason;
    // A rule on the parent category covers the child's score.
    expect(review).toMatchObject({
      type: 'rule',
      category: 'self-harm/intent',
      ruleCategory: 'self-harm',
      score: 0.6,
      threshold: 0.5,
      action: 'review',
      source: rules,
    });
  });

  it('respects rule direction', () => {
    const s = [score('self-harm', 0.9)];
    expect(evaluate(policy, { direction: 'input', scores: s }).action).toBe('review');
    expect(evaluate(policy, { direction: 'output', scores: s }).action).toBe('allow');
  });

  it('matches at exactly the threshold', () => {
    expect(evaluate(policy, { direction: 'input', scores: [score('hate', 0.8)] }).action).toBe('block');
    expect(evaluate(policy, { direction: 'input', scores: [score('hate', 0.7999)] }).action).toBe('flag');
  });

  it('turns PII findings into pii scores with spans and redactions, filtered by the policy', () => {
    const withPii: Policy = {
      ...policy,
      pii: { entities: { EMAIL_ADDRESS: { type: 'replace' }, CREDIT_CARD: { type: 'mask' } }, minScore: 0.6 },
    };
    const d = evaluate(withPii, {
      direction: 'output',
      scores: [],
      piiFindings: [
        { entity: 'EMAIL_ADDRESS', start: 10, end: 25, score: 0.9, recognizer: 'email' },
        { entity: 'PHONE_NUMBER', start: 30, end: 40, score: 0.9, recognizer: 'phone' }, // not in the policy
        { entity: 'CREDIT_CARD', start: 50, end: 66, score: 0.55, recognizer: 'cc' }, // below minScore
      ],
    });
    expect(d.action).toBe('redact');
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]).toMatchObject({ ruleId: 'pii-redact', entity: 'EMAIL_ADDRESS', source: PII_SOURCE });
    expect(d.redactions).toEqual([
      { ruleId: 'pii-redact', category: 'pii', entity: 'EMAIL_ADDRESS', start: 10, end: 25 },
    ]);
    // Without a pii section every finding counts.
    const all = evaluate(policy, {
      direction: 'output',
      scores: [],
      piiSource: { kind: 'model', name: 'ner', version: '2' },
      piiFindings: [{ entity: 'PHONE_NUMBER', start: 0, end: 5, score: 0.7, recognizer: 'phone' }],
    });
    expect(all.redactions).toHaveLength(1);
    expect(all.modelVersions).toEqual([{ kind: 'model', name: 'ner', version: '2' }]);
  });

  it('redacts a span-less score as a whole', () => {
    const d = evaluate(policy, { direction: 'input', scores: [score('spam', 0.9)] });
    expect(d.redactions).toEqual([{ ruleId: 'spam-redact', category: 'spam' }]);
    const spanned = evaluate(policy, {
      direction: 'input',
      scores: [
        score('spam', 0.9, rules, [
          { start: 5, end: 9 },
          { start: 0, end: 3 },
        ]),
      ],
    });
    expect(spanned.redactions.map((r) => [r.start, r.end])).toEqual([
      [0, 3],
      [5, 9],
    ]);
  });

  describe('analyzer failures', () => {
    const failures = [
      { analyzer: 'toxicity-model', error: 'deadline exceeded after 250 ms', timedOut: true },
    ];

    it('fail closed: blocks and names the analyzer', () => {
      const d = evaluate(policy, { direction: 'input', scores: [], failures });
      expect(d.action).toBe('block');
      expect(d.failClosed).toBe(true);
      expect(d.reasons).toEqual([
        {
          type: 'analyzer-failure',
          analyzer: 'toxicity-model',
          error: 'deadline exceeded after 250 ms',
          timedOut: true,
          action: 'block',
          escalated: true,
        } satisfies FailureReason,
      ]);
    });

    it('fail closed to review when configured', () => {
      const d = evaluate(
        { ...policy, failAction: 'review' },
        { direction: 'input', scores: [score('hate', 0.5)], failures },
      );
      expect(d.action).toBe('review');
      expect(d.reasons[0]).toMatchObject({ type: 'analyzer-failure', action: 'review' });
      expect(d.reasons[1]).toMatchObject({ type: 'rule', ruleId: 'hate-flag' });
    });

    it('fail open: lets content through but records the unchecked pass', () => {
      const d = evaluate({ ...policy, failMode: 'open' }, { direction: 'input', scores: [], failures });
      expect(d.action).toBe('allow');
      expect(d.failClosed).toBe(false);
      expect(d.reasons).toEqual([
        expect.objectContaining({ type: 'analyzer-failure', action: 'allow', escalated: false }),
      ]);
    });

    it('only required analyzers escalate', () => {
      const p = { ...policy, requiredAnalyzers: ['pii'] };
      expect(evaluate(p, { direction: 'input', scores: [], failures }).action).toBe('allow');
      expect(
        evaluate(p, { direction: 'input', scores: [], failures: [{ analyzer: 'pii', error: 'boom' }] })
          .action,
      ).toBe('block');
    });
  });

  it('rejects malformed input with the field named', () => {
    const field = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as KaleidoError).details?.field;
      }
      return undefined;
    };
    expect(field(() => evaluate(policy, { direction: 'sideways' as 'input', scores: [] }))).toBe('direction');
    expect(field(() => evaluate(policy, { direction: 'input', scores: [score('hate', 1.2)] }))).toBe(
      'scores[0].score',
    );
    expect(
      field(() =>
        evaluate(policy, {
          direction: 'input',
          scores: [],
          piiFindings: [{ entity: 'URL', start: 5, end: 2, score: 1, recognizer: 'u' }],
        }),
      ),
    ).toBe('piiFindings[0]');
    expect(
      field(() =>
        evaluate(policy, {
          direction: 'input',
          scores: [],
          piiFindings: [{ entity: 'URL', start: 0, end: 2, score: 7, recognizer: 'u' }],
        }),
      ),
    ).toBe('piiFindings[0].score');
    expect(
      field(() =>
        evaluate(policy, { direction: 'input', scores: [], failures: [{ analyzer: '', error: 'x' }] }),
      ),
    ).toBe('failures[0].analyzer');
  });
});
