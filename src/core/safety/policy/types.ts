/**
 * Policy-as-code contracts: what a moderation policy says, what the engine is given, and the
 * decision it returns with its machine-readable statement of reasons.
 *
 * The YAML form of a policy is parsed and validated outside core (src/safety/policy-schema.ts);
 * core receives the validated object and stays a pure function of it.
 */
import type { PiiEntity } from '../pii/types.js';
import type { CategoryScore, SafetyCategory, ScoreSource } from '../taxonomy.js';

/** What to do with content. Ordered by severity (see ACTION_SEVERITY). */
export const PolicyAction = {
  ALLOW: 'allow',
  FLAG: 'flag',
  REDACT: 'redact',
  REVIEW: 'review',
  BLOCK: 'block',
} as const;
export type PolicyAction = (typeof PolicyAction)[keyof typeof PolicyAction];

/**
 * block > review > redact > flag > allow. Review outranks redact because a human must see the
 * content before it goes anywhere; redact still lets (the rest of) it through automatically.
 */
export const ACTION_SEVERITY: Readonly<Record<PolicyAction, number>> = {
  allow: 0,
  flag: 1,
  redact: 2,
  review: 3,
  block: 4,
};

export const ALL_ACTIONS: readonly PolicyAction[] = Object.values(PolicyAction);

/** The more severe of two actions. */
export const moreSevere = (a: PolicyAction, b: PolicyAction): PolicyAction =>
  ACTION_SEVERITY[a] >= ACTION_SEVERITY[b] ? a : b;

/** `input`: what a client sends; `output`: what we return or store (model output, transcript). */
export type Direction = 'input' | 'output';
export type RuleDirection = Direction | 'both';

export interface PolicyRule {
  /** Unique within the policy; named in statements of reasons. */
  readonly id: string;
  /** A rule on a parent category (`self-harm`) also covers its children (`self-harm/intent`). */
  readonly category: SafetyCategory;
  /** The rule matches a score ≥ threshold (in [0, 1]). */
  readonly threshold: number;
  readonly action: PolicyAction;
  readonly direction: RuleDirection;
}

/**
 * How a PII entity is rewritten when a `redact` decision applies to it. Secrets are never in a
 * policy: hash and encrypt name a key (`keyRef`) that the deployment resolves.
 */
export type PiiOperatorSpec =
  | { readonly type: 'replace'; readonly newValue?: string }
  | {
      readonly type: 'mask';
      readonly maskingChar?: string;
      readonly charsToMask?: number;
      readonly fromEnd?: boolean;
      /** Mask all letters/digits but the last N, keeping separators. */
      readonly keepLast?: number;
    }
  | { readonly type: 'redact' }
  | { readonly type: 'keep' }
  | {
      readonly type: 'hash';
      readonly keyRef: string;
      readonly encoding?: 'hex' | 'base64';
      readonly truncate?: number;
    }
  | { readonly type: 'encrypt'; readonly keyRef: string };

export interface PolicyPii {
  /**
   * Entity types this policy acts on, each with its operator; `DEFAULT` covers every entity not
   * listed. Findings of entities not covered are ignored by the policy.
   */
  readonly entities: Readonly<Partial<Record<PiiEntity | 'DEFAULT', PiiOperatorSpec>>>;
  /** Findings scoring below this are ignored (default 0: the analyzer's own threshold decides). */
  readonly minScore?: number;
}

export interface Policy {
  readonly id: string;
  /** Declared version (`1`, `1.2`, `1.2.3`); must change whenever the content changes. */
  readonly version: string;
  /** SHA-256 of the canonical policy content, set by the loader; part of every decision. */
  readonly contentHash?: string;
  readonly description?: string;
  /** Absent: a policy for every tenant. */
  readonly tenant?: string;
  /** Where the policy applies; both absent or empty: everywhere (the tenant's default). */
  readonly appliesTo: { readonly routes?: readonly string[]; readonly pipelines?: readonly string[] };
  /** What a failed or timed-out analyzer means: `closed` escalates, `open` lets content through. */
  readonly failMode: 'closed' | 'open';
  /** The action of a fail-closed escalation (default `block`). */
  readonly failAction?: 'block' | 'review';
  /** Analyzers whose failure triggers fail-closed; absent: every analyzer. */
  readonly requiredAnalyzers?: readonly string[];
  readonly rules: readonly PolicyRule[];
  readonly pii?: PolicyPii;
}

/** A safety analyzer that did not produce its scores (threw, timed out, was unavailable). */
export interface AnalyzerFailure {
  /** The analyzer's name (e.g. `toxicity-model`, `pii`, `injection`). */
  readonly analyzer: string;
  /** A short message (never the analysed content). */
  readonly error: string;
  readonly timedOut?: boolean;
}

/** One PII finding as the policy needs it (structurally a pii `Finding`). */
export interface PolicyPiiFinding {
  readonly entity: PiiEntity;
  readonly start: number;
  readonly end: number;
  readonly score: number;
  readonly recognizer: string;
}

export interface EvaluationInput {
  readonly direction: Direction;
  readonly scores: readonly CategoryScore[];
  /** PII findings; each becomes a `pii` score with its span, filtered by `policy.pii`. */
  readonly piiFindings?: readonly PolicyPiiFinding[];
  /** Who produced `piiFindings` (default `PII_SOURCE`). */
  readonly piiSource?: ScoreSource;
  readonly failures?: readonly AnalyzerFailure[];
}

/** A rule that matched a score. */
export interface RuleReason {
  readonly type: 'rule';
  readonly ruleId: string;
  /** The score's category (may be a child of the rule's category). */
  readonly category: SafetyCategory;
  readonly ruleCategory: SafetyCategory;
  readonly score: number;
  readonly threshold: number;
  readonly action: PolicyAction;
  readonly source: ScoreSource;
  readonly spans?: CategoryScore['spans'];
  /** For PII scores: the entity type. */
  readonly entity?: PiiEntity;
}

/** An analyzer failed; `action` is the fail-closed action, or `allow` under fail-open. */
export interface FailureReason {
  readonly type: 'analyzer-failure';
  readonly analyzer: string;
  readonly error: string;
  readonly timedOut: boolean;
  readonly action: PolicyAction;
  /** False when the analyzer is not in `requiredAnalyzers` or the policy fails open. */
  readonly escalated: boolean;
}

export type Reason = RuleReason | FailureReason;

/** A span to rewrite before the content is returned or stored; no span means the whole text. */
export interface Redaction {
  readonly ruleId: string;
  readonly category: SafetyCategory;
  readonly entity?: PiiEntity;
  readonly start?: number;
  readonly end?: number;
}

/** The engine's answer: the action and its statement of reasons. */
export interface Decision {
  readonly action: PolicyAction;
  readonly direction: Direction;
  readonly policy: { readonly id: string; readonly version: string; readonly contentHash?: string };
  /** Every matched rule and every analyzer failure, most severe first. */
  readonly reasons: readonly Reason[];
  /** Every score the engine considered (without spans), so the statement shows what did not match too. */
  readonly scores: ReadonlyArray<{
    readonly category: SafetyCategory;
    readonly score: number;
    readonly source: ScoreSource;
  }>;
  /** Distinct models / rule sets behind the scores, sorted. */
  readonly modelVersions: readonly ScoreSource[];
  /** True when a failed analyzer escalated the action (fail-closed). */
  readonly failClosed: boolean;
  /**
   * What matched `redact` rules ask to rewrite. Applied whenever content is returned or stored
   * (also under flag and review); under block nothing is returned or stored at all.
   */
  readonly redactions: readonly Redaction[];
}
