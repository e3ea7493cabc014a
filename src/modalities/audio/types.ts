/**
 * Result types of the audio analyzers. Every time is in seconds from the start of the decoded
 * audio (16 kHz mono); ranges are `{ start, end }` with `end` exclusive.
 */
import type { AnalyzerInfo, AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { AudioProbe, DecodedAudio } from '../../core/ports/audio.js';
import type { CommandsResult } from './commands.js';

export interface TimeRange {
  readonly start: number;
  readonly end: number;
}

export interface SpeechSegment extends TimeRange {
  /** Mean speech probability of the frames inside the segment (before padding). */
  readonly probability: number;
}

/** What every audio analyzer receives: the decoded audio, and speech segments once the VAD ran. */
export interface AudioAnalysisInput {
  readonly audio: DecodedAudio;
  /** Speech segments from the VAD, when it ran first; the recogniser then decodes only these. */
  readonly speech?: readonly SpeechSegment[];
}

export interface VadResult {
  readonly segments: readonly SpeechSegment[];
  /** Speech seconds (segments, padded) / duration. */
  readonly speechRatio: number;
  readonly speechSeconds: number;
  readonly durationSeconds: number;
  /** Frame hop of the model (seconds): 512 samples at 16 kHz = 0.032. */
  readonly frameSeconds: number;
  readonly frames: number;
  /** Per-frame speech probabilities, only when the analyzer is configured to return them. */
  readonly probabilities?: readonly number[];
  readonly model: string;
  readonly modelVersion: string;
}

export interface TranscriptWord extends TimeRange {
  readonly word: string;
  /** Posterior probability of the word in [0, 1], when the recogniser gives one. */
  readonly confidence?: number;
}

export interface TranscriptResult {
  /** Words joined by spaces, lower case as the recogniser's dictionary spells them. */
  readonly text: string;
  readonly words: readonly TranscriptWord[];
  /** BCP-47 language of the recogniser's model. */
  readonly language: string;
  /** Seconds of audio the recogniser decoded (less than the duration when only VAD speech ran). */
  readonly recognisedSeconds: number;
  /** True when only the VAD speech segments were decoded. */
  readonly speechOnly: boolean;
  readonly engine: string;
  readonly engineVersion: string;
}

export interface SignalResult {
  readonly durationSeconds: number;
  /** Of the source stream, from the probe. */
  readonly sampleRate: number;
  readonly channels: number;
  readonly codec: string;
  readonly container: string;
  readonly bitRate?: number;
  /** Rate of the analysed mono PCM (16000). */
  readonly analysedSampleRate: number;
  /** RMS level of the mono downmix, dBFS (a full-scale sine reads −3.01); null for digital silence. */
  readonly rmsDbfs: number | null;
  /** Sample peak of the mono downmix, dBFS; null for digital silence. */
  readonly peakDbfs: number | null;
  /**
   * Integrated loudness (ITU-R BS.1770-4 / EBU R128: K-weighting, 400 ms blocks, −70 LUFS absolute
   * and −10 LU relative gates) of the 16 kHz mono downmix, computed here, not by ffmpeg; null when
   * every block is below the absolute gate (silence) or the audio is shorter than one block.
   */
  readonly integratedLufs: number | null;
  /** Share of samples at or beyond the clipping threshold (|x| ≥ 0.99 by default). */
  readonly clippingRatio: number;
  readonly clippedSamples: number;
}

/** Analyzer names of the audio modality, as used in requests and results. */
export const AudioTask = {
  SIGNAL: 'signal',
  VAD: 'vad',
  TRANSCRIPT: 'transcript',
  COMMANDS: 'commands',
} as const;
export type AudioTask = (typeof AudioTask)[keyof typeof AudioTask];
export const ALL_AUDIO_TASKS: readonly AudioTask[] = Object.values(AudioTask);

export interface AudioResults {
  readonly signal?: SignalResult;
  readonly vad?: VadResult;
  readonly transcript?: TranscriptResult;
  readonly commands?: CommandsResult;
}

export interface AudioAnalysisResult {
  readonly audio: {
    readonly durationSeconds: number;
    /** Rate of the decoded PCM every time refers to. */
    readonly sampleRate: number;
    readonly source: AudioProbe;
  };
  readonly results: AudioResults;
  /** Requested analyzers that did not run, with the reason. */
  readonly skipped: Readonly<Partial<Record<AudioTask, AnalyzerStatus>>>;
  readonly analyzers: readonly AnalyzerInfo[];
  /** Wall-clock milliseconds per stage (decode, and each analyzer). */
  readonly timingsMs: Readonly<Record<string, number>>;
}
