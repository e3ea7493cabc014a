/**
 * Port: an analyzer — one task (language ID, sentiment, object detection, transcription …) on one
 * modality, backed by one model or rule set. Every modality's analyzers implement it, so the
 * /v1/analyze pipeline, the admin API and the evaluations treat them alike: list them, report
 * which are available and why not, run them, close them.
 *
 * Offsets in results: text spans are UTF-16 code unit offsets `{ start, end }` with `end`
 * exclusive (`text.slice(start, end)` is the span), the convention of the PII detector; image
 * regions, audio/video time ranges are defined by their modality's result types.
 */
import type { CancelSignal } from './inference.js';

export const Modality = {
  TEXT: 'text',
  IMAGE: 'image',
  AUDIO: 'audio',
  VIDEO: 'video',
} as const;
export type Modality = (typeof Modality)[keyof typeof Modality];

/**
 * How the analyzer decides, so a client can weigh its answer: a neural network, a model the
 * project trained on a documented data set, a lexicon (word lists with scores), or hand-written
 * rules/patterns.
 */
export const AnalyzerMethod = {
  NEURAL: 'neural',
  TRAINED: 'trained',
  LEXICON: 'lexicon',
  RULES: 'rules',
} as const;
export type AnalyzerMethod = (typeof AnalyzerMethod)[keyof typeof AnalyzerMethod];

export interface AnalyzerInfo {
  /** Unique name within its modality, e.g. "language", "sentiment". */
  readonly name: string;
  /** What it does, e.g. "language-identification", "named-entities". */
  readonly task: string;
  readonly modality: Modality;
  /** The model or rule set behind it, e.g. "cld3", "spam_classifier" (a repository model name). */
  readonly model: string;
  /** Version of that model or package, e.g. "4.0.0" or the repository version "1". */
  readonly version: string;
  readonly method: AnalyzerMethod;
}

export interface AnalyzeContext {
  /** Checked between steps; an aborted signal ends the call with ERR_CANCELLED. */
  readonly signal?: CancelSignal;
  /**
   * This analyzer's request options, as its `parseOptions` returned them (the raw request value
   * is validated before any step runs); undefined when the request gave none.
   */
  readonly options?: unknown;
}

export interface Analyzer<I, O> {
  readonly info: AnalyzerInfo;
  /** Loads models/data. Idempotent; `analyze` before `init` throws ERR_UNAVAILABLE. */
  init(): Promise<void>;
  analyze(input: I, ctx?: AnalyzeContext): Promise<O>;
  /** Releases resources; idempotent. */
  close(): Promise<void>;
}

/** Whether an analyzer can be used now, and if not, why (missing package, model not loaded …). */
export interface AnalyzerStatus {
  readonly available: boolean;
  readonly reason?: string;
}

/** A text span: UTF-16 offsets, `end` exclusive. */
export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------------------------------------
// Text engines: the narrow interfaces the vendor adapters (src/adapters/text-*) implement. The
// text modality (src/modalities/text) builds its analyzers on them: it normalises and validates
// the input, merges and labels results, so that an adapter only translates a vendor API.

/** A loaded vendor component: a name and version for AnalyzerInfo, and a lifecycle. */
export interface TextEngine {
  /** Vendor package or model, e.g. "cld3-asm". */
  readonly name: string;
  readonly version: string;
  /** Loads the model (wasm, JSON); idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}

export interface LanguageGuess {
  /** The engine's language code as it reports it (e.g. cld3's "iw", "zh-Latn", "und"). */
  readonly code: string;
  readonly probability: number;
  readonly isReliable: boolean;
  /** Share of the text (bytes for cld3) attributed to this language; 1 for a single guess. */
  readonly proportion: number;
}

export interface LanguageIdentifierEngine extends TextEngine {
  /** The single most likely language of the whole text. */
  identify(text: string): LanguageGuess;
  /** Up to `n` languages present in the text, most frequent first (script-based segmentation). */
  languages(text: string, n: number): LanguageGuess[];
}

export interface SentimentEngine extends TextEngine {
  /** Polarity score in [-1, 1]; 0 when no sentiment-bearing word is found. */
  polarity(text: string): number;
}

/** An entity found by an engine, before the modality merges sources. */
export interface EngineEntity extends TextSpan {
  /** Upper-case type, e.g. "DATE", "MONEY", "PERSON". */
  readonly type: string;
}

export interface EntityEngine extends TextEngine {
  /** Entity types it can report. */
  readonly types: readonly string[];
  entities(text: string): EngineEntity[];
}

export interface ProfanityMatch extends TextSpan {
  /** The dictionary word the span matched (e.g. "fuck" for "fuuuck"). */
  readonly term: string;
}

export interface ProfanityEngine extends TextEngine {
  matches(text: string): ProfanityMatch[];
}

// ---------------------------------------------------------------------------------------------
// Bring-your-own classifiers: a model the operator put in a model repository (e.g. a Hugging Face
// export), run by a vendor library (src/adapters/hf-transformers) and plugged into a modality as
// one more analyzer.

/** What a plugged classifier reads: the modality's prepared content. */
export type ClassifierInput =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'audio'; readonly samples: Float32Array; readonly sampleRate: number }
  /** Interleaved 8-bit RGB pixels, row-major (the image modality's decoded analysis copy). */
  | {
      readonly kind: 'image';
      readonly data: Uint8Array;
      readonly width: number;
      readonly height: number;
      readonly channels: 3;
    };

export interface ClassLabel {
  readonly label: string;
  readonly score: number;
}

export interface ExternalClassifier {
  /** Unique name, used as the task `hf:<name>`. */
  readonly name: string;
  readonly modality: Modality;
  /** e.g. "text-classification". */
  readonly task: string;
  /** Model identity for stages: the repository model name and its version. */
  readonly model: string;
  readonly version: string;
  /** Loads the model; never throws: a failure is reported by `status()`. */
  init(): Promise<void>;
  status(): AnalyzerStatus;
  /** Every label with its score, highest first. */
  classify(input: ClassifierInput): Promise<ClassLabel[]>;
  close(): Promise<void>;
}
