/**
 * CommandRecognizer on `soundswallower` (npm, MIT): PocketSphinx's decoder compiled to wasm, with
 * the CMU en-us semi-continuous acoustic model and pronouncing dictionary it ships. Constrained by
 * a JSGF grammar it can only answer phrases of that grammar, which is what makes isolated spoken
 * commands accurate (docs/accuracy.md: 10 commands on flite voices).
 *
 * Off the event loop: `process_audio` is synchronous wasm (~20 ms per 1.2 s clip measured here,
 * proportionally more for longer audio), so the decoder lives in a worker thread of its own and
 * the main thread only posts PCM. One decoder, one request at a time (a FIFO queue): the decoder
 * holds ~30 MB and the grammar is decoder state. The worker is started from source text
 * (`eval: true`) that imports the package by its resolved file URL, so it runs the same from the
 * TypeScript sources (tsx, vitest) and from dist/ without a loader.
 *
 * Silence: a grammar always yields its best phrase, even for silence or noise (an empty clip
 * decodes as "turn off" at posterior 0.94 with a two-phrase grammar), and the posterior does not
 * separate the two. So the PCM first goes through soundswallower's own endpointer (an energy/
 * spectral VAD); with no speech frame the answer is "no command", and otherwise only the speech
 * region (plus 0.1 s either side) is decoded, which also gives the command its time range.
 * (soundswallower 0.6.3's `Endpointer.end_stream` reads freed memory, so only whole frames are
 * given to the endpointer: a tail shorter than one 30 ms frame is not looked at.)
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type {
  CommandRecognizeOptions,
  CommandRecognizer,
  RecognizedCommand,
} from '../../core/ports/audio.js';

export interface SoundswallowerOptions {
  /** Grammar used when a call names none (default: {@link DEFAULT_COMMANDS}). */
  readonly jsgf?: string;
  /** Fixed part of the wall-clock limit of one call (default 10 s). */
  readonly timeoutMs?: number;
  /** Added per second of audio (default 500 ms). */
  readonly timeoutPerAudioSecondMs?: number;
  /**
   * Padding kept around the endpointer's speech region, seconds (default 0.1). Measured on 40
   * flite commands in 2 s clips: 0.05–0.1 s → 40/40 clean, 38/40 in white noise; 0.2 s → 37/40 in
   * noise (the grammar explains the extra hiss as the /s/ of "stop"); whole clip → 36/40.
   */
  readonly paddingSeconds?: number;
  /** Longest JSGF grammar accepted, in characters (default 16 384). */
  readonly maxGrammarChars?: number;
  /** Further decoder settings (soundswallower config keys, e.g. `{ remove_noise: false }`). */
  readonly decoderConfig?: Readonly<Record<string, string | number | boolean>>;
}

/** The default command set: the ten keywords of the Speech Commands data set. */
export const DEFAULT_COMMANDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];

/** A JSGF grammar whose public rule is exactly one of `phrases` (already validated words). */
export function commandsGrammar(phrases: readonly string[]): string {
  return `#JSGF V1.0;\ngrammar commands;\npublic <command> = ${phrases.join(' | ')};\n`;
}

const SAMPLE_RATE = 16000;
const DEFAULT_MAX_GRAMMAR_CHARS = 16_384;

/** Source of the worker thread (CommonJS, evaluated): one decoder, requests in order. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let decoder; let ss; let current = null;
const setGrammar = (jsgf) => {
  if (jsgf === current) return;
  current = null;
  decoder.set_grammar(jsgf);
  current = jsgf;
};
const ready = (async () => {
  const createModule = (await import(workerData.moduleUrl)).default;
  ss = await createModule({ modelBase: workerData.modelBase, print() {}, printErr() {} });
  decoder = new ss.Decoder({ ...workerData.decoderConfig, samprate: workerData.sampleRate, loglevel: 'FATAL' });
  await decoder.initialize();
  setGrammar(workerData.jsgf);
})();
function speechRegion(pcm) {
  const ep = new ss.Endpointer({ samprate: workerData.sampleRate, window: 0.3, ratio: 0.5 });
  const size = ep.get_frame_size();
  let start = -1; let end = -1;
  const note = () => {
    if (ep.get_in_speech()) { if (start < 0) start = ep.get_speech_start(); end = -1; }
    else if (start >= 0 && end < 0) end = ep.get_speech_end();
  };
  // Whole frames only: Endpointer.end_stream (0.6.3) reads its sample count after freeing it.
  for (let i = 0; i + size <= pcm.length; i += size) { ep.process(pcm.subarray(i, i + size)); note(); }
  if (start < 0) return null;
  return { start, end: end < 0 || end < start ? pcm.length / workerData.sampleRate : end };
}
parentPort.on('message', async (m) => {
  try {
    await ready;
    if (m.type === 'lookup') {
      parentPort.postMessage({ id: m.id, ok: true, value: m.words.filter((w) => decoder.lookup_word(w) === null) });
      return;
    }
    try { setGrammar(m.jsgf); } catch (e) {
      parentPort.postMessage({ id: m.id, ok: false, code: 'ERR_VALIDATION', message: 'the grammar cannot be used: ' + e.message });
      return;
    }
    if (m.type === 'check') { parentPort.postMessage({ id: m.id, ok: true, value: null }); return; }
    const pcm = m.samples;
    const region = speechRegion(pcm);
    if (region === null) { parentPort.postMessage({ id: m.id, ok: true, value: null }); return; }
    const rate = workerData.sampleRate;
    const from = Math.max(0, Math.floor((region.start - m.padding) * rate));
    const to = Math.min(pcm.length, Math.ceil((region.end + m.padding) * rate));
    decoder.start();
    decoder.process_audio(pcm.subarray(from, to), false, true);
    decoder.stop();
    const text = decoder.get_text();
    const a = decoder.get_alignment();
    const offset = from / rate;
    const words = (a.w || []).filter((w) => !/^(<.*>|\\(NULL\\)|\\[.*\\])$/.test(w.t))
      .map((w) => ({ word: w.t.replace(/\\(\\d+\\)$/, ''), start: offset + w.b, end: offset + w.b + w.d, confidence: w.p }));
    if (text === '' || words.length === 0) { parentPort.postMessage({ id: m.id, ok: true, value: null }); return; }
    const confidence = words.reduce((p, w) => p * w.confidence, 1);
    parentPort.postMessage({ id: m.id, ok: true, value: {
      command: text, start: words[0].start, end: words[words.length - 1].end, confidence, words } });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, code: 'ERR_UNAVAILABLE', message: String(e && e.message || e) });
  }
});
`;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

type Reply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class SoundswallowerCommands implements CommandRecognizer {
  readonly name = 'soundswallower';
  readonly language = 'en-US';
  readonly sampleRate = SAMPLE_RATE;
  readonly model = 'cmusphinx en-us semi-continuous HMM + JSGF grammar (soundswallower wasm)';
  private versionText = 'unknown';
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: AnalyzerStatus = { available: false, reason: 'not initialised' };
  /** The worker died or was stopped after a timeout: the next call starts a new one. */
  private restartable = false;
  private starting: Promise<void> | undefined;
  private readonly jsgf: string;
  private readonly maxGrammarChars: number;

  constructor(private readonly options: SoundswallowerOptions = {}) {
    this.jsgf = options.jsgf ?? commandsGrammar(DEFAULT_COMMANDS);
    this.maxGrammarChars = options.maxGrammarChars ?? DEFAULT_MAX_GRAMMAR_CHARS;
  }

  get version(): string {
    return this.versionText;
  }

  async init(): Promise<void> {
    if (this.worker !== undefined) return;
    try {
      const require = createRequire(import.meta.url);
      const entry = require.resolve('soundswallower');
      const dir = dirname(entry);
      this.versionText = (require(join(dir, 'package.json')) as { version: string }).version;
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          moduleUrl: pathToFileURL(entry).href,
          modelBase: `${join(dir, 'model')}/`,
          sampleRate: SAMPLE_RATE,
          jsgf: this.jsgf,
          decoderConfig: { ...this.options.decoderConfig },
        },
      });
      worker.on('message', (r: Reply) => this.settle(r));
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', () => {
        // A crashed decoder is started again by the next call (see `call`).
        if (this.worker === worker) {
          this.worker = undefined;
          this.restartable = true;
        }
        this.fail(new Error('the soundswallower worker exited'));
      });
      this.worker = worker;
      // The first request waits for the model to load: a lookup proves the decoder works.
      await this.call({ type: 'lookup', words: ['yes'] }, 60_000);
      worker.unref();
      this.state = { available: true };
    } catch (e) {
      await this.close();
      this.state = { available: false, reason: `soundswallower unavailable: ${(e as Error).message}` };
      throw new KaleidoError('ERR_UNAVAILABLE', this.state.reason as string, { cause: e });
    }
  }

  status(): AnalyzerStatus {
    return this.state;
  }

  async unknownWords(words: readonly string[]): Promise<string[]> {
    return (await this.call(
      { type: 'lookup', words: words.map((w) => w.toLowerCase()) },
      10_000,
    )) as string[];
  }

  async checkGrammar(jsgf: string): Promise<void> {
    this.checkSize(jsgf);
    await this.call({ type: 'check', jsgf }, 10_000);
  }

  async recognize(
    samples: Float32Array,
    options: CommandRecognizeOptions = {},
  ): Promise<RecognizedCommand | null> {
    if (options.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', 'command recognition cancelled', {
        details: { analyzer: 'commands' },
      });
    }
    const jsgf = options.jsgf ?? this.jsgf;
    this.checkSize(jsgf);
    const seconds = samples.length / SAMPLE_RATE;
    const timeout =
      options.timeoutMs ??
      (this.options.timeoutMs ?? 10_000) + seconds * (this.options.timeoutPerAudioSecondMs ?? 500);
    const r = (await this.call(
      { type: 'recognize', jsgf, samples: samples.slice(), padding: this.options.paddingSeconds ?? 0.1 },
      timeout,
    )) as RecognizedCommand | null;
    if (r === null) return null;
    return {
      command: r.command,
      start: round3(r.start),
      end: round3(r.end),
      confidence: round3(r.confidence),
      words: r.words.map((w) => ({ ...w, start: round3(w.start), end: round3(w.end) })),
    };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.restartable = false;
    this.state = { available: false, reason: 'closed' };
    if (w !== undefined) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
    this.fail(new Error('the command recogniser was closed'));
  }

  private checkSize(jsgf: string): void {
    if (jsgf.length > this.maxGrammarChars) {
      throw new KaleidoError('ERR_VALIDATION', `the grammar is over ${this.maxGrammarChars} characters`, {
        details: { field: 'jsgf', maxChars: this.maxGrammarChars, chars: jsgf.length },
      });
    }
  }

  private async call(message: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    if (this.worker === undefined && (this.restartable || this.starting !== undefined)) {
      this.restartable = false;
      this.starting ??= this.init().finally(() => {
        this.starting = undefined;
      });
      await this.starting;
    }
    const w = this.worker;
    if (w === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'the command recogniser is not running');
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      p.timer = setTimeout(() => {
        // The decoder cannot be interrupted: a stuck one is terminated, and the next call starts
        // a fresh one.
        this.pending.delete(id);
        reject(new KaleidoError('ERR_TIMEOUT', `command recognition took longer than ${timeoutMs} ms`));
        const stuck = this.worker;
        this.worker = undefined;
        this.restartable = true;
        if (stuck !== undefined) {
          stuck.removeAllListeners('exit');
          void stuck.terminate();
        }
        this.fail(
          new KaleidoError('ERR_UNAVAILABLE', 'the command recogniser was restarted after a timeout'),
        );
      }, timeoutMs);
      this.pending.set(id, p);
      w.ref();
      const transfer = message.samples instanceof Float32Array ? [message.samples.buffer as ArrayBuffer] : [];
      w.postMessage({ id, ...message }, transfer);
    });
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.worker?.unref();
    if (r.ok) p.resolve(r.value);
    else {
      const code = r.code === 'ERR_VALIDATION' ? 'ERR_VALIDATION' : 'ERR_UNAVAILABLE';
      p.reject(
        new KaleidoError(code, r.message, code === 'ERR_VALIDATION' ? { details: { field: 'jsgf' } } : {}),
      );
    }
  }

  private fail(e: unknown): void {
    const err = isKaleidoError(e)
      ? e
      : new KaleidoError('ERR_UNAVAILABLE', `command recogniser: ${(e as Error).message}`, { cause: e });
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
