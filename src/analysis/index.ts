/**
 * Multi-modal analysis: content detection, pipelines as data, the safety verdict. main.ts builds
 * the engines (adapters) and hands them to createDefaultAnalysis; the server calls the service.
 */
import type { Clock } from '../core/clock.js';
import { InjectionDetector } from '../core/safety/injection/index.js';
import type { PiiCrypto } from '../core/safety/pii/index.js';
import { RuleTextScorer } from '../core/safety/rules/index.js';
import { createTextAnalyzers, type TextAnalyzerDeps } from '../modalities/text/index.js';
import type { PolicyStore } from '../safety/policy-store.js';
import { AnalysisService } from './service.js';
import { createTextModule, type TextModuleDeps } from './text.js';

export { AnalysisService, type AnalysisServiceOptions } from './service.js';
export { createTextModule, DEFAULT_ENTITY_MAX_CHARS, DEFAULT_TEXT_MAX_BYTES } from './text.js';
export type { TextInput, TextModule, TextModuleDeps, CappedEntities } from './text.js';
export {
  TEXT_DEFAULT_PIPELINE,
  TEXT_PIPELINES,
  AUDIO_DEFAULT_PIPELINE,
  AUDIO_PIPELINES,
  VIDEO_DEFAULT_PIPELINE,
  VIDEO_PIPELINES,
} from './pipelines.js';
export {
  createAudioModule,
  createTranscriptSafety,
  presentTranscript,
  redactedText,
  writtenTranscript,
  DEFAULT_AUDIO_MAX_BYTES,
  TRANSCRIPT_SAFETY_TASKS,
} from './audio.js';
export type {
  AudioInput,
  AudioModule,
  AudioModuleDeps,
  AudioTranscript,
  SpeechResult,
  TranscriptSafetyDeps,
  TranscriptSafetyTask,
  WrittenTranscript,
} from './audio.js';
export { createVideoModule, DEFAULT_FRAME_TASKS, DEFAULT_VIDEO_MAX_BYTES } from './video.js';
export type {
  FrameRecord,
  FramesResult,
  NsfwFrames,
  ScenesResult,
  SpeechStepResult,
  VideoInput,
  VideoModuleDeps,
  VideoSamplingOptions,
} from './video.js';
export { decodeText, parseMediaType, resolveContent } from './content.js';
export type { MediaType, ResolvedContent } from './content.js';
export { decide, mayQuote, safetyFailures } from './safety.js';
export { pluggedClassifier, pluggedTaskName, type ClassificationResult } from './plugged.js';
export type * from './types.js';

export interface DefaultAnalysisDeps {
  readonly clock: Clock;
  /** Moderation policies (main.ts: loadPolicyDirectory('policies')). */
  readonly policies: PolicyStore;
  /** The text engines main.ts constructed (cld3, wink, compromise, obscenity, PII, inference). */
  readonly text: TextAnalyzerDeps;
  /** Prompt-injection heuristics (default: the built-in patterns). */
  readonly injection?: InjectionDetector;
  /** Rule scorer for categories without a model (default: the built-in rules). */
  readonly rules?: RuleTextScorer;
  /** For hash / encrypt PII operators. */
  readonly crypto?: PiiCrypto;
  readonly resolveKey?: (keyRef: string) => Uint8Array | undefined;
  /** Entity pass cap in UTF-16 units (default 10 000). */
  readonly entityMaxChars?: number;
  /** Largest raw text body in bytes (default 1 MiB). */
  readonly maxTextBytes?: number;
  readonly defaultStepTimeoutMs?: number;
  /** Bring-your-own text analyzers (`text/hf:<name>`). */
  readonly textPlugged?: TextModuleDeps['plugged'];
}

/**
 * The analysis service with the text modality registered (audio, image and video modules are
 * registered the same way with `service.register(module)` before `init`). Call `init()` once:
 * it returns which analyzers are available and why the others are not.
 */
export function createDefaultAnalysis(deps: DefaultAnalysisDeps): AnalysisService {
  const service = new AnalysisService({
    clock: deps.clock,
    policies: deps.policies,
    ...(deps.crypto === undefined ? {} : { crypto: deps.crypto }),
    ...(deps.resolveKey === undefined ? {} : { resolveKey: deps.resolveKey }),
    ...(deps.defaultStepTimeoutMs === undefined ? {} : { defaultStepTimeoutMs: deps.defaultStepTimeoutMs }),
  });
  service.register(
    createTextModule({
      analyzers: createTextAnalyzers(deps.text),
      ...(deps.text.pii === undefined ? {} : { pii: deps.text.pii }),
      injection: deps.injection ?? new InjectionDetector(),
      rules: deps.rules ?? new RuleTextScorer(),
      ...(deps.text.maxTextLength === undefined ? {} : { maxTextLength: deps.text.maxTextLength }),
      ...(deps.entityMaxChars === undefined ? {} : { entityMaxChars: deps.entityMaxChars }),
      ...(deps.maxTextBytes === undefined ? {} : { maxBytes: deps.maxTextBytes }),
      ...(deps.textPlugged === undefined ? {} : { plugged: deps.textPlugged }),
    }),
  );
  return service;
}
