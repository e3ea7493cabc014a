/** Transparent rule-based text scoring for categories with no model on this machine. */
export { RuleTextScorer, TEXT_RULES_SOURCE, normalizeQuotes } from './scorer.js';
export type { RuleTextScorerOptions } from './scorer.js';
export { DEFAULT_TEXT_RULES } from './rules.js';
export type { Lexicon, TextRule } from './types.js';
