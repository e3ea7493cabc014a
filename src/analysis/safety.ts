/**
 * The safety step of every analysis: the modality's signals and the analyzers that did not
 * deliver go through the policy engine twice — as input (what the client sent) and as output
 * (what we return: the text with redactions) — and become one verdict with its reasons.
 */
import type { Stage } from '../core/pipeline/index.js';
import type { OperatorsByEntity, PiiCrypto } from '../core/safety/pii/index.js';
import {
  ACTION_SEVERITY,
  contentForStorage,
  evaluate,
  moreSevere,
  type AnalyzerFailure,
  type Decision,
  type Policy,
} from '../core/safety/policy/index.js';
import type { DirectedReason, Disclosure, SafetySignals, SafetyVerdict } from './types.js';

/**
 * Stages of safety analyzers that produced nothing, as policy failures named by task (the names
 * `requiredAnalyzers` uses). A skipped or unavailable analyzer did not check the content either,
 * so it counts: the policy, not this code, decides whether that blocks.
 */
export function safetyFailures(
  stages: readonly Stage[],
  isSafety: (analyzer: string) => boolean,
): AnalyzerFailure[] {
  return stages
    .filter((s) => s.status !== 'ok' && isSafety(s.analyzer))
    .map((s) => ({
      analyzer: s.analyzer.slice(s.analyzer.indexOf('/') + 1),
      error: `${s.status}: ${s.error ?? 'no result'}`,
      ...(s.timedOut === true ? { timedOut: true } : {}),
    }));
}

export interface VerdictOutcome {
  readonly verdict: SafetyVerdict;
  readonly disclosure: Disclosure;
  /** The redacted text, when something was redacted and the content is not blocked. */
  readonly text?: string;
}

export interface VerdictOptions {
  readonly operators?: OperatorsByEntity;
  readonly crypto?: PiiCrypto;
  readonly unchecked: readonly string[];
}

export function decide(
  policy: Policy,
  signals: SafetySignals,
  failures: readonly AnalyzerFailure[],
  options: VerdictOptions,
): VerdictOutcome {
  const common = { scores: signals.scores, piiFindings: signals.piiFindings, failures };
  const input = evaluate(policy, { direction: 'input', ...common });
  const output = evaluate(policy, { direction: 'output', ...common });
  const action = moreSevere(input.action, output.action);

  // A failure is the same fact in both directions: report it once (with the more severe action).
  const reasons: DirectedReason[] = input.reasons.map((r) => ({ ...r, direction: 'input' as const }));
  for (const r of output.reasons) {
    if (r.type === 'analyzer-failure') {
      const i = reasons.findIndex((x) => x.type === 'analyzer-failure' && x.analyzer === r.analyzer);
      if (i >= 0) {
        if (ACTION_SEVERITY[r.action] > ACTION_SEVERITY[(reasons[i] as DirectedReason).action]) {
          reasons[i] = { ...r, direction: 'output' };
        }
        continue;
      }
    }
    reasons.push({ ...r, direction: 'output' });
  }
  reasons.sort((a, b) => ACTION_SEVERITY[b.action] - ACTION_SEVERITY[a.action]);

  // Redactions asked for in either direction apply to what we return.
  const combined: Decision = {
    ...output,
    action,
    redactions: [...input.redactions, ...output.redactions],
  };
  let text: string | undefined;
  let redacted = false;
  const withhold = action === 'block';
  if (!withhold && signals.text !== undefined && combined.redactions.length > 0) {
    const stored = contentForStorage(combined, signals.text, {
      ...(options.operators === undefined ? {} : { operators: options.operators }),
      ...(options.crypto === undefined ? {} : { crypto: options.crypto }),
    });
    if (!stored.withheld && stored.redacted) {
      text = stored.text;
      redacted = true;
    }
  }
  const disclosure: Disclosure = {
    withhold,
    redacted: combined.redactions.flatMap((r) =>
      r.start !== undefined && r.end !== undefined ? [{ start: r.start, end: r.end }] : [],
    ),
    wholeTextRedacted: combined.redactions.some((r) => r.start === undefined || r.end === undefined),
  };
  return {
    verdict: {
      action,
      policy: input.policy,
      decisions: { input: input.action, output: output.action },
      reasons,
      scores: input.scores,
      modelVersions: input.modelVersions,
      failClosed: input.failClosed || output.failClosed,
      redacted,
      unchecked: options.unchecked,
    },
    disclosure,
    ...(text === undefined ? {} : { text }),
  };
}

/** True when a quote of [start, end) may be returned under `d`. */
export function mayQuote(d: Disclosure, start: number, end: number): boolean {
  if (d.withhold || d.wholeTextRedacted) return false;
  return !d.redacted.some((r) => r.start < end && start < r.end);
}
