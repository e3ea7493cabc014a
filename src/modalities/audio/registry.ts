/**
 * The audio analyzers as data, like the text modality's registry: a table from task to a factory
 * over injected ports (decoder, inference service, recogniser), so the composition root passes
 * what it has and the server can report which analyzers are available and why the others are not.
 *
 * `analyze` decodes once (ffmpeg → 16 kHz mono) and runs the requested analyzers on the same PCM:
 * signal metrics, then the VAD, then speech-to-text on the VAD's speech segments (when the VAD
 * ran and the transcription is configured to use them).
 */
import { KaleidoError } from '../../core/errors.js';
import type { Analyzer, AnalyzerInfo, AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { AudioDecoder, CommandRecognizer, SpeechRecognizer } from '../../core/ports/audio.js';
import { CommandsAnalyzer } from './commands.js';
import type { CancelSignal, InferenceService } from '../../core/ports/inference.js';
import { SignalAnalyzer, type SignalOptions } from './metrics.js';
import { TranscriptionAnalyzer, type TranscriptionOptions } from './transcribe.js';
import {
  ALL_AUDIO_TASKS,
  type AudioAnalysisInput,
  type AudioAnalysisResult,
  type AudioResults,
  type AudioTask,
} from './types.js';
import { VadAnalyzer, VAD_SAMPLE_RATE, type VadAnalyzerOptions } from './vad.js';

export interface AudioAnalyzerDeps {
  /** Decodes every input; without it no audio analyzer is available. */
  readonly decoder?: AudioDecoder;
  /** Serves the silero_vad model. */
  readonly inference?: InferenceService;
  readonly vad?: VadAnalyzerOptions;
  readonly recognizer?: SpeechRecognizer;
  readonly transcription?: TranscriptionOptions;
  readonly signal?: SignalOptions;
  /** Grammar-constrained recogniser of spoken commands (soundswallower). */
  readonly commands?: CommandRecognizer;
}

type Factory = (deps: AudioAnalyzerDeps) => Analyzer<AudioAnalysisInput, unknown> | string;

/** Task → analyzer factory; a string is the reason the analyzer cannot be built from the deps. */
export const AUDIO_ANALYZER_FACTORIES: Readonly<Record<AudioTask, Factory>> = {
  signal: (d) => new SignalAnalyzer(d.signal),
  vad: (d) =>
    d.inference ? new VadAnalyzer(d.inference, d.vad) : 'no inference service configured for the VAD model',
  transcript: (d) =>
    d.recognizer
      ? new TranscriptionAnalyzer(d.recognizer, d.transcription)
      : 'no speech recogniser configured',
  commands: (d) => (d.commands ? new CommandsAnalyzer(d.commands) : 'no command recogniser configured'),
};

interface Entry {
  readonly task: AudioTask;
  readonly analyzer: Analyzer<AudioAnalysisInput, unknown> | undefined;
  status: AnalyzerStatus;
}

export interface AnalyzeAudioOptions {
  /** Analyzers to run (default: every available one). */
  readonly tasks?: readonly AudioTask[];
  readonly signal?: CancelSignal;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class AudioAnalyzers {
  private readonly entries: Entry[];
  private initialised = false;

  constructor(private readonly deps: AudioAnalyzerDeps) {
    this.entries = ALL_AUDIO_TASKS.map((task) => {
      const built = AUDIO_ANALYZER_FACTORIES[task](deps);
      return typeof built === 'string'
        ? { task, analyzer: undefined, status: { available: false, reason: built } }
        : { task, analyzer: built, status: { available: false, reason: 'not initialised' } };
    });
  }

  /**
   * Initialises the decoder, then every analyzer. A missing decoder (ffmpeg not installed) makes
   * every analyzer unavailable with that reason; an analyzer that fails alone (model not loaded,
   * pocketsphinx missing) is reported unavailable without affecting the others.
   */
  async init(): Promise<Record<AudioTask, AnalyzerStatus>> {
    const decoder = this.deps.decoder;
    let decoderProblem: string | undefined;
    if (decoder === undefined) decoderProblem = 'no audio decoder configured';
    else {
      try {
        await decoder.init();
      } catch (e) {
        decoderProblem = `audio decoder unavailable: ${messageOf(e)}`;
      }
    }
    for (const e of this.entries) {
      if (e.analyzer === undefined) continue;
      if (decoderProblem !== undefined) {
        e.status = { available: false, reason: decoderProblem };
        continue;
      }
      try {
        await e.analyzer.init();
        e.status = { available: true };
      } catch (err) {
        e.status = { available: false, reason: messageOf(err) };
      }
    }
    this.initialised = true;
    return this.status();
  }

  status(): Record<AudioTask, AnalyzerStatus> {
    return Object.fromEntries(this.entries.map((e) => [e.task, e.status])) as Record<
      AudioTask,
      AnalyzerStatus
    >;
  }

  infos(): AnalyzerInfo[] {
    return this.entries.flatMap((e) => (e.status.available && e.analyzer ? [e.analyzer.info] : []));
  }

  get<T extends AudioTask>(task: T): Analyzer<AudioAnalysisInput, NonNullable<AudioResults[T]>> | undefined {
    const e = this.entries.find((x) => x.task === task);
    return e?.status.available
      ? (e.analyzer as Analyzer<AudioAnalysisInput, NonNullable<AudioResults[T]>>)
      : undefined;
  }

  /**
   * Decodes `input` (encoded audio bytes) once and runs the requested analyzers. Requested but
   * unavailable analyzers are listed in `skipped`; a decoding error or an analyzer error fails
   * the call with its KaleidoError.
   */
  async analyze(input: Uint8Array, options: AnalyzeAudioOptions = {}): Promise<AudioAnalysisResult> {
    if (!this.initialised) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'audio analyzers are not initialised', {
        details: { modality: 'audio' },
      });
    }
    const tasks = options.tasks ?? ALL_AUDIO_TASKS;
    for (const t of tasks) {
      if (!(ALL_AUDIO_TASKS as readonly string[]).includes(t)) {
        throw new KaleidoError('ERR_VALIDATION', `unknown audio analyzer ${String(t)}`, {
          details: { field: 'tasks', value: t, allowed: ALL_AUDIO_TASKS },
        });
      }
    }
    const wanted = new Set(tasks);
    const skipped: Partial<Record<AudioTask, AnalyzerStatus>> = {};
    const runnable = new Map<AudioTask, Analyzer<AudioAnalysisInput, unknown>>();
    for (const task of wanted) {
      const e = this.entries.find((x) => x.task === task) as Entry;
      if (e.status.available && e.analyzer !== undefined) runnable.set(task, e.analyzer);
      else skipped[task] = e.status;
    }
    const decoder = this.deps.decoder;
    if (decoder === undefined || decoder.status().available !== true) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'no audio decoder is available', {
        details: { modality: 'audio', reason: decoder?.status().reason ?? 'no audio decoder configured' },
      });
    }
    const ctx = options.signal === undefined ? {} : { signal: options.signal };
    const timingsMs: Record<string, number> = {};
    const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await f();
      } finally {
        timingsMs[name] = Math.round((performance.now() - t0) * 100) / 100;
      }
    };
    const audio = await timed('decode', () =>
      decoder.decode(input, {
        sampleRate: VAD_SAMPLE_RATE,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
    const results: Record<string, unknown> = {};
    const infos: AnalyzerInfo[] = [];
    let base: AudioAnalysisInput = { audio };
    // Order matters: the transcription uses the VAD's segments.
    for (const task of ['signal', 'vad', 'transcript', 'commands'] as const) {
      const analyzer = runnable.get(task);
      if (analyzer === undefined) continue;
      const r = await timed(task, () => analyzer.analyze(base, ctx));
      results[task] = r;
      infos.push(analyzer.info);
      if (task === 'vad') base = { audio, speech: (r as NonNullable<AudioResults['vad']>).segments };
    }
    return {
      audio: {
        durationSeconds: audio.samples.length / audio.sampleRate,
        sampleRate: audio.sampleRate,
        source: audio.probe,
      },
      results: results as AudioResults,
      skipped,
      analyzers: infos,
      timingsMs,
    };
  }

  async close(): Promise<void> {
    for (const e of this.entries) {
      if (e.analyzer !== undefined) await e.analyzer.close();
      e.status = { available: false, reason: 'closed' };
    }
    await this.deps.decoder?.close();
    this.initialised = false;
  }
}

export function createAudioAnalyzers(deps: AudioAnalyzerDeps): AudioAnalyzers {
  return new AudioAnalyzers(deps);
}
