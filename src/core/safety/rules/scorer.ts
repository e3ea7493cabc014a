/**
 * A transparent, rule-based text scorer for the categories where this machine has no model.
 *
 * Every rule is a documented regular expression with a weight; a category's score is the
 * noisy-OR of the weights of its rules that matched (1 − Π(1 − wᵢ)), so one strong phrase scores
 * its weight, and independent weak cues add up without ever passing 1. Each match is returned as
 * a span labelled with the rule id, so a statement of reasons can point at the words.
 *
 * This is deliberately weak and says so (`source.kind: 'rules'`): English only, no notion of
 * sarcasm, fiction or reported speech beyond a short negation window. Profanity (obscenity) and
 * sentiment (wink-nlp) are scored by the text modality; their scores enter the policy directly.
 */
import { KaleidoError } from '../../errors.js';
import type { CategoryScore, SafetyCategory, ScoreSource, ScoreSpan } from '../taxonomy.js';
import { isSafetyCategory } from '../taxonomy.js';
import { DEFAULT_TEXT_RULES } from './rules.js';
import type { Lexicon, TextRule } from './types.js';

export interface RuleTextScorerOptions {
  /** Replaces the built-in rules (default `DEFAULT_TEXT_RULES`). */
  readonly rules?: readonly TextRule[];
  /** Extra word lists; matched as whole words, case-insensitive. */
  readonly lexicons?: readonly Lexicon[];
  /** Longest text accepted, in UTF-16 code units (default 1 000 000). */
  readonly maxTextLength?: number;
}

/** Name and version of the built-in rule set; bump the version whenever a rule or weight changes. */
export const TEXT_RULES_SOURCE: ScoreSource = { kind: 'rules', name: 'kaleido-text-rules', version: '1.0.0' };

const NEGATIONS = new Set([
  'not',
  'never',
  "don't",
  'dont',
  "won't",
  'wont',
  'no',
  "wouldn't",
  "can't",
  'cannot',
]);

interface Compiled {
  readonly id: string;
  readonly category: SafetyCategory;
  readonly re: RegExp;
  readonly weight: number;
  readonly negatable: boolean;
}

const bad = (message: string, details: Record<string, unknown>): KaleidoError =>
  new KaleidoError('ERR_BAD_CONFIG', message, { details });

function compile(
  id: string,
  category: string,
  pattern: string,
  weight: number,
  negatable: boolean,
): Compiled {
  if (!isSafetyCategory(category))
    throw bad(`rule ${id}: unknown category "${category}"`, { field: `${id}.category` });
  if (!(Number.isFinite(weight) && weight > 0 && weight <= 1)) {
    throw bad(`rule ${id}: weight must be in (0, 1]`, { field: `${id}.weight`, value: weight });
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'giu');
  } catch (cause) {
    throw new KaleidoError('ERR_BAD_CONFIG', `rule ${id}: invalid pattern`, {
      details: { field: `${id}.pattern` },
      cause,
    });
  }
  // A pattern that can match the empty string would loop forever and mean nothing.
  if (re.test('')) throw bad(`rule ${id}: pattern matches the empty string`, { field: `${id}.pattern` });
  return { id, category, re, weight, negatable };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Curly apostrophes and quotes become straight ones so "I’m" matches "I'm". The replacement is
 * one UTF-16 unit for one, so offsets in the normalised text are offsets in the original.
 */
export const normalizeQuotes = (text: string): string => text.replace(/[\u2018\u2019\u02bc]/g, "'");

function negatedBefore(text: string, index: number): boolean {
  const words = text
    .slice(Math.max(0, index - 40), index)
    .toLowerCase()
    .split(/[^\p{L}']+/u)
    .filter((w) => w !== '');
  return words.slice(-3).some((w) => NEGATIONS.has(w));
}

export class RuleTextScorer {
  private readonly rules: readonly Compiled[];
  private readonly lexicons: ReadonlyArray<{ source: ScoreSource; rules: readonly Compiled[] }>;
  private readonly maxLength: number;

  constructor(options: RuleTextScorerOptions = {}) {
    const rules = options.rules ?? DEFAULT_TEXT_RULES;
    const ids = new Set<string>();
    this.rules = rules.map((r) => {
      if (ids.has(r.id)) throw bad(`duplicate rule id ${r.id}`, { field: r.id });
      ids.add(r.id);
      return compile(r.id, r.category, r.pattern, r.weight, r.negatable === true);
    });
    this.lexicons = (options.lexicons ?? []).map((lex) => ({
      source: { kind: 'lexicon', name: lex.name, version: lex.version },
      rules: lex.entries.map((e, i) => {
        if (e.term.trim() === '')
          throw bad(`lexicon ${lex.name}: entry ${i} is empty`, { field: `${lex.name}[${i}]` });
        // Whole words only, with any run of spaces between the words of a phrase.
        const body = e.term.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
        return compile(
          `${lex.name}:${e.term}`,
          e.category,
          `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`,
          e.weight,
          false,
        );
      }),
    }));
    this.maxLength = options.maxTextLength ?? 1_000_000;
  }

  /** Scores `text`; only categories with at least one match are returned, highest score first. */
  score(text: string): CategoryScore[] {
    if (typeof text !== 'string')
      throw new KaleidoError('ERR_VALIDATION', 'text must be a string', { details: { field: 'text' } });
    if (text.length > this.maxLength) {
      throw new KaleidoError('ERR_VALIDATION', `text is longer than ${this.maxLength} characters`, {
        details: { field: 'text', length: text.length },
      });
    }
    const normalized = normalizeQuotes(text);
    const out = [...this.run(normalized, this.rules, TEXT_RULES_SOURCE)];
    for (const lex of this.lexicons) out.push(...this.run(normalized, lex.rules, lex.source));
    return out.sort(
      (a, b) => b.score - a.score || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0),
    );
  }

  private run(text: string, rules: readonly Compiled[], source: ScoreSource): CategoryScore[] {
    const byCategory = new Map<SafetyCategory, { miss: number; spans: ScoreSpan[] }>();
    for (const rule of rules) {
      rule.re.lastIndex = 0;
      let matched = false;
      for (const m of text.matchAll(rule.re)) {
        if (rule.negatable && negatedBefore(text, m.index)) continue;
        const acc = byCategory.get(rule.category) ?? { miss: 1, spans: [] };
        acc.spans.push({ start: m.index, end: m.index + m[0].length, label: rule.id });
        // A rule counts once however often it matches: repetition is not independent evidence.
        if (!matched) acc.miss *= 1 - rule.weight;
        matched = true;
        byCategory.set(rule.category, acc);
      }
    }
    return [...byCategory.entries()].map(([category, acc]) => ({
      category,
      score: 1 - acc.miss,
      source,
      spans: acc.spans.sort((a, b) => a.start - b.start || a.end - b.end),
    }));
  }
}
