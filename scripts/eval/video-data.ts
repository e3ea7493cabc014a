/**
 * Labelled video for the video evaluation, generated here with ffmpeg and flite (no labelled video
 * set ships in any installed package), so the labels come from the construction:
 *
 * - Scenes: 2–4 per clip, each 1.6–4.0 s (whole frames at 25 fps), a solid background from an
 *   8-colour palette (never the same twice in a row) and a caption from a list, drawn in DejaVu
 *   Sans Bold 40–64 px at a seeded position; in "moving" scenes a white box also slides across
 *   the bottom. Labels: the cut times, each scene's caption and background colour.
 * - Speech: one Harvard sentence (IEEE 1969, public domain) by a flite voice, placed at a seeded
 *   offset; the label is the utterance without its leading/trailing silence (10 ms RMS windows
 *   below −45 dBFS), as in the audio evaluation.
 * - Motion clips (real-time factor without frame reuse): ffmpeg's `testsrc2` pattern, which changes
 *   every frame, with two spoken sentences.
 *
 * Everything is a pure function of the seed and of the installed ffmpeg/flite versions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../src/adapters/media-ffmpeg/child-process.js';
import { Rng } from '../../src/core/random.js';
import { HARVARD, SAMPLE_RATE, synthesize, synthesizeWav, type Voice } from './audio-data.js';

export const VIDEO_EVAL_SEED = 20_261_127;
export const FPS = 25;
export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export const PALETTE: readonly { readonly name: string; readonly hex: string }[] = [
  { name: 'red', hex: '#c62828' },
  { name: 'green', hex: '#2e7d32' },
  { name: 'blue', hex: '#1565c0' },
  { name: 'orange', hex: '#ef6c00' },
  { name: 'purple', hex: '#6a1b9a' },
  { name: 'teal', hex: '#00838f' },
  { name: 'brown', hex: '#5d4037' },
  { name: 'grey', hex: '#424242' },
];

export const CAPTIONS: readonly string[] = [
  'OPEN DAILY',
  'FRESH BREAD',
  'PLATFORM NINE',
  'NO PARKING',
  'SUMMER SALE',
  'WELCOME HOME',
  'QUIET PLEASE',
  'CITY CENTRE',
  'LAST CALL',
  'GOOD MORNING',
  'THANK YOU',
  'EXIT ONLY',
  'MARKET SQUARE',
  'RIVER VIEW',
  'NORTH GATE',
  'COFFEE BAR',
];

const SPEAKERS: readonly Voice[] = ['flite:rms', 'flite:kal16', 'flite:slt', 'flite:awb'];

export interface SceneLabel {
  readonly start: number;
  readonly end: number;
  readonly colour: string;
  readonly caption: string;
  readonly moving: boolean;
}

export interface SpeechLabel {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly voice: Voice;
}

export interface LabelledClip {
  readonly id: string;
  /** MP4 (H.264 + AAC), index first. */
  readonly bytes: Uint8Array;
  readonly durationSeconds: number;
  readonly scenes: readonly SceneLabel[];
  /** Times of the cuts (the start of every scene but the first). */
  readonly cuts: readonly number[];
  readonly speech: readonly SpeechLabel[];
}

async function ffmpeg(args: readonly string[]): Promise<void> {
  const r = await runProcess({
    command: 'ffmpeg',
    args: ['-v', 'error', '-y', ...args],
    timeoutMs: 120_000,
    maxStdoutBytes: 1 << 20,
  });
  if (r.exitCode !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

/** Seconds of leading and trailing silence in 16 kHz PCM (10 ms windows below −45 dBFS RMS). */
export function silenceBounds(samples: Float32Array, thresholdDbfs = -45): { lead: number; speech: number } {
  const win = SAMPLE_RATE / 100;
  const threshold = 10 ** (thresholdDbfs / 20);
  const windows = Math.ceil(samples.length / win);
  const loud = (w: number): boolean => {
    let s = 0;
    const from = w * win;
    const to = Math.min(samples.length, from + win);
    for (let i = from; i < to; i++) s += (samples[i] as number) ** 2;
    return Math.sqrt(s / Math.max(1, to - from)) >= threshold;
  };
  let first = 0;
  while (first < windows && !loud(first)) first++;
  let last = windows - 1;
  while (last > first && !loud(last)) last--;
  return { lead: first / 100, speech: (last + 1 - first) / 100 };
}

/** ffmpeg's text escaping for drawtext inside a filtergraph (captions are plain upper-case words). */
const drawtext = (text: string, size: number, x: number, y: number): string =>
  // Kept inside the frame whatever the seeded position: a clipped caption would mislabel the scene.
  `drawtext=fontfile=${FONT}:text='${text}':fontsize=${size}:fontcolor=white:x='min(${x},w-tw-20)':y=${y}`;

/** A labelled clip; `index` selects the clip among those of one seed. */
export async function buildClip(seed: number, index: number): Promise<LabelledClip> {
  const rng = new Rng(seed * 1000 + index);
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-video-eval-'));
  try {
    const count = rng.int(2, 4);
    const scenes: SceneLabel[] = [];
    let at = 0;
    let lastColour = -1;
    const inputs: string[] = [];
    for (let i = 0; i < count; i++) {
      const frames = rng.int(Math.round(1.6 * FPS), Math.round(4.0 * FPS));
      const duration = frames / FPS;
      let colour = rng.int(0, PALETTE.length - 1);
      if (colour === lastColour) colour = (colour + 1) % PALETTE.length;
      lastColour = colour;
      const caption = CAPTIONS[rng.int(0, CAPTIONS.length - 1)] as string;
      const size = rng.int(40, 64);
      const moving = rng.random() < 0.5;
      const x = rng.int(20, 200);
      const y = rng.int(30, 200);
      const hex = (PALETTE[colour] as { hex: string }).hex;
      const filters = [
        `color=c=0x${hex.slice(1)}:s=640x360:r=${FPS}:d=${duration.toFixed(2)}`,
        drawtext(caption, size, x, y),
        ...(moving ? [`drawbox=x='mod(t*120,560)':y=290:w=80:h=50:color=white:t=fill`] : []),
      ];
      inputs.push('-f', 'lavfi', '-i', filters.join(','));
      const end = Math.round((at + duration) * 100) / 100;
      scenes.push({ start: at, end, colour: hex, caption, moving });
      at = end;
    }
    const durationSeconds = Math.round(at * 1000) / 1000;
    const voice = SPEAKERS[rng.int(0, SPEAKERS.length - 1)] as Voice;
    const text = HARVARD[rng.int(0, HARVARD.length - 1)] as string;
    const wavFile = join(dir, 'speech.wav');
    const wav = await synthesizeWav(text, voice);
    writeFileSync(wavFile, wav);
    const pcm = (await synthesize(text, voice)).samples;
    const { lead, speech } = silenceBounds(pcm);
    const spoken = pcm.length / SAMPLE_RATE;
    const offset = Math.round(rng.uniform(0.2, Math.max(0.3, durationSeconds - spoken - 0.2)) * 100) / 100;
    const out = join(dir, 'clip.mp4');
    const concat = scenes.map((_, i) => `[${i}:v]`).join('') + `concat=n=${count}:v=1:a=0[v]`;
    const ms = Math.round(offset * 1000);
    await ffmpeg([
      ...inputs,
      '-i',
      wavFile,
      '-filter_complex',
      `${concat};[${count}:a]aresample=16000,adelay=${ms}:all=1,apad=whole_dur=${durationSeconds}[a]`,
      ...['-map', '[v]', '-map', '[a]', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-t', String(durationSeconds), '-movflags', '+faststart', out],
    ]);
    return {
      id: `clip-${index}`,
      bytes: new Uint8Array(readFileSync(out)),
      durationSeconds,
      scenes,
      cuts: scenes.slice(1).map((s) => s.start),
      speech: [{ start: offset + lead, end: Math.min(durationSeconds, offset + lead + speech), text, voice }],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A clip whose every frame differs (ffmpeg's testsrc2 pattern), with two spoken sentences one
 * second in and two seconds apart: the real-time factor when no frame can reuse another's results.
 */
export async function buildMotionClip(seed: number, index: number, seconds: number): Promise<LabelledClip> {
  const rng = new Rng(seed * 7919 + index);
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-video-eval-'));
  try {
    const files: string[] = [];
    const delaysMs: number[] = [];
    let at = 1;
    for (let k = 0; k < 2; k++) {
      const voice = SPEAKERS[rng.int(0, SPEAKERS.length - 1)] as Voice;
      const text = HARVARD[rng.int(0, HARVARD.length - 1)] as string;
      const file = join(dir, `s${k}.wav`);
      const wav = await synthesizeWav(text, voice);
      writeFileSync(file, wav);
      files.push(file);
      delaysMs.push(Math.round(at * 1000));
      at += (await synthesize(text, voice)).samples.length / SAMPLE_RATE + 2;
    }
    const out = join(dir, 'motion.mp4');
    const delays = delaysMs.map((d, k) => `[${k + 1}:a]aresample=16000,adelay=${d}:all=1[a${k}]`);
    await ffmpeg([
      ...['-f', 'lavfi', '-i', `testsrc2=s=640x360:r=${FPS}:d=${seconds}`],
      ...files.flatMap((f) => ['-i', f]),
      '-filter_complex',
      `${delays.join(';')};[a0][a1]amix=inputs=2:normalize=0,apad=whole_dur=${seconds}[a]`,
      ...['-map', '0:v', '-map', '[a]', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-t', String(seconds), '-movflags', '+faststart', out],
    ]);
    return {
      id: `motion-${index}`,
      bytes: new Uint8Array(readFileSync(out)),
      durationSeconds: seconds,
      scenes: [],
      cuts: [],
      speech: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
