/**
 * PII detection and anonymization for text (and for transcripts / OCR output of audio, images
 * and video, which arrive here as text). Pure core: phone metadata and cryptography come in
 * through the `PhoneValidator` and `PiiCrypto` ports.
 */
export * from './types.js';
export { PiiAnalyzer, resolveOverlaps } from './analyzer.js';
export type { AnalyzeOptions, PiiAnalyzerOptions } from './analyzer.js';
export { anonymize, deanonymize } from './anonymize.js';
export type {
  AnonymizedItem,
  AnonymizeResult,
  DecryptKeys,
  EncryptOperator,
  HashOperator,
  KeepOperator,
  MaskOperator,
  Operator,
  OperatorsByEntity,
  OperatorType,
  RedactOperator,
  ReplaceOperator,
} from './anonymize.js';
export * from './checksums.js';
export { parseIPv4, parseIPv6 } from './ip.js';
export { keccak256, sha256, sha3_256 } from './hashes.js';
export { defaultRecognizers } from './recognizers/index.js';
export * from './recognizers/index.js';
export type { DefaultRecognizerOptions } from './recognizers/index.js';
export { evaluatePii, formatEvaluationTable } from './evaluation.js';
export type { EvalExample, EvalSpan, EvaluationReport, EntityMetrics } from './evaluation.js';
