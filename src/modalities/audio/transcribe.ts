/**
 * Speech-to-text over a SpeechRecognizer (pocketsphinx here). When the VAD ran first, only its
 * speech segments are decoded: they are cut out, joined with short gaps, recognised in one call,
 * and the word times are mapped back to the original timeline. That skips long silences and noise
 * (decoding time grows with audio length, and an n-gram recogniser tends to "hear" words in
 * noise), at the price of trusting the VAD: speech it misses is not transcribed.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzeContext, Analyzer, AnalyzerInfo } from '../../core/ports/analyzer.js';
import type { SpeechRecognizer } from '../../core/ports/audio.js';
import { checkCancelled, notInitialised } from './common.js';
import type { AudioAnalysisInput, TimeRange, TranscriptResult, TranscriptWord } from './types.js';

export interface TranscriptionOptions {
  /** Decode only the VAD speech segments when they are given (default true). */
  readonly speechOnly?: boolean;
  /** Context kept around each speech segment (default 0.15 s): the recogniser needs some lead-in. */
  readonly segmentPadSeconds?: number;
  /** Near-silent gap put between joined segments (default 0.3 s), so they stay separate utterances. */
  readonly gapSeconds?: number;
}

/** A piece of the original audio placed in the joined buffer. */
interface Piece {
  /** Where it starts in the joined buffer (s). */
  readonly at: number;
  readonly length: number;
  /** Where it starts in the original audio (s). */
  readonly from: number;
}

/** Amplitude of the gap filler: ~ −90 dBFS, so the recogniser's log energies stay finite. */
const GAP_LEVEL = 3e-5;

/** Pads, clamps and merges speech ranges. */
export function speechWindows(
  segments: readonly TimeRange[],
  padSeconds: number,
  durationSeconds: number,
): TimeRange[] {
  const out: TimeRange[] = [];
  for (const s of [...segments].sort((a, b) => a.start - b.start)) {
    const start = Math.max(0, s.start - padSeconds);
    const end = Math.min(durationSeconds, s.end + padSeconds);
    if (end <= start) continue;
    const last = out.at(-1);
    if (last !== undefined && start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, end) };
    else out.push({ start, end });
  }
  return out;
}

/**
 * Joins the windows of `samples` with gaps of faint, deterministic noise (digital silence makes
 * log-energy features −∞). Returns the joined PCM and where each window went.
 */
export function joinWindows(
  samples: Float32Array,
  sampleRate: number,
  windows: readonly TimeRange[],
  gapSeconds: number,
): { joined: Float32Array; pieces: Piece[] } {
  const gap = Math.round(gapSeconds * sampleRate);
  const spans = windows.map((w) => ({
    from: Math.round(w.start * sampleRate),
    to: Math.round(w.end * sampleRate),
  }));
  const total = spans.reduce((n, s) => n + (s.to - s.from), 0) + gap * Math.max(0, spans.length - 1);
  const joined = new Float32Array(total);
  const pieces: Piece[] = [];
  let seed = 0x2545f491;
  let at = 0;
  spans.forEach((s, i) => {
    if (i > 0) {
      for (let k = 0; k < gap; k++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // LCG: reproducible dither
        joined[at + k] = ((seed / 4294967296) * 2 - 1) * GAP_LEVEL;
      }
      at += gap;
    }
    joined.set(samples.subarray(s.from, s.to), at);
    pieces.push({ at: at / sampleRate, length: (s.to - s.from) / sampleRate, from: s.from / sampleRate });
    at += s.to - s.from;
  });
  return { joined, pieces };
}

/** Maps a time in the joined buffer back to the original audio (gap times go to the nearest piece edge). */
export function toOriginalTime(t: number, pieces: readonly Piece[]): number {
  let best: Piece | undefined;
  for (const p of pieces) {
    if (p.at <= t + 1e-9) best = p;
    else break;
  }
  const piece = best ?? pieces[0];
  if (piece === undefined) return t;
  const offset = Math.min(Math.max(0, t - piece.at), piece.length);
  return piece.from + offset;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class TranscriptionAnalyzer implements Analyzer<AudioAnalysisInput, TranscriptResult> {
  private ready = false;
  private readonly speechOnly: boolean;
  private readonly pad: number;
  private readonly gap: number;

  constructor(
    private readonly recognizer: SpeechRecognizer,
    options: TranscriptionOptions = {},
  ) {
    this.speechOnly = options.speechOnly ?? true;
    this.pad = options.segmentPadSeconds ?? 0.15;
    this.gap = options.gapSeconds ?? 0.3;
    for (const [field, v] of [
      ['segmentPadSeconds', this.pad],
      ['gapSeconds', this.gap],
    ] as const) {
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `transcription ${field} must be a finite number ≥ 0`, {
          details: { field, value: v },
        });
      }
    }
  }

  get info(): AnalyzerInfo {
    return {
      name: 'transcript',
      task: 'speech-to-text',
      modality: 'audio',
      model: `${this.recognizer.name} (${this.recognizer.model})`,
      version: this.recognizer.version,
      // A statistical model trained on speech (GMM/HMM acoustic model + n-gram LM), not a neural net.
      method: 'trained',
    };
  }

  async init(): Promise<void> {
    await this.recognizer.init();
    this.ready = true;
  }

  async analyze(input: AudioAnalysisInput, ctx?: AnalyzeContext): Promise<TranscriptResult> {
    if (!this.ready) throw notInitialised('transcript');
    checkCancelled(ctx, 'transcript');
    const { audio } = input;
    if (audio.sampleRate !== this.recognizer.sampleRate) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `the recogniser needs ${this.recognizer.sampleRate} Hz audio, got ${audio.sampleRate} Hz`,
        { details: { field: 'sampleRate', value: audio.sampleRate, expected: this.recognizer.sampleRate } },
      );
    }
    const duration = audio.samples.length / audio.sampleRate;
    const gated = this.speechOnly && input.speech !== undefined;
    let pcm = audio.samples;
    let pieces: Piece[] | undefined;
    if (gated) {
      const windows = speechWindows(input.speech ?? [], this.pad, duration);
      const j = joinWindows(audio.samples, audio.sampleRate, windows, this.gap);
      pcm = j.joined;
      pieces = j.pieces;
    }
    const raw = await this.recognizer.recognize(pcm, ctx?.signal === undefined ? {} : { signal: ctx.signal });
    const words: TranscriptWord[] = raw.map((w) => ({
      word: w.word,
      start: round3(pieces ? toOriginalTime(w.start, pieces) : w.start),
      end: round3(pieces ? toOriginalTime(w.end, pieces) : w.end),
      ...(w.confidence === undefined ? {} : { confidence: round3(w.confidence) }),
    }));
    return {
      text: words.map((w) => w.word).join(' '),
      words,
      language: this.recognizer.language,
      recognisedSeconds: round3(pcm.length / audio.sampleRate),
      speechOnly: gated,
      engine: this.recognizer.name,
      engineVersion: this.recognizer.version,
    };
  }

  async close(): Promise<void> {
    this.ready = false;
    await this.recognizer.close();
  }
}
