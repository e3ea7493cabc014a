/** Shapes of the rule-based scorer's rules and tenant word lists. */
import type { SafetyCategory } from '../taxonomy.js';

/** One rule: a pattern that, when it matches, is evidence of `category` with confidence `weight`. */
export interface TextRule {
  /** Stable id, shown in spans and statements of reasons (`self-harm.intent.kill-myself`). */
  readonly id: string;
  readonly category: SafetyCategory;
  /** Written without flags; the scorer compiles it case-insensitive, global and unicode-aware. */
  readonly pattern: string;
  /** Confidence in (0, 1] that a match means the category applies. */
  readonly weight: number;
  /** Why the rule exists, for docs and audits. */
  readonly description: string;
  /**
   * When true, a negation ("not", "never", "don't" …) among the three words before the match
   * cancels it: "I would never kill myself" is not intent.
   */
  readonly negatable?: boolean;
}

/** A tenant-supplied word list (e.g. slurs in the tenant's languages), scored as `kind: 'lexicon'`. */
export interface Lexicon {
  readonly name: string;
  readonly version: string;
  readonly entries: ReadonlyArray<{
    readonly term: string;
    readonly category: SafetyCategory;
    readonly weight: number;
  }>;
}
