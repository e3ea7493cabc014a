/**
 * Labelled audio for the audio evaluation and tests, generated here — no audio data set with
 * speech/non-speech labels ships in any package (docs/MODELS.md §5), so the labels come from the
 * construction:
 *
 * - Speech: Harvard sentences (IEEE 1969 "Recommended practice for speech quality measurements",
 *   lists 1–5, public domain) spoken by the Debian TTS voices flite slt/rms/awb/kal16 and
 *   espeak-ng en-us, decoded to 16 kHz mono with the project's own decoder.
 * - VAD stream: utterances trimmed of their leading/trailing silence (10 ms RMS windows below
 *   −45 dBFS), peak-normalised to a seeded level in [−12, −1] dBFS, joined by seeded gaps of
 *   0.5–2.0 s, with white noise at −50 dBFS RMS over the whole stream. Speech = the trimmed
 *   utterances; everything else is non-speech.
 * - ASR: the five LibriVox utterances with transcripts in Debian `pocketsphinx-testdata`, and the
 *   Harvard sentences, each by one voice (assigned round-robin).
 *
 *   npx tsx scripts/eval/audio-data.ts --fixtures    writes test/fixtures/audio/{vad-stream.flac,
 *                                                    vad-stream.json, six-hours-silence.flac}
 *
 * Everything is a pure function of the seed and of the installed flite/espeak-ng versions.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../../src/adapters/media-ffmpeg/child-process.js';
import { PocketsphinxRecognizer } from '../../src/adapters/asr-pocketsphinx/index.js';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { FfmpegDecoder } from '../../src/adapters/media-ffmpeg/index.js';
import { createFsModelSource } from '../../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { noopServingMetrics } from '../../src/core/ports/metrics.js';
import { Rng } from '../../src/core/random.js';
import { createAudioAnalyzers, type AudioAnalyzers } from '../../src/modalities/audio/registry.js';
import type { TimeRange } from '../../src/modalities/audio/types.js';
import { VAD_MODEL, VadAnalyzer } from '../../src/modalities/audio/vad.js';
import { KaleidoInferenceService } from '../../src/serving/inference-service.js';
import { ModelManager } from '../../src/serving/model-manager.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'audio');
export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';
export const SAMPLE_RATE = 16_000;
export const VAD_STREAM_SEED = 20_240_611;

/** IEEE Harvard sentences, lists 1–5. */
export const HARVARD: readonly string[] = [
  'The birch canoe slid on the smooth planks.',
  'Glue the sheet to the dark blue background.',
  "It's easy to tell the depth of a well.",
  'These days a chicken leg is a rare dish.',
  'Rice is often served in round bowls.',
  'The juice of lemons makes fine punch.',
  'The box was thrown beside the parked truck.',
  'The hogs were fed chopped corn and garbage.',
  'Four hours of steady work faced us.',
  'A large size in stockings is hard to sell.',
  'The boy was there when the sun rose.',
  'A rod is used to catch pink salmon.',
  'The source of the huge river is the clear spring.',
  'Kick the ball straight and follow through.',
  'Help the woman get back to her feet.',
  'A pot of tea helps to pass the evening.',
  'Smoky fires lack flame and heat.',
  "The soft cushion broke the man's fall.",
  'The salt breeze came across from the sea.',
  'The girl at the booth sold fifty bonds.',
  'The small pup gnawed a hole in the sock.',
  'The fish twisted and turned on the bent hook.',
  'Press the pants and sew a button on the vest.',
  'The swan dive was far short of perfect.',
  'The beauty of the view stunned the young boy.',
  'Two blue fish swam in the tank.',
  'Her purse was full of useless trash.',
  'The colt reared and threw the tall rider.',
  'It snowed, rained, and hailed the same morning.',
  'Read verse out loud for pleasure.',
  'Hoist the load to your left shoulder.',
  'Take the winding path to reach the lake.',
  'Note closely the size of the gas tank.',
  'Wipe the grease off his dirty face.',
  'Mend the coat before you go out.',
  'The wrist was badly strained and hung limp.',
  'The stray cat gave birth to kittens.',
  'The young girl gave no clear response.',
  'The meal was cooked before the bell rang.',
  'What joy there is in living.',
  'A king ruled the state in the early days.',
  'The ship was torn apart on the sharp reef.',
  'Sickness kept him home the third week.',
  'The wide road shimmered in the hot sun.',
  'The lazy cow lay in the cool grass.',
  'Lift the square stone over the fence.',
  'The rope will bind the seven books at once.',
  'Hop over the fence and plunge in.',
  'The friendly gang left the drug store.',
  'Mesh wire keeps chicks inside.',
];

export const VOICES = ['flite:slt', 'flite:rms', 'flite:awb', 'flite:kal16', 'espeak-ng:en-us'] as const;
export type Voice = (typeof VOICES)[number];

export interface Utterance {
  readonly voice: Voice;
  readonly text: string;
  /** 16 kHz mono PCM. */
  readonly samples: Float32Array;
}

let decoder: FfmpegDecoder | undefined;
async function sharedDecoder(): Promise<FfmpegDecoder> {
  if (decoder === undefined) {
    decoder = new FfmpegDecoder();
    await decoder.init();
  }
  return decoder;
}

/** Speaks `text` with a TTS voice; returns WAV bytes (flite: 16 kHz, espeak-ng: 22.05 kHz). */
export async function synthesizeWav(text: string, voice: Voice): Promise<Uint8Array> {
  const [engine, name] = voice.split(':') as [string, string];
  if (engine === 'espeak-ng') {
    const run = await runProcess({
      command: 'espeak-ng',
      args: ['-v', name, '-s', '160', '--stdout', text],
      timeoutMs: 30_000,
      maxStdoutBytes: 32 << 20,
    });
    if (run.exitCode !== 0 || run.stdoutBytes < 100)
      throw new Error(`espeak-ng failed for "${text}": ${run.stderr}`);
    return new Uint8Array(Buffer.concat(run.stdout));
  }
  // flite writes only to a file it can open (a Node child's stdout is a socket, not openable).
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-tts-'));
  try {
    const file = join(dir, 'speech.wav');
    const run = await runProcess({
      command: 'flite',
      args: ['-voice', name, '-t', text, '-o', file],
      timeoutMs: 30_000,
      maxStdoutBytes: 1 << 20,
    });
    if (run.exitCode !== 0) throw new Error(`flite failed for "${text}" (${voice}): ${run.stderr}`);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Speaks `text` and decodes it to 16 kHz mono. */
export async function synthesize(text: string, voice: Voice): Promise<Utterance> {
  const d = await sharedDecoder();
  const audio = await d.decode(await synthesizeWav(text, voice));
  return { voice, text, samples: audio.samples };
}

/** Cuts leading and trailing silence: 10 ms windows whose RMS is below `thresholdDbfs`. */
export function trimSilence(samples: Float32Array, thresholdDbfs = -45): Float32Array {
  const win = SAMPLE_RATE / 100;
  const threshold = 10 ** (thresholdDbfs / 20);
  const loud = (w: number): boolean => {
    let s = 0;
    const from = w * win;
    const to = Math.min(samples.length, from + win);
    for (let i = from; i < to; i++) s += (samples[i] as number) ** 2;
    return Math.sqrt(s / Math.max(1, to - from)) >= threshold;
  };
  const windows = Math.ceil(samples.length / win);
  let first = 0;
  while (first < windows && !loud(first)) first++;
  let last = windows - 1;
  while (last > first && !loud(last)) last--;
  return samples.slice(first * win, Math.min(samples.length, (last + 1) * win));
}

/** Gaussian white noise via Box–Muller from the seeded generator. */
function gaussian(rng: Rng): number {
  const u = Math.max(rng.random(), 1e-12);
  const v = rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface VadStream {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Ground-truth speech ranges (seconds). */
  readonly speech: readonly TimeRange[];
  readonly utterances: readonly {
    readonly voice: Voice;
    readonly text: string;
    readonly start: number;
    readonly end: number;
  }[];
  readonly seed: number;
}

export interface VadStreamOptions {
  readonly utterances: number;
  readonly seed?: number;
  readonly noiseDbfs?: number;
}

/**
 * The speech/noise stream: `utterances` Harvard sentences, voices in rotation, sentences drawn
 * without replacement (seeded), gaps 0.5–2.0 s (also before the first and after the last).
 */
export async function buildVadStream(options: VadStreamOptions): Promise<VadStream> {
  const seed = options.seed ?? VAD_STREAM_SEED;
  const rng = new Rng(seed);
  const order = HARVARD.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const parts: Float32Array[] = [];
  const utterances: { voice: Voice; text: string; start: number; end: number }[] = [];
  let at = 0;
  const gap = (): void => {
    const n = Math.round(rng.uniform(0.5, 2.0) * SAMPLE_RATE);
    parts.push(new Float32Array(n));
    at += n;
  };
  gap();
  for (let k = 0; k < options.utterances; k++) {
    const text = HARVARD[order[k % order.length] as number] as string;
    const voice = VOICES[k % VOICES.length] as Voice;
    const u = trimSilence((await synthesize(text, voice)).samples);
    let peak = 0;
    for (const x of u) peak = Math.max(peak, Math.abs(x));
    const gain = 10 ** (rng.uniform(-12, -1) / 20) / Math.max(peak, 1e-9);
    const scaled = u.map((x) => x * gain);
    utterances.push({ voice, text, start: at / SAMPLE_RATE, end: (at + scaled.length) / SAMPLE_RATE });
    parts.push(scaled);
    at += scaled.length;
    gap();
  }
  const samples = new Float32Array(at);
  let o = 0;
  for (const p of parts) {
    samples.set(p, o);
    o += p.length;
  }
  const sigma = 10 ** ((options.noiseDbfs ?? -50) / 20);
  for (let i = 0; i < samples.length; i++) samples[i] = (samples[i] as number) + sigma * gaussian(rng);
  return {
    samples,
    sampleRate: SAMPLE_RATE,
    speech: utterances.map(({ start, end }) => ({ start, end })),
    utterances,
    seed,
  };
}

export interface FrameScore {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  /** Frames scored (those near a boundary excluded). */
  readonly frames: number;
  readonly excluded: number;
}

/**
 * Frame accuracy of predicted speech segments against the truth: 32 ms frames, each labelled by
 * whether its centre lies in a range; frames whose centre is within `excludeSeconds` of a true
 * boundary are not scored (the boundary itself is fuzzy: TTS onsets are soft).
 */
export function frameAccuracy(
  predicted: readonly TimeRange[],
  truth: readonly TimeRange[],
  durationSeconds: number,
  frameSeconds = 0.032,
  excludeSeconds = 0.1,
): FrameScore {
  const inside = (rs: readonly TimeRange[], t: number): boolean => rs.some((r) => t >= r.start && t < r.end);
  const boundaries = truth.flatMap((r) => [r.start, r.end]);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let excluded = 0;
  for (let t = frameSeconds / 2; t < durationSeconds; t += frameSeconds) {
    if (boundaries.some((b) => Math.abs(b - t) <= excludeSeconds)) {
      excluded++;
      continue;
    }
    const want = inside(truth, t);
    const got = inside(predicted, t);
    if (want && got) tp++;
    else if (want) fn++;
    else if (got) fp++;
    else tn++;
  }
  const frames = tp + fp + tn + fn;
  return {
    accuracy: frames > 0 ? (tp + tn) / frames : 0,
    precision: tp + fp > 0 ? tp / (tp + fp) : 1,
    recall: tp + fn > 0 ? tp / (tp + fn) : 1,
    frames,
    excluded,
  };
}

/** Lower case, words only (apostrophes kept: the CMU dictionary has "it's", "man's"). */
export const normalizeWords = (s: string): string[] =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);

/** Word-level edit distance (substitutions + deletions + insertions) between reference and hypothesis. */
export function wordErrors(reference: readonly string[], hypothesis: readonly string[]): number {
  let prev = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const sub = (prev[j - 1] as number) + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[hypothesis.length] as number;
}

export interface AsrClip {
  readonly id: string;
  readonly source: string;
  readonly reference: string;
  /** Encoded audio (WAV). */
  readonly bytes: Uint8Array;
}

/** The LibriVox utterances of pocketsphinx-testdata, with their reference transcripts. */
export function librivoxClips(dir = LIBRIVOX_DIR): AsrClip[] {
  const lines = readFileSync(join(dir, 'transcription'), 'utf8').split('\n');
  return lines.flatMap((line) => {
    const m = /^(.*)\(([^)]+)\)\s*$/.exec(line.trim());
    if (m === null) return [];
    const id = (m[2] as string).trim();
    const reference = (m[1] as string).replace(/<\/?s>/g, '').trim();
    return [
      { id, source: 'librivox', reference, bytes: new Uint8Array(readFileSync(join(dir, `${id}.wav`))) },
    ];
  });
}

/** The Harvard sentences, each spoken by one voice (round-robin), as WAV bytes. */
export async function harvardClips(count = HARVARD.length): Promise<AsrClip[]> {
  const out: AsrClip[] = [];
  for (let i = 0; i < count; i++) {
    const text = HARVARD[i % HARVARD.length] as string;
    const voice = VOICES[i % VOICES.length] as Voice;
    out.push({
      id: `harvard-${i + 1}`,
      source: voice,
      reference: text,
      bytes: await synthesizeWav(text, voice),
    });
  }
  return out;
}

/** PCM [-1, 1] → FLAC bytes via ffmpeg (lossless, for committed fixtures). */
async function encodeFlac(samples: Float32Array, args: readonly string[] = []): Promise<Uint8Array> {
  const run = await runProcess({
    command: 'ffmpeg',
    args: [
      '-v',
      'error',
      '-f',
      'f32le',
      '-ar',
      String(SAMPLE_RATE),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      '-sample_fmt',
      's16',
      ...args,
      '-f',
      'flac',
      'pipe:1',
    ],
    stdin: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength),
    timeoutMs: 120_000,
    maxStdoutBytes: 64 << 20,
  });
  if (run.exitCode !== 0) throw new Error(`ffmpeg flac encode failed: ${run.stderr}`);
  return new Uint8Array(Buffer.concat(run.stdout));
}

export const FIXTURE_STREAM_UTTERANCES = 10;

/** Writes the committed test fixtures (small: see the sizes printed). */
async function writeFixtures(): Promise<void> {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const stream = await buildVadStream({ utterances: FIXTURE_STREAM_UTTERANCES });
  const flac = await encodeFlac(stream.samples);
  writeFileSync(join(FIXTURE_DIR, 'vad-stream.flac'), flac);
  writeFileSync(
    join(FIXTURE_DIR, 'vad-stream.json'),
    `${JSON.stringify(
      {
        description:
          'Generated by `npx tsx scripts/eval/audio-data.ts --fixtures`: Harvard sentences by flite/espeak-ng voices, silence-trimmed, joined by 0.5–2.0 s gaps, white noise at −50 dBFS over all. `speech` are the true speech ranges (s).',
        seed: stream.seed,
        durationSeconds: stream.samples.length / SAMPLE_RATE,
        speech: stream.speech,
        utterances: stream.utterances,
      },
      null,
      2,
    )}\n`,
  );
  // Six hours of digital silence at 8 kHz in 32768-sample FLAC frames: 6 h of audio in ~75 KB,
  // the "very long upload" case of the tests.
  const run = await runProcess({
    command: 'ffmpeg',
    args: [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000:cl=mono',
      '-t',
      '21600',
      '-c:a',
      'flac',
      '-sample_fmt',
      's16',
      '-frame_size',
      '32768',
      '-f',
      'flac',
      'pipe:1',
    ],
    timeoutMs: 300_000,
    maxStdoutBytes: 16 << 20,
  });
  if (run.exitCode !== 0) throw new Error(`ffmpeg failed: ${run.stderr}`);
  writeFileSync(join(FIXTURE_DIR, 'six-hours-silence.flac'), Buffer.concat(run.stdout));
  console.log(
    `wrote ${FIXTURE_DIR}: vad-stream.flac ${flac.length} bytes (${(stream.samples.length / SAMPLE_RATE).toFixed(1)} s), six-hours-silence.flac ${run.stdoutBytes} bytes`,
  );
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === process.argv[1] &&
  process.argv.includes('--fixtures')
) {
  await writeFixtures();
}

export interface AudioStack {
  readonly analyzers: AudioAnalyzers;
  readonly inference: KaleidoInferenceService;
  readonly decoder: FfmpegDecoder;
  /** The VAD analyzer itself, for raw per-frame probabilities. */
  readonly vad: VadAnalyzer;
  close(): Promise<void>;
}

/**
 * The audio analyzers wired with their real adapters and a real serving stack (filesystem model
 * repository with the bundled silero_vad, onnxruntime, model manager, inference service) — the
 * wiring main.ts does, for the evaluation and the integration test.
 */
export async function createAudioStack(options: { repository?: string } = {}): Promise<AudioStack> {
  const clock = createSystemClock();
  const manager = new ModelManager({
    source: createFsModelSource([options.repository ?? join(ROOT, 'models', 'bundled')]),
    runtime: new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  const inference = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: 'eval',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  await inference.loadModel(VAD_MODEL);
  inference.markStartupComplete();
  const decoder = new FfmpegDecoder();
  const analyzers = createAudioAnalyzers({ decoder, inference, recognizer: new PocketsphinxRecognizer() });
  await analyzers.init();
  const vad = new VadAnalyzer(inference);
  await vad.init();
  return {
    analyzers,
    inference,
    decoder,
    vad,
    close: async () => {
      await analyzers.close();
      await manager.shutdown();
    },
  };
}
