/**
 * Contracts of the analysis service: how a modality plugs in (its analyzers, pipelines, decoding,
 * safety signals and presentation), and the one response shape every modality answers with.
 */
import type { Sniffed } from '../core/media/sniff.js';
import type { PipelineDefinition, Stage } from '../core/pipeline/index.js';
import type { AnalyzeContext, AnalyzerMethod, AnalyzerStatus, Modality } from '../core/ports/analyzer.js';
import type { CancelSignal } from '../core/ports/inference.js';
import type {
  Decision,
  Direction,
  PolicyAction,
  PolicyPiiFinding,
  Reason,
} from '../core/safety/policy/index.js';
import type { CategoryScore, ScoreSource } from '../core/safety/taxonomy.js';

/** What a client sent: text from a JSON body, or bytes (raw body or multipart part). */
export type AnalysisContent =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly declaredType?: string };

/** Content after detection, handed to the modality. */
export type DetectedContent =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'bytes';
      readonly bytes: Uint8Array;
      readonly mime: string;
      readonly sniffed: Exclude<Sniffed, { modality: 'unknown' }>;
    };

export interface AnalyzerDescription {
  readonly model: string;
  readonly version: string;
  readonly method?: AnalyzerMethod;
}

/** An analyzer as the pipeline scheduler runs it: `<modality>/<task>`. */
export interface RegisteredAnalyzer<I = unknown> {
  /** `<modality>/<task>`, e.g. `text/sentiment`. */
  readonly id: string;
  readonly modality: Modality;
  readonly task: string;
  /** True when its result feeds the safety verdict: its failure is then a policy input (fail-closed). */
  readonly safety: boolean;
  describe(): AnalyzerDescription;
  status(): AnalyzerStatus;
  /** `previous`: results of earlier steps, by step id. */
  run(input: I, previous: ReadonlyMap<string, unknown>, ctx: AnalyzeContext): Promise<unknown>;
  /**
   * Validates this analyzer's request options (`AnalyzeRequest.options[<step id>]`) before any
   * step runs; throws a 4xx KaleidoError. Analyzers without it take no options.
   */
  parseOptions?(raw: unknown): unknown;
}

/**
 * An analyzer plugged into a modality from outside it (a bring-your-own model, analysis/plugged.ts):
 * the module loads and closes it with its own engines.
 */
export interface PluggedAnalyzer<I = unknown> extends RegisteredAnalyzer<I> {
  /** Loads the model; never throws (a failure shows in `status()`). */
  init(): Promise<void>;
  close(): Promise<void>;
}

/** What the safety step needs from a modality's results. */
export interface SafetySignals {
  readonly scores: readonly CategoryScore[];
  readonly piiFindings: readonly PolicyPiiFinding[];
  /**
   * The text that PII findings and score spans point into, and that redactions rewrite (the
   * normalised input for text; a transcript or OCR text for other modalities).
   */
  readonly text?: string;
}

/** How much of the content the response may quote, after the policy decided. */
export interface Disclosure {
  /** Blocked: quote nothing of the content. */
  readonly withhold: boolean;
  /** Redacted ranges of `SafetySignals.text`; a quote overlapping one is dropped. */
  readonly redacted: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  /** A redaction without a span covers the whole text. */
  readonly wholeTextRedacted: boolean;
}

export interface Presented {
  readonly results: Record<string, unknown>;
  /** Per step: parts of the content an analyzer did not cover, and why. */
  readonly partial: Record<string, unknown>;
}

export interface StepOutput {
  readonly stepId: string;
  readonly analyzer: string;
  readonly value: unknown;
}

/** A modality plugs into the analysis service with one of these. */
export interface ModalityModule<I = unknown> {
  readonly modality: Modality;
  readonly analyzers: readonly RegisteredAnalyzer<I>[];
  /** Built-in pipelines (data); validated when the module is registered. */
  readonly pipelines: readonly PipelineDefinition[];
  readonly defaultPipeline: string;
  /** Largest body of this modality, in bytes. */
  readonly maxBytes: number;
  /** Loads engines and models; failures make analyzers unavailable, not the module. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Turns detected content into the analyzers' input; throws a 4xx KaleidoError when it cannot. */
  prepare(content: DetectedContent): I | Promise<I>;
  safetySignals(input: I, outputs: readonly StepOutput[]): SafetySignals;
  /** The response's `results`, quoting content only as far as `disclosure` allows. */
  present(input: I, outputs: readonly StepOutput[], disclosure: Disclosure): Presented;
}

export interface AnalyzeRequest {
  /** Steps to run (by step id / task name); with `pipeline`, a subset of it. */
  readonly tasks?: readonly string[];
  readonly pipeline?: string;
  /** Per step id (or task name): that analyzer's options, validated by its `parseOptions`. */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly signal?: CancelSignal;
  /**
   * Tenant whose moderation policies apply (the authenticated caller's); absent: the service's
   * configured tenant. Tenant-less policies apply to every tenant (safety/policy-store.ts).
   */
  readonly tenant?: string;
}

export type DirectedReason = Reason & { readonly direction: Direction };

/** The response's `safety`: the policy's decisions on the content going in and coming back out. */
export interface SafetyVerdict {
  /** The more severe of the input and output decisions. */
  readonly action: PolicyAction;
  readonly policy: Decision['policy'];
  readonly decisions: { readonly input: PolicyAction; readonly output: PolicyAction };
  /** Matched rules and analyzer failures, most severe first, each with its direction. */
  readonly reasons: readonly DirectedReason[];
  readonly scores: Decision['scores'];
  readonly modelVersions: readonly ScoreSource[];
  readonly failClosed: boolean;
  /** True when the returned `text` has redactions applied. */
  readonly redacted: boolean;
  /** Safety analyzers of this modality that were not part of the pipeline that ran. */
  readonly unchecked: readonly string[];
}

export interface AnalysisResponse {
  readonly modality: Modality;
  readonly mime: string;
  readonly pipeline: string;
  /** The step ids that were asked for (all of the pipeline's when none were selected). */
  readonly tasks: readonly string[];
  readonly durationMs: number;
  readonly stages: readonly Stage[];
  readonly results: Record<string, unknown>;
  /** Steps that did not run or did not cover all of the content, and why. */
  readonly skipped: Record<string, unknown>;
  readonly safety: SafetyVerdict;
  /** The content with the policy's redactions applied (only when something was redacted). */
  readonly text?: string;
}

/** An analyzer's entry in GET /v1/analyzers and the start-up report. */
export interface AnalyzerReport {
  readonly id: string;
  readonly modality: Modality;
  readonly task: string;
  readonly model: string;
  readonly version: string;
  readonly method?: AnalyzerMethod;
  readonly safety: boolean;
  readonly available: boolean;
  readonly reason?: string;
  /** Pipelines that use it. */
  readonly pipelines: readonly string[];
}

export interface PipelineSummary {
  readonly name: string;
  readonly modality: Modality;
  readonly description?: string;
  readonly default: boolean;
  readonly steps: PipelineDefinition['steps'];
  /** False when a step's analyzer is unavailable (the pipeline still runs; that stage says so). */
  readonly complete: boolean;
}
