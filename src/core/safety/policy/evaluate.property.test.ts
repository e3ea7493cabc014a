import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CategoryScore, SafetyCategory } from '../taxonomy.js';
import type { Direction, Policy, PolicyAction, PolicyRule } from './index.js';
import { ACTION_SEVERITY, ALL_ACTIONS, evaluate } from './index.js';

// A small category set so that rules and scores collide often, parents and children included.
const CATEGORIES: SafetyCategory[] = [
  'hate',
  'hate/threatening',
  'self-harm',
  'self-harm/intent',
  'spam',
  'pii',
];

const ruleArb: fc.Arbitrary<PolicyRule> = fc.record({
  id: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6'),
  category: fc.constantFrom(...CATEGORIES),
  threshold: fc.double({ min: 0, max: 1, noNaN: true }),
  action: fc.constantFrom(...ALL_ACTIONS),
  direction: fc.constantFrom('input', 'output', 'both'),
});

const policyArb: fc.Arbitrary<Policy> = fc.record({
  id: fc.constant('prop'),
  version: fc.constant('1'),
  appliesTo: fc.constant({}),
  failMode: fc.constantFrom('closed', 'open'),
  failAction: fc.constantFrom('block', 'review'),
  rules: fc.uniqueArray(ruleArb, { selector: (r) => r.id, maxLength: 6 }),
});

const scoreArb: fc.Arbitrary<CategoryScore> = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  source: fc.constantFrom(
    { kind: 'model' as const, name: 'm', version: '1' },
    { kind: 'rules' as const, name: 'r', version: '2' },
  ),
});

const directionArb = fc.constantFrom<Direction>('input', 'output');
const maxSeverity = (actions: readonly PolicyAction[]): number =>
  Math.max(0, ...actions.map((a) => ACTION_SEVERITY[a]));

describe('evaluate (properties)', () => {
  it('the action is the most severe action among the reasons; allow only when nothing above allow matched', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(scoreArb, { maxLength: 8 }),
        directionArb,
        (policy, scores, direction) => {
          const d = evaluate(policy, { direction, scores });
          expect(ACTION_SEVERITY[d.action]).toBe(maxSeverity(d.reasons.map((r) => r.action)));
          const anyMatch = policy.rules.some(
            (r) =>
              r.action !== 'allow' &&
              (r.direction === 'both' || r.direction === direction) &&
              scores.some(
                (s) =>
                  (s.category === r.category || s.category.startsWith(`${r.category}/`)) &&
                  s.score >= r.threshold,
              ),
          );
          expect(d.action === 'allow').toBe(!anyMatch);
        },
      ),
    );
  });

  it('raising a score never lowers the severity', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(scoreArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        directionArb,
        (policy, scores, pick, bump, direction) => {
          const i = pick % scores.length;
          const before = evaluate(policy, { direction, scores });
          const higher = scores.map((s, j) =>
            j === i ? { ...s, score: Math.min(1, s.score + bump * (1 - s.score)) } : s,
          );
          const after = evaluate(policy, { direction, scores: higher });
          expect(ACTION_SEVERITY[after.action]).toBeGreaterThanOrEqual(ACTION_SEVERITY[before.action]);
          // Adding a score never lowers it either.
          const added = evaluate(policy, { direction, scores: [...scores, scores[i] as CategoryScore] });
          expect(ACTION_SEVERITY[added.action]).toBeGreaterThanOrEqual(ACTION_SEVERITY[before.action]);
        },
      ),
    );
  });

  it('is deterministic: the order of scores does not change the decision', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(scoreArb, { maxLength: 6 }),
        directionArb,
        (policy, scores, direction) => {
          const a = evaluate(policy, { direction, scores });
          const b = evaluate(policy, { direction, scores: [...scores].reverse() });
          expect(b.action).toBe(a.action);
          expect(b.reasons).toEqual(a.reasons);
          expect(b.modelVersions).toEqual(a.modelVersions);
        },
      ),
    );
  });

  it('a failure under fail-closed never yields less than the fail action', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(scoreArb, { maxLength: 4 }),
        directionArb,
        (policy, scores, direction) => {
          const d = evaluate(policy, {
            direction,
            scores,
            failures: [{ analyzer: 'model', error: 'timeout' }],
          });
          if (policy.failMode === 'closed') {
            expect(d.failClosed).toBe(true);
            expect(ACTION_SEVERITY[d.action]).toBeGreaterThanOrEqual(
              ACTION_SEVERITY[policy.failAction ?? 'block'],
            );
          } else {
            expect(d.failClosed).toBe(false);
            expect(d.action).toBe(evaluate(policy, { direction, scores }).action);
          }
        },
      ),
    );
  });
});
