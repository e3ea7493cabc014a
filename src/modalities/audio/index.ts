/** The audio modality: VAD, speech-to-text and signal metrics over decoded 16 kHz mono PCM. */
export * from './types.js';
export {
  DEFAULT_SEGMENTATION,
  resolveSegmentation,
  speechSegments,
  totalSeconds,
  type SegmentationOptions,
} from './segments.js';
export {
  VadAnalyzer,
  VAD_MODEL,
  VAD_SAMPLE_RATE,
  VAD_FRAME_SAMPLES,
  type VadAnalyzerOptions,
} from './vad.js';
export {
  TranscriptionAnalyzer,
  speechWindows,
  joinWindows,
  toOriginalTime,
  type TranscriptionOptions,
} from './transcribe.js';
export {
  SignalAnalyzer,
  signalMetrics,
  integratedLoudness,
  kWeightingFilters,
  type SignalOptions,
} from './metrics.js';
export {
  CommandsAnalyzer,
  phrasesGrammar,
  MAX_COMMAND_PHRASES,
  type CommandsOptions,
  type CommandsResult,
} from './commands.js';
export {
  AudioAnalyzers,
  createAudioAnalyzers,
  AUDIO_ANALYZER_FACTORIES,
  type AudioAnalyzerDeps,
  type AnalyzeAudioOptions,
} from './registry.js';
