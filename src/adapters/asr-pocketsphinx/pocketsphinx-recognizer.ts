/**
 * SpeechRecognizer on the Debian `pocketsphinx` command-line decoder (CMU Sphinx 5prealpha) with
 * the `pocketsphinx-en-us` model: a semi-continuous GMM/HMM acoustic model, a 3-gram language
 * model and the CMU pronouncing dictionary — open-vocabulary English dictation, the only one
 * obtainable offline here (docs/MODELS.md §1). Not a neural model.
 *
 * The PCM goes to `pocketsphinx_continuous -infile /dev/stdin` as 16-bit little-endian samples
 * (a path without ".wav" is read as headerless PCM), and `-time yes` makes it print every word
 * with start/end seconds and posterior probability after each utterance it segments:
 *
 *     he was not an illness those young man        ← hypothesis line
 *     <s> 0.000 0.060 0.999500                     ← word lines: word start end posterior
 *     he 0.210 0.320 0.998701
 *     was(2) 0.330 0.540 0.999800                  ← "(2)": second pronunciation variant
 *     [SPEECH] 0.980 1.100 0.535598                ← filler
 *
 * Times are from the start of the input (not of the utterance). Each call loads the model again
 * (~0.3 s of CPU): the CLI keeps no state between calls, which also means a crash affects one
 * request only. Concurrency is capped because each decoder holds ~100 MB.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { RecognizedWord, RecognizeOptions, SpeechRecognizer } from '../../core/ports/audio.js';
import { runProcess, stderrExcerpt } from '../media-ffmpeg/child-process.js';

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface PocketsphinxOptions {
  /** The decoder program (default "pocketsphinx_continuous" on PATH). */
  readonly program?: string;
  /** Directory holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  readonly modelDir?: string;
  /** Overrides of the three model paths. */
  readonly hmm?: string;
  readonly lm?: string;
  readonly dict?: string;
  /** Fixed part of the wall-clock limit of one call (default 15 s). */
  readonly timeoutMs?: number;
  /** Added to the limit per second of audio (default 2000 ms: 2× real time on top). */
  readonly timeoutPerAudioSecondMs?: number;
  /** Decoders allowed to run at once; further calls wait (default 2). */
  readonly maxConcurrent?: number;
}

const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;
const WORD_LINE = /^(\S+) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/;

/** Word lines of `-time yes` output → words in time order, fillers and variant markers removed. */
export function parseTimedWords(stdout: string): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  for (const line of stdout.split('\n')) {
    const m = WORD_LINE.exec(line.trim());
    if (m === null) continue;
    const token = m[1] as string;
    if (FILLER.test(token)) continue;
    const confidence = Number(m[4]);
    words.push({
      word: token.replace(/\(\d+\)$/, ''),
      start: Number(m[2]),
      end: Number(m[3]),
      ...(Number.isFinite(confidence) ? { confidence: Math.min(1, Math.max(0, confidence)) } : {}),
    });
  }
  return words.sort((a, b) => a.start - b.start);
}

/** Float PCM in [-1, 1] → 16-bit little-endian bytes (clamped, rounded). */
export function toPcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i] as number));
    view.setInt16(i * 2, Math.round(x * 32767), true);
  }
  return out;
}

/** A counting semaphore: at most `limit` holders; the others wait in FIFO order. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = 'pocketsphinx';
  readonly language = 'en-US';
  readonly sampleRate = 16_000;
  readonly model = 'CMU Sphinx en-us semi-continuous GMM/HMM acoustic model + en-us 3-gram LM + cmudict';
  private versionText = 'unknown';
  private state: AnalyzerStatus = { available: false, reason: 'not initialised' };
  private readonly program: string;
  private readonly paths: { readonly hmm: string; readonly lm: string; readonly dict: string };
  private readonly timeoutMs: number;
  private readonly perSecondMs: number;
  private readonly gate: Gate;

  constructor(options: PocketsphinxOptions = {}) {
    this.program = options.program ?? 'pocketsphinx_continuous';
    const dir = options.modelDir ?? DEFAULT_MODEL_DIR;
    this.paths = {
      hmm: options.hmm ?? join(dir, 'en-us'),
      lm: options.lm ?? join(dir, 'en-us.lm.bin'),
      dict: options.dict ?? join(dir, 'cmudict-en-us.dict'),
    };
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.perSecondMs = options.timeoutPerAudioSecondMs ?? 2_000;
    const concurrent = options.maxConcurrent ?? 2;
    for (const [field, v] of [
      ['timeoutMs', this.timeoutMs],
      ['timeoutPerAudioSecondMs', this.perSecondMs],
      ['maxConcurrent', concurrent],
    ] as const) {
      if (!(Number.isFinite(v) && v > 0)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `pocketsphinx ${field} must be a positive number`, {
          details: { field, value: v },
        });
      }
    }
    this.gate = new Gate(Math.floor(concurrent));
  }

  get version(): string {
    return this.versionText;
  }

  /**
   * Checks the model files and that the program runs (decoding an empty input), and reads the
   * Debian package version when dpkg is there. A missing piece makes the recogniser unavailable.
   */
  async init(): Promise<void> {
    try {
      const missing = Object.entries(this.paths).filter(([, p]) => !existsSync(p));
      if (missing.length > 0) {
        throw new KaleidoError(
          'ERR_UNAVAILABLE',
          `pocketsphinx model files are missing: ${missing.map(([k, p]) => `${k}=${p}`).join(', ')} (install Debian package "pocketsphinx-en-us")`,
          { details: { missing: Object.fromEntries(missing) } },
        );
      }
      const r = await this.spawn(new Uint8Array(0), 30_000);
      if (r.exitCode === 127) {
        throw new KaleidoError(
          'ERR_UNAVAILABLE',
          `${this.program} was not found; install Debian package "pocketsphinx" or set the program path`,
          { details: { program: this.program, stderr: errorLines(r.stderr) } },
        );
      }
      if (r.exitCode !== 0) {
        throw new KaleidoError(
          'ERR_UNAVAILABLE',
          `${this.program} failed to start (exit ${String(r.exitCode)})`,
          {
            details: { program: this.program, stderr: errorLines(r.stderr) },
          },
        );
      }
      this.versionText = await packageVersion();
      this.state = { available: true };
    } catch (e) {
      const reason =
        isKaleidoError(e) && e.details?.['missing'] === true
          ? `${e.message}; install Debian package "pocketsphinx" or set the program path`
          : e instanceof Error
            ? e.message
            : String(e);
      this.state = { available: false, reason };
      throw new KaleidoError('ERR_UNAVAILABLE', reason, {
        ...(isKaleidoError(e) && e.details ? { details: e.details } : {}),
        cause: e,
      });
    }
  }

  status(): AnalyzerStatus {
    return this.state;
  }

  close(): Promise<void> {
    this.state = { available: false, reason: 'closed' };
    return Promise.resolve();
  }

  async recognize(samples: Float32Array, options: RecognizeOptions = {}): Promise<RecognizedWord[]> {
    if (this.state.available !== true) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `the speech recogniser is unavailable: ${this.state.reason ?? ''}`,
        {
          details: { recognizer: this.name },
        },
      );
    }
    if (samples.length === 0) return [];
    const seconds = samples.length / this.sampleRate;
    const timeoutMs = options.timeoutMs ?? Math.round(this.timeoutMs + this.perSecondMs * seconds);
    const r = await this.gate.run(() => this.spawn(toPcm16(samples), timeoutMs, options.signal));
    if (r.stopped === 'cancelled') {
      throw new KaleidoError('ERR_CANCELLED', 'speech recognition was cancelled', {
        details: { recognizer: this.name },
      });
    }
    if (r.stopped === 'timeout') {
      throw new KaleidoError(
        'ERR_TIMEOUT',
        `speech recognition took longer than ${timeoutMs} ms and was stopped`,
        {
          details: { recognizer: this.name, timeoutMs, audioSeconds: seconds },
        },
      );
    }
    if (r.exitCode !== 0 || r.stopped === 'output') {
      throw new KaleidoError('ERR_UNAVAILABLE', `${this.program} failed (exit ${String(r.exitCode)})`, {
        details: { recognizer: this.name, exitCode: r.exitCode, stderr: errorLines(r.stderr) },
      });
    }
    return parseTimedWords(Buffer.concat(r.stdout).toString('utf8'));
  }

  /**
   * pocketsphinx reads its input with fopen(), and Node connects a child's stdin through a socket,
   * which /dev/stdin cannot open (ENXIO). So a shell puts `cat` in front: pocketsphinx then reads
   * a real pipe, and the PCM still never touches the disk. The pipeline runs in its own process
   * group so that a timeout kills all of it.
   */
  private spawn(pcm: Uint8Array, timeoutMs: number, signal?: RecognizeOptions['signal']) {
    return runProcess({
      command: 'sh',
      args: [
        '-c',
        'cat | exec "$0" "$@"',
        this.program,
        '-infile',
        '/dev/stdin',
        '-time',
        'yes',
        '-samprate',
        String(this.sampleRate),
        '-hmm',
        this.paths.hmm,
        '-lm',
        this.paths.lm,
        '-dict',
        this.paths.dict,
      ],
      stdin: pcm,
      timeoutMs,
      processGroup: true,
      // Text output: a few dozen bytes per word. 4 MiB is far beyond any real transcript.
      maxStdoutBytes: 4 << 20,
      keepStderr: 'tail',
      maxStderrBytes: 8192,
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

/** ERROR/FATAL lines of pocketsphinx's verbose log (the INFO lines say nothing useful here). */
function errorLines(stderr: string): string {
  const errors = stderr.split('\n').filter((l) => /ERROR|FATAL/.test(l));
  return stderrExcerpt(errors.length > 0 ? errors.join('\n') : stderr);
}

/** The Debian package version ("0.8+5prealpha+1-15"), or "unknown" off Debian: the CLI has no --version. */
async function packageVersion(): Promise<string> {
  try {
    const r = await runProcess({
      command: 'dpkg-query',
      args: ['-W', '-f=${Version}', 'pocketsphinx'],
      timeoutMs: 5_000,
      maxStdoutBytes: 4096,
    });
    const v = Buffer.concat(r.stdout).toString('utf8').trim();
    return r.exitCode === 0 && v.length > 0 ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}
