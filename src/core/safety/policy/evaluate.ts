/**
 * The policy engine: a pure, deterministic function from (policy, scores, failures) to a decision
 * with its statement of reasons.
 *
 * Semantics (docs/safety-policies.md states them for users):
 * - A rule matches a score when the rule's direction is the input's direction or `both`, the
 *   rule's category is the score's category or its parent, and score ≥ threshold.
 * - The decision's action is the most severe action of all matched rules and escalated
 *   failures; `allow` when none.
 * - Fail-closed: under `failMode: closed`, a failure of a required analyzer (every analyzer when
 *   `requiredAnalyzers` is absent) adds a reason with the policy's `failAction` (default block).
 *   Under `open` the failure is still recorded, with action allow, so nobody mistakes an
 *   unchecked pass for a checked one.
 */
import { KaleidoError } from '../../errors.js';
import type { CategoryScore, ScoreSource } from '../taxonomy.js';
import { categoryCovers, validateCategoryScore } from '../taxonomy.js';
import type {
  Decision,
  EvaluationInput,
  FailureReason,
  Policy,
  PolicyAction,
  PolicyPiiFinding,
  Reason,
  Redaction,
  RuleReason,
} from './types.js';
import { ACTION_SEVERITY, moreSevere } from './types.js';

/** The source stamped on PII scores when the caller does not name one. */
export const PII_SOURCE: ScoreSource = { kind: 'rules', name: 'kaleido-pii', version: '1.0.0' };

const invalid = (message: string, field: string): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details: { field } });

/** A PII finding as a `pii` score, unless the policy's PII section leaves its entity out. */
function piiScores(
  policy: Policy,
  findings: readonly PolicyPiiFinding[],
  source: ScoreSource,
): CategoryScore[] {
  const covered = policy.pii?.entities;
  const minScore = policy.pii?.minScore ?? 0;
  const out: CategoryScore[] = [];
  for (const [i, f] of findings.entries()) {
    if (!(Number.isInteger(f.start) && Number.isInteger(f.end) && f.start >= 0 && f.end >= f.start)) {
      throw invalid(
        `piiFindings[${i}]: start and end must be integers with 0 ≤ start ≤ end`,
        `piiFindings[${i}]`,
      );
    }
    if (!(Number.isFinite(f.score) && f.score >= 0 && f.score <= 1)) {
      throw invalid(`piiFindings[${i}].score: must be a number between 0 and 1`, `piiFindings[${i}].score`);
    }
    if (covered !== undefined && covered[f.entity] === undefined && covered.DEFAULT === undefined) continue;
    if (f.score < minScore) continue;
    out.push({
      category: 'pii',
      score: f.score,
      source,
      spans: [{ start: f.start, end: f.end, label: f.entity }],
    });
  }
  return out;
}

/** Code-unit order: unlike localeCompare it is the same on every machine and locale. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const sourceKey = (s: ScoreSource): string => `${s.kind}\u0000${s.name}\u0000${s.version}`;

function compareReasons(a: Reason, b: Reason): number {
  const bySeverity = ACTION_SEVERITY[b.action] - ACTION_SEVERITY[a.action];
  if (bySeverity !== 0) return bySeverity;
  if (a.type !== b.type) return a.type === 'analyzer-failure' ? -1 : 1;
  if (a.type === 'analyzer-failure' && b.type === 'analyzer-failure') return cmp(a.analyzer, b.analyzer);
  const ra = a as RuleReason;
  const rb = b as RuleReason;
  return (
    cmp(ra.ruleId, rb.ruleId) ||
    rb.score - ra.score ||
    cmp(ra.category, rb.category) ||
    cmp(sourceKey(ra.source), sourceKey(rb.source)) ||
    (ra.spans?.[0]?.start ?? -1) - (rb.spans?.[0]?.start ?? -1)
  );
}

/** Applies `policy` to one piece of content's scores; pure and deterministic. */
export function evaluate(policy: Policy, input: EvaluationInput): Decision {
  if (input.direction !== 'input' && input.direction !== 'output') {
    throw invalid(`direction: must be "input" or "output"`, 'direction');
  }
  input.scores.forEach((s, i) => validateCategoryScore(s, `scores[${i}]`));
  const scores = [
    ...input.scores,
    ...piiScores(policy, input.piiFindings ?? [], input.piiSource ?? PII_SOURCE),
  ];

  const reasons: Reason[] = [];
  const redactions: Redaction[] = [];
  let action: PolicyAction = 'allow';

  for (const rule of policy.rules) {
    if (rule.direction !== 'both' && rule.direction !== input.direction) continue;
    for (const s of scores) {
      if (!categoryCovers(rule.category, s.category) || s.score < rule.threshold) continue;
      const entity = s.category === 'pii' ? (s.spans?.[0]?.label as RuleReason['entity']) : undefined;
      reasons.push({
        type: 'rule',
        ruleId: rule.id,
        category: s.category,
        ruleCategory: rule.category,
        score: s.score,
        threshold: rule.threshold,
        action: rule.action,
        source: s.source,
        ...(s.spans !== undefined ? { spans: s.spans } : {}),
        ...(entity !== undefined ? { entity } : {}),
      });
      action = moreSevere(action, rule.action);
      if (rule.action === 'redact') {
        const base = { ruleId: rule.id, category: s.category, ...(entity !== undefined ? { entity } : {}) };
        // A score without spans (a whole-text model score) can only be redacted as a whole.
        if (s.spans === undefined || s.spans.length === 0) redactions.push(base);
        else for (const span of s.spans) redactions.push({ ...base, start: span.start, end: span.end });
      }
    }
  }

  let failClosed = false;
  const failAction: PolicyAction = policy.failAction ?? 'block';
  for (const [i, f] of (input.failures ?? []).entries()) {
    if (typeof f.analyzer !== 'string' || f.analyzer === '') {
      throw invalid(`failures[${i}].analyzer: must name the analyzer`, `failures[${i}].analyzer`);
    }
    const required = policy.requiredAnalyzers === undefined || policy.requiredAnalyzers.includes(f.analyzer);
    const escalated = policy.failMode === 'closed' && required;
    const reason: FailureReason = {
      type: 'analyzer-failure',
      analyzer: f.analyzer,
      error: String(f.error),
      timedOut: f.timedOut === true,
      action: escalated ? failAction : 'allow',
      escalated,
    };
    reasons.push(reason);
    if (escalated) {
      failClosed = true;
      action = moreSevere(action, failAction);
    }
  }

  const sources = new Map<string, ScoreSource>();
  for (const s of scores)
    sources.set(sourceKey(s.source), { kind: s.source.kind, name: s.source.name, version: s.source.version });

  return {
    action,
    direction: input.direction,
    policy: {
      id: policy.id,
      version: policy.version,
      ...(policy.contentHash !== undefined ? { contentHash: policy.contentHash } : {}),
    },
    reasons: reasons.sort(compareReasons),
    scores: scores.map((s) => ({ category: s.category, score: s.score, source: s.source })),
    modelVersions: [...sources.entries()].sort(([a], [b]) => cmp(a, b)).map(([, s]) => s),
    failClosed,
    redactions: redactions.sort(
      (a, b) => (a.start ?? -1) - (b.start ?? -1) || (a.end ?? -1) - (b.end ?? -1) || cmp(a.ruleId, b.ruleId),
    ),
  };
}
