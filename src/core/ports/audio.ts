/**
 * Ports of the audio modality: a decoder that turns any container/codec into 16 kHz mono PCM
 * (src/adapters/media-ffmpeg) and a speech recogniser that turns PCM into timed words
 * (src/adapters/asr-pocketsphinx). The audio analyzers (src/modalities/audio) are built on them,
 * so the modality never spawns a process or parses a vendor's output itself.
 *
 * Times are seconds from the start of the decoded audio; PCM is Float32 in [-1, 1] (a decoder
 * may let resampling overshoot slightly past ±1; it never clamps, so clipping stays measurable).
 */
import type { AnalyzerStatus } from './analyzer.js';
import type { CancelSignal } from './inference.js';

/** What the container says about the input, before decoding. */
export interface AudioProbe {
  /** Container/demuxer name(s) as the decoder reports them, e.g. "wav", "ogg", "mov,mp4,m4a,3gp,3g2,mj2". */
  readonly container: string;
  /** Codec of the audio stream that is decoded, e.g. "pcm_s16le", "mp3", "opus". */
  readonly codec: string;
  /** Sample rate of the source stream (Hz). */
  readonly sampleRate: number;
  /** Channels of the source stream (the decoder downmixes to mono). */
  readonly channels: number;
  /**
   * Duration the container declares (seconds), when it declares one that can be read without
   * seeking (FLAC STREAMINFO, a WAV data chunk, …); absent otherwise.
   */
  readonly declaredDurationSeconds?: number;
  /** Bit rate the container declares (bits/s), when known. */
  readonly bitRate?: number;
  /** Number of audio streams in the input (the first is decoded). */
  readonly audioStreams: number;
}

/** Mono PCM at a fixed rate, plus what the source was. */
export interface DecodedAudio {
  /** Mono samples, nominally in [-1, 1]. */
  readonly samples: Float32Array;
  /** Sample rate of `samples` (Hz); 16000 unless the caller asked for another. */
  readonly sampleRate: number;
  readonly probe: AudioProbe;
}

export interface DecodeOptions {
  /** Output sample rate (default 16000). */
  readonly sampleRate?: number;
  /** Overrides the decoder's configured maximum duration (seconds) for this call. */
  readonly maxDurationSeconds?: number;
  readonly signal?: CancelSignal;
}

/**
 * Decodes encoded audio held in memory. Failures are KaleidoErrors: ERR_VALIDATION (empty input),
 * ERR_PAYLOAD_TOO_LARGE (more bytes than allowed), ERR_MEDIA_TOO_LONG (longer than allowed),
 * ERR_UNSUPPORTED_MEDIA_TYPE (not a recognised audio format, or no audio stream),
 * ERR_MEDIA_CORRUPT (recognised but damaged or truncated), ERR_TIMEOUT (decoding took longer than
 * the wall-clock limit), ERR_CANCELLED, ERR_UNAVAILABLE (the decoder program is missing).
 */
export interface AudioDecoder {
  /** e.g. "ffmpeg". */
  readonly name: string;
  /** Version of the program/library, known after `init`. */
  readonly version: string;
  /** Checks that the decoder can run (program present); throws ERR_UNAVAILABLE with the reason. */
  init(): Promise<void>;
  /** Whether `init` succeeded, and if not, why. */
  status(): AnalyzerStatus;
  probe(input: Uint8Array, options?: { readonly signal?: CancelSignal }): Promise<AudioProbe>;
  decode(input: Uint8Array, options?: DecodeOptions): Promise<DecodedAudio>;
  close(): Promise<void>;
}

/** One recognised word; times in seconds from the start of the PCM given to the recogniser. */
export interface RecognizedWord {
  readonly word: string;
  readonly start: number;
  readonly end: number;
  /** Posterior probability of the word in [0, 1], when the recogniser gives one. */
  readonly confidence?: number;
}

export interface RecognizeOptions {
  readonly signal?: CancelSignal;
  /** Overrides the recogniser's wall-clock limit for this call (ms). */
  readonly timeoutMs?: number;
}

/**
 * Open-vocabulary speech recogniser over mono PCM. Failures: ERR_UNAVAILABLE (program or model
 * missing, or it crashed), ERR_TIMEOUT, ERR_CANCELLED, ERR_VALIDATION (wrong sample rate).
 */
export interface SpeechRecognizer {
  /** e.g. "pocketsphinx". */
  readonly name: string;
  readonly version: string;
  /** BCP-47 language of the acoustic and language model, e.g. "en-US". */
  readonly language: string;
  /** The sample rate the model expects (Hz). */
  readonly sampleRate: number;
  /** A description of the acoustic/language model, e.g. "cmusphinx en-us semi-continuous HMM + 3-gram LM". */
  readonly model: string;
  init(): Promise<void>;
  status(): AnalyzerStatus;
  /** Words in time order; fillers (silence, noise markers) are dropped. */
  recognize(samples: Float32Array, options?: RecognizeOptions): Promise<RecognizedWord[]>;
  close(): Promise<void>;
}

/** One command a grammar-constrained recogniser heard; times from the start of the given PCM. */
export interface RecognizedCommand {
  /** The words of the grammar's phrase as recognised, joined by spaces ("stop", "turn on"). */
  readonly command: string;
  readonly start: number;
  readonly end: number;
  /** Posterior probability of the phrase in [0, 1] (the decoder's, not calibrated). */
  readonly confidence: number;
  readonly words: readonly RecognizedWord[];
}

export interface CommandRecognizeOptions {
  /** A JSGF grammar (its public rule is the command set); default: the recogniser's grammar. */
  readonly jsgf?: string;
  readonly signal?: CancelSignal;
  readonly timeoutMs?: number;
}

/**
 * Closed-vocabulary (grammar-constrained) recogniser: it can only answer phrases of a JSGF
 * grammar, which is what makes short spoken commands accurate. Failures: ERR_VALIDATION (the
 * grammar does not parse, or uses a word the pronunciation dictionary lacks; wrong sample rate),
 * ERR_UNAVAILABLE, ERR_TIMEOUT, ERR_CANCELLED.
 */
export interface CommandRecognizer {
  /** e.g. "soundswallower". */
  readonly name: string;
  readonly version: string;
  readonly language: string;
  readonly sampleRate: number;
  readonly model: string;
  init(): Promise<void>;
  status(): AnalyzerStatus;
  /** Words of `words` the pronunciation dictionary does not know (lower case). */
  unknownWords(words: readonly string[]): Promise<string[]>;
  /** Throws ERR_VALIDATION when the grammar cannot be used. */
  checkGrammar(jsgf: string): Promise<void>;
  /** The best phrase of the grammar in the whole PCM (one utterance), or null when none was found. */
  recognize(samples: Float32Array, options?: CommandRecognizeOptions): Promise<RecognizedCommand | null>;
  close(): Promise<void>;
}
