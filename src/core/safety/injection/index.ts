/** Prompt-injection / jailbreak detection (heuristics) and its evaluation. */
export { InjectionDetector, INJECTION_SOURCE, INJECTION_THRESHOLD } from './detector.js';
export type { InjectionDetectorOptions, InjectionResult, InjectionSignal } from './detector.js';
export { InjectionFamily, PHRASE_PATTERNS } from './patterns.js';
export type { PhrasePattern } from './patterns.js';
export {
  decodeBase64Text,
  decodeHexText,
  decodeTagRuns,
  isReadable,
  rot13,
  stripInvisible,
} from './decode.js';
export { binaryMetrics, evaluateInjection } from './evaluation.js';
export type { BinaryMetrics, InjectionEvaluation, LabelledPrompt } from './evaluation.js';
