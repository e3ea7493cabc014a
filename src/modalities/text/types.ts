/**
 * Result types of the text analyzers. Every span is a UTF-16 `{ start, end }` (end exclusive)
 * into the *normalised* text (`TextAnalysisResult.text`, see normalize.ts), never into the raw
 * input, so `text.slice(start, end)` is always the span's text.
 */
import type { AnalyzerInfo, AnalyzerStatus, TextSpan } from '../../core/ports/analyzer.js';

export interface LanguageCandidate {
  /** ISO 639-1 where one exists ("he", "zh"), else ISO 639-2/3 ("fil", "haw", "ceb", "hmn"); "und" = undetermined. */
  readonly language: string;
  /** ISO 15924 script when the model distinguishes a romanised form ("Latn" for cld3's "ru-Latn"). */
  readonly script?: string;
  readonly probability: number;
  readonly isReliable: boolean;
  /** Share of the text in this language (1 for the whole-text guess). */
  readonly proportion: number;
}

export interface LanguageResult extends LanguageCandidate {
  /**
   * Up to 3 languages present in the text, most frequent first. CLD3 gives no ranked list of
   * alternatives for one span; this is its segmentation of mixed-language text by script.
   */
  readonly languages: readonly LanguageCandidate[];
}

export type SentimentLabel = 'positive' | 'negative' | 'neutral';

export interface SentimentResult {
  readonly label: SentimentLabel;
  /** Polarity in [-1, 1]. */
  readonly score: number;
  /** Always 'lexicon': word scores with negation rules, not a trained model. */
  readonly method: 'lexicon';
}

export interface TextEntity extends TextSpan {
  /** DATE, TIME, DURATION, MONEY, PERCENT, CARDINAL, ORDINAL, URL, EMAIL, HASHTAG, MENTION, EMOJI,
   * EMOTICON, PERSON, PLACE, ORGANIZATION, PHONE, and the PII types CREDIT_CARD, IBAN_CODE, US_SSN,
   * IP_ADDRESS, DATE_OF_BIRTH, CRYPTO_WALLET, PASSPORT. */
  readonly type: string;
  readonly text: string;
  /** Engines that found this exact span and type (e.g. ["wink-entities", "pii"]). */
  readonly sources: readonly string[];
  /** True when a PII recognizer reported it. */
  readonly pii: boolean;
  /** PII recognizer confidence when `pii`; pattern engines give no score. */
  readonly score?: number;
}

export interface EntitiesResult {
  readonly entities: readonly TextEntity[];
}

export interface ProfanityHit extends TextSpan {
  readonly text: string;
  /** The dictionary word matched ("fuck" for "fuuuck"). */
  readonly term: string;
}

export interface ProfanityResult {
  readonly profane: boolean;
  readonly matches: readonly ProfanityHit[];
  /** The text with every matched UTF-16 unit replaced by "*" (same length, so spans still line up). */
  readonly censored: string;
}

export interface SpamResult {
  readonly label: 'spam' | 'ham';
  /** Probability of spam from the model. */
  readonly probability: number;
  readonly threshold: number;
  readonly model: string;
  readonly modelVersion: string;
}

/** Analyzer names of the text modality, as used in requests and results. */
export const TextTask = {
  LANGUAGE: 'language',
  SENTIMENT: 'sentiment',
  ENTITIES: 'entities',
  PROFANITY: 'profanity',
  SPAM: 'spam',
} as const;
export type TextTask = (typeof TextTask)[keyof typeof TextTask];
export const ALL_TEXT_TASKS: readonly TextTask[] = Object.values(TextTask);

export interface TextResults {
  readonly language?: LanguageResult;
  readonly sentiment?: SentimentResult;
  readonly entities?: EntitiesResult;
  readonly profanity?: ProfanityResult;
  readonly spam?: SpamResult;
}

export interface TextAnalysisResult {
  /** The normalised text every span refers to. */
  readonly text: string;
  readonly results: TextResults;
  /** Requested analyzers that did not run, with the reason (not available, failed). */
  readonly skipped: Readonly<Partial<Record<TextTask, AnalyzerStatus>>>;
  /** Which analyzer produced each result. */
  readonly analyzers: readonly AnalyzerInfo[];
}
