import { KaleidoError } from '../../errors.js';
import type { AnalysisContext, Finding, PiiEntity, Recognizer } from './types.js';
import { isPiiEntity } from './types.js';
import { containsPhrase, wordsAfter, wordsBefore } from './text.js';

export interface PiiAnalyzerOptions {
  readonly recognizers: readonly Recognizer[];
  /** Findings scoring below this are dropped (default 0.5). */
  readonly scoreThreshold?: number;
  /** Added to a finding's score when a context word is near (default 0.35, as Presidio). */
  readonly contextBoost?: number;
  /** A finding with a context word scores at least this (default 0.4, as Presidio). */
  readonly contextMinScore?: number;
  /** Subtracted when only a negative context word is near (default 0.45: a 0.6–0.8 look-alike drops below 0.5). */
  readonly negativeContextPenalty?: number;
  /** Words before / after a finding searched for context words (default 6 / 0). */
  readonly contextWordsBefore?: number;
  readonly contextWordsAfter?: number;
  /** Longest text accepted, in UTF-16 code units (default 1 000 000). */
  readonly maxTextLength?: number;
}

export interface AnalyzeOptions {
  /** Only these entity types (default: all the recognizers know). */
  readonly entities?: readonly PiiEntity[];
  /** Overrides the analyzer's threshold for this call. */
  readonly scoreThreshold?: number;
  readonly language?: string;
  /** Regions for national phone formats, in order of preference (default ['US']). */
  readonly regions?: readonly string[];
  /** Exact values never reported (e.g. the support line's own phone number). */
  readonly allowList?: readonly string[];
}

/**
 * Runs recognizers over a text and turns their raw findings into a clean answer: context
 * enhancement (Presidio's scheme: a context word within a few words before a finding adds a
 * boost; our negative context words subtract one), threshold, and overlap resolution (higher
 * score first, then the longer span, then the earlier start), results sorted by start.
 */
export class PiiAnalyzer {
  private readonly recognizers: readonly Recognizer[];
  private readonly threshold: number;
  private readonly boost: number;
  private readonly minWithContext: number;
  private readonly penalty: number;
  private readonly before: number;
  private readonly after: number;
  private readonly maxLength: number;

  constructor(options: PiiAnalyzerOptions) {
    const unit = (name: string, v: number | undefined, dflt: number): number => {
      const value = v ?? dflt;
      if (!Number.isFinite(value) || value < 0 || value > 1) {
        throw new KaleidoError('ERR_BAD_CONFIG', `${name} must be a number in [0, 1]`, {
          details: { field: name, value },
        });
      }
      return value;
    };
    const count = (name: string, v: number | undefined, dflt: number, max: number): number => {
      const value = v ?? dflt;
      if (!Number.isInteger(value) || value < 0 || value > max) {
        throw new KaleidoError('ERR_BAD_CONFIG', `${name} must be an integer in [0, ${max}]`, {
          details: { field: name, value },
        });
      }
      return value;
    };
    const names = new Set<string>();
    for (const r of options.recognizers) {
      if (names.has(r.name)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `two recognizers are named ${r.name}`, {
          details: { field: 'recognizers', name: r.name },
        });
      }
      names.add(r.name);
    }
    this.recognizers = [...options.recognizers];
    this.threshold = unit('scoreThreshold', options.scoreThreshold, 0.5);
    this.boost = unit('contextBoost', options.contextBoost, 0.35);
    this.minWithContext = unit('contextMinScore', options.contextMinScore, 0.4);
    this.penalty = unit('negativeContextPenalty', options.negativeContextPenalty, 0.45);
    this.before = count('contextWordsBefore', options.contextWordsBefore, 6, 50);
    this.after = count('contextWordsAfter', options.contextWordsAfter, 0, 50);
    this.maxLength = count('maxTextLength', options.maxTextLength, 1_000_000, Number.MAX_SAFE_INTEGER);
  }

  /** Entity types the configured recognizers can find. */
  get supportedEntities(): PiiEntity[] {
    return [...new Set(this.recognizers.flatMap((r) => r.entities))];
  }

  analyze(text: string, options: AnalyzeOptions = {}): Finding[] {
    if (typeof text !== 'string') {
      throw new KaleidoError('ERR_VALIDATION', 'text must be a string', { details: { field: 'text' } });
    }
    if (text.length > this.maxLength) {
      throw new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `text is longer than ${this.maxLength} characters`, {
        details: { length: text.length, maxTextLength: this.maxLength },
      });
    }
    for (const e of options.entities ?? []) {
      if (!isPiiEntity(e)) {
        throw new KaleidoError('ERR_VALIDATION', `unknown PII entity ${String(e)}`, {
          details: { field: 'entities', value: e },
        });
      }
    }
    const threshold = options.scoreThreshold ?? this.threshold;
    const wanted = options.entities === undefined ? undefined : new Set<string>(options.entities);
    const allow = new Set(options.allowList ?? []);
    const context: AnalysisContext = {
      language: options.language ?? 'en',
      regions: options.regions !== undefined && options.regions.length > 0 ? options.regions : ['US'],
    };

    const raw: Finding[] = [];
    for (const recognizer of this.recognizers) {
      if (wanted !== undefined && !recognizer.entities.some((e) => wanted.has(e))) continue;
      for (const f of recognizer.analyze(text, context)) {
        if (!(
          Number.isInteger(f.start) &&
          Number.isInteger(f.end) &&
          f.start >= 0 &&
          f.start < f.end &&
          f.end <= text.length
        )) {
          throw new KaleidoError(
            'ERR_INTERNAL',
            `recognizer ${recognizer.name} returned a span outside the text`,
            {
              details: { recognizer: recognizer.name, start: f.start, end: f.end, length: text.length },
            },
          );
        }
        if (wanted !== undefined && !wanted.has(f.entity)) continue;
        const value = text.slice(f.start, f.end);
        if (allow.has(value)) continue;
        raw.push({ ...this.enhance(text, f, recognizer), text: value });
      }
    }
    return resolveOverlaps(raw.filter((f) => f.score >= threshold));
  }

  private enhance(text: string, f: Finding, recognizer: Recognizer): Finding {
    const positive = recognizer.context ?? [];
    const negative = recognizer.negativeContext ?? [];
    if (positive.length === 0 && negative.length === 0) return f;
    const window = [wordsBefore(text, f.start, this.before), wordsAfter(text, f.end, this.after)]
      .filter(Boolean)
      .join(' ');
    const word = containsPhrase(window, positive);
    if (word !== undefined) {
      const score = Math.max(Math.min(1, f.score + this.boost), this.minWithContext);
      return { ...f, score, explanation: `${f.explanation ?? ''}; context word '${word}'` };
    }
    const neg = containsPhrase(window, negative);
    if (neg !== undefined) {
      return {
        ...f,
        score: Math.max(0, f.score - this.penalty),
        explanation: `${f.explanation ?? ''}; negative context '${neg}'`,
      };
    }
    return f;
  }
}

/**
 * Keep a non-overlapping subset: higher score first, then the longer span, then the earlier
 * start (deterministic). Returned sorted by start.
 */
export function resolveOverlaps(findings: readonly Finding[]): Finding[] {
  const ranked = [...findings].sort(
    (a, b) =>
      b.score - a.score ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start ||
      a.entity.localeCompare(b.entity),
  );
  // Kept spans are disjoint; a sorted array with binary search keeps each check O(log n).
  const kept: Finding[] = [];
  for (const f of ranked) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < f.start) lo = mid + 1;
      else hi = mid;
    }
    const prev = kept[lo - 1];
    const next = kept[lo];
    if ((prev !== undefined && prev.end > f.start) || (next !== undefined && next.start < f.end)) continue;
    kept.splice(lo, 0, f);
  }
  return kept;
}
