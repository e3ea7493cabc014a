/** The text modality: normalisation, analyzers, the spam featuriser and the analyzer registry. */
export * from './types.js';
export { normalizeText, DEFAULT_MAX_TEXT_LENGTH, type NormalizeOptions } from './normalize.js';
export {
  LanguageAnalyzer,
  SentimentAnalyzer,
  EntityAnalyzer,
  ProfanityAnalyzer,
  censor,
  sentimentLabel,
  toIsoLanguage,
  type SentimentOptions,
} from './analyzers.js';
export { SpamAnalyzer, SPAM_MODEL, type SpamAnalyzerOptions } from './spam.js';
export {
  FEATURISER_VERSION,
  featurise,
  featureStrings,
  parseMessage,
  type SparseVector,
} from './features.js';
export {
  createTextAnalyzers,
  TextAnalyzers,
  TEXT_ANALYZER_FACTORIES,
  type TextAnalyzerDeps,
  type AnalyzeTextOptions,
} from './registry.js';
