/**
 * Seeded generators of three small labelled media data sets, for the image, audio and video
 * lifecycle (test/e2e/lifecycle-image-audio.test.ts, test/e2e/lifecycle-video.test.ts,
 * docs/lifecycle.md "Per-modality results"). Same seed → byte-identical files (the videos: with
 * the same ffmpeg build, which encodes them bit-exact). Nothing here is real-world data: the classes are defined by how the
 * files are made, documented below, so accuracy on them measures the featuriser + head pipeline,
 * not performance on production images or machines.
 *
 * Images ("product photo / meme / document", JPEG, 160–224 px, rendered from SVG by sharp/librsvg):
 * - `photo`: a product shot: a vertical gradient backdrop of a random hue, a shaded object (ellipse,
 *   rounded box, bottle or disc with a radial highlight) on a soft shadow, a few specks of texture;
 * - `meme`: the same kind of picture with a big caption of 1–3 random words in bold white capitals
 *   with a black outline at the top and/or bottom (the meme format);
 * - `document`: a white or cream page with a dark heading bar and 6–14 lines of small grey "text"
 *   (random words), sometimes a table grid, slightly rotated.
 * Sizes, hues, positions, words and JPEG quality (55–92) vary per file.
 *
 * Audio ("machine noise", 1 s, 16 kHz mono 16-bit WAV, written here):
 * - `normal`: motor hum: a mains-like fundamental of 40–70 Hz with 2–8 harmonics of random decaying
 *   amplitudes, a blade-pass tone of 300–900 Hz, and broadband noise at 8–30 dB SNR; level −26…−6 dBFS;
 * - `bearing-fault`: the same hum plus periodic impacts at a bearing frequency of 7–23 Hz, each a
 *   2–6 kHz resonance decaying in 1.5–5 ms, with ±10 % jitter and random strength;
 * - `imbalance`: the same hum whose fundamental is 3–6× stronger and amplitude-modulated at the
 *   shaft rate (2–7 Hz, depth 0.3–0.8).
 *
 * Video ("machine inspection clips", 1.5 s, 224×224 at 10 fps, MPEG-4 part 2 + AAC in MP4, muxed by
 * ffmpeg from the generators above; the camera pans slowly across the picture):
 * - `slides`: a `document` picture and NO audio stream (a silent screen recording);
 * - `running`: a `photo` picture with a `normal` machine hum as the audio track;
 * - `faulty`: a `photo` picture with a `bearing-fault` sound as the audio track.
 * So `slides` is told apart by what is seen (and by the missing audio), `running` and `faulty`
 * only by what is heard: a featuriser must pool both the frames and the audio track.
 *
 * CLI: `npx tsx scripts/media-datasets.ts <out dir> [--per-class 40] [--seed 1] [--videos]` writes
 * `<out>/images/<class>/*.jpg`, `<out>/audio/<class>/*.wav` and `images.zip`, `audio.zip` (and
 * with `--videos`, `<out>/video/<class>/*.mp4` and `video.zip`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export const IMAGE_CLASSES = ['document', 'meme', 'photo'] as const;
export const AUDIO_CLASSES = ['bearing-fault', 'imbalance', 'normal'] as const;
export const VIDEO_CLASSES = ['faulty', 'running', 'slides'] as const;

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'when you finally fix the bug monday again nobody expects this is fine me trying to work ' +
  'invoice total due payment account report summary quarterly results meeting notes cat dog ' +
  'coffee deadline weekend server deploy friday production budget review plan data model'
).split(' ');

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const between = (r: Rand, lo: number, hi: number): number => lo + (hi - lo) * r();
const int = (r: Rand, lo: number, hi: number): number => Math.floor(between(r, lo, hi + 1));
const hsl = (h: number, s: number, l: number): string =>
  `hsl(${h.toFixed(0)},${s.toFixed(0)}%,${l.toFixed(0)}%)`;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function productScene(r: Rand, w: number, h: number): string {
  const hue = between(r, 0, 360);
  const objHue = (hue + between(r, 90, 270)) % 360;
  const cx = w * between(r, 0.35, 0.65);
  const cy = h * between(r, 0.45, 0.65);
  const size = Math.min(w, h) * between(r, 0.22, 0.36);
  const shape = int(r, 0, 3);
  const fill = 'url(#obj)';
  const object =
    shape === 0
      ? `<ellipse cx="${cx}" cy="${cy}" rx="${size}" ry="${size * between(r, 0.6, 1)}" fill="${fill}"/>`
      : shape === 1
        ? `<rect x="${cx - size}" y="${cy - size * 0.8}" width="${size * 2}" height="${size * 1.6}" rx="${size * 0.25}" fill="${fill}"/>`
        : shape === 2
          ? `<rect x="${cx - size * 0.35}" y="${cy - size * 1.3}" width="${size * 0.7}" height="${size * 2.2}" rx="${size * 0.2}" fill="${fill}"/><rect x="${cx - size * 0.15}" y="${cy - size * 1.6}" width="${size * 0.3}" height="${size * 0.4}" fill="${hsl(objHue, 30, 25)}"/>`
          : `<circle cx="${cx}" cy="${cy}" r="${size}" fill="${fill}"/><circle cx="${cx}" cy="${cy}" r="${size * 0.35}" fill="${hsl(objHue, 40, 20)}"/>`;
  const specks = Array.from({ length: int(r, 10, 40) }, () => {
    const l = between(r, 20, 80);
    return `<circle cx="${between(r, 0, w)}" cy="${between(r, 0, h)}" r="${between(r, 0.5, 2)}" fill="${hsl(hue, 20, l)}" opacity="0.5"/>`;
  }).join('');
  return `<defs>
  <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${hsl(hue, between(r, 10, 50), between(r, 70, 95))}"/><stop offset="1" stop-color="${hsl(hue, between(r, 10, 50), between(r, 35, 65))}"/></linearGradient>
  <radialGradient id="obj" cx="0.35" cy="0.3" r="0.8"><stop offset="0" stop-color="${hsl(objHue, 70, between(r, 70, 90))}"/><stop offset="1" stop-color="${hsl(objHue, 70, between(r, 20, 40))}"/></radialGradient>
  <filter id="blur"><feGaussianBlur stdDeviation="${between(r, 3, 8)}"/></filter></defs>
  <rect width="${w}" height="${h}" fill="url(#bg)"/>${specks}
  <ellipse cx="${cx + size * 0.2}" cy="${cy + size * 1.05}" rx="${size * 1.1}" ry="${size * 0.25}" fill="black" opacity="0.35" filter="url(#blur)"/>
  ${object}`;
}

function caption(r: Rand, w: number, y: number, size: number): string {
  const text = Array.from({ length: int(r, 1, 3) }, () => pick(r, WORDS))
    .join(' ')
    .toUpperCase();
  return `<text x="${w / 2}" y="${y}" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="white" stroke="black" stroke-width="${Math.max(1.5, size / 12)}" textLength="${Math.min(w * 0.92, text.length * size * 0.7)}" lengthAdjust="spacingAndGlyphs">${esc(text)}</text>`;
}

function documentScene(r: Rand, w: number, h: number): string {
  const paper = r() < 0.5 ? '#ffffff' : hsl(45, 60, between(r, 92, 97));
  const margin = w * between(r, 0.06, 0.12);
  const lines = int(r, 6, 14);
  const gap = (h - margin * 2.5) / (lines + 2);
  const parts: string[] = [
    `<rect x="${margin}" y="${margin}" width="${w * between(r, 0.4, 0.8)}" height="${gap * 0.9}" fill="${hsl(between(r, 0, 360), 40, 25)}"/>`,
  ];
  for (let i = 0; i < lines; i++) {
    const y = margin + gap * (i + 2.2);
    const words = Array.from({ length: int(r, 3, 8) }, () => pick(r, WORDS)).join(' ');
    parts.push(
      `<text x="${margin}" y="${y}" font-family="DejaVu ${pick(r, ['Sans', 'Serif', 'Sans Mono'])}" font-size="${(gap * 0.6).toFixed(1)}" fill="${hsl(0, 0, between(r, 10, 45))}" textLength="${(w - 2 * margin) * between(r, 0.5, 1)}" lengthAdjust="spacingAndGlyphs">${esc(words)}</text>`,
    );
  }
  if (r() < 0.4) {
    const top = margin + gap * (lines + 1);
    for (let c = 0; c <= 3; c++)
      parts.push(
        `<line x1="${margin + ((w - 2 * margin) * c) / 3}" y1="${top}" x2="${margin + ((w - 2 * margin) * c) / 3}" y2="${h - margin}" stroke="#999"/>`,
      );
  }
  const angle = between(r, -4, 4);
  return `<rect width="${w}" height="${h}" fill="${hsl(between(r, 0, 360), 10, between(r, 40, 70))}"/><g transform="rotate(${angle.toFixed(2)} ${w / 2} ${h / 2})"><rect x="${margin / 3}" y="${margin / 3}" width="${w - (margin * 2) / 3}" height="${h - (margin * 2) / 3}" fill="${paper}"/>${parts.join('')}</g>`;
}

/** One JPEG of the class, from its own seed. */
export async function renderImage(kind: (typeof IMAGE_CLASSES)[number], seed: number): Promise<Uint8Array> {
  const r = rng(seed);
  const w = int(r, 160, 224);
  const h = int(r, 160, 224);
  let body: string;
  if (kind === 'document') body = documentScene(r, w, h);
  else {
    body = productScene(r, w, h);
    if (kind === 'meme') {
      const size = Math.min(w, h) * between(r, 0.14, 0.2);
      const where = int(r, 0, 2); // 0 top, 1 bottom, 2 both
      if (where !== 1) body += caption(r, w, size * 1.1, size);
      if (where !== 0) body += caption(r, w, h - size * 0.35, size);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`;
  const jpeg = await sharp(Buffer.from(svg))
    .jpeg({ quality: int(r, 55, 92) })
    .toBuffer();
  return new Uint8Array(jpeg);
}

// ---- audio ----

const SR = 16000;

/** One second of 16 kHz mono samples of the class, from its own seed. */
export function synthMachine(kind: (typeof AUDIO_CLASSES)[number], seed: number, seconds = 1): Float32Array {
  const r = rng(seed);
  const n = Math.round(SR * seconds);
  const x = new Float64Array(n);
  const f0 = between(r, 40, 70);
  const harmonics = int(r, 2, 8);
  const phase = (): number => between(r, 0, 2 * Math.PI);
  const fundamental = kind === 'imbalance' ? between(r, 3, 6) : 1;
  const shaft = between(r, 2, 7);
  const depth = between(r, 0.3, 0.8);
  const p0 = phase();
  const pm = phase();
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    const am = kind === 'imbalance' ? 1 + depth * Math.sin(2 * Math.PI * shaft * t + pm) : 1;
    x[i] = fundamental * am * Math.sin(2 * Math.PI * f0 * t + p0);
  }
  for (let k = 2; k <= harmonics; k++) {
    const a = between(r, 0.2, 0.9) / k;
    const p = phase();
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) + a * Math.sin((2 * Math.PI * f0 * k * i) / SR + p);
  }
  const blade = between(r, 300, 900);
  const bladeAmp = between(r, 0.05, 0.3);
  const pb = phase();
  for (let i = 0; i < n; i++)
    x[i] = (x[i] as number) + bladeAmp * Math.sin((2 * Math.PI * blade * i) / SR + pb);
  let power = 0;
  for (let i = 0; i < n; i++) power += (x[i] as number) ** 2;
  const rms = Math.sqrt(power / n);
  if (kind === 'bearing-fault') {
    const rate = between(r, 7, 23);
    const resonance = between(r, 2000, 6000);
    const decay = between(r, 0.0015, 0.005);
    const strength = rms * between(r, 1.5, 5);
    for (let t = between(r, 0, 1 / rate); t < seconds; t += (1 / rate) * between(r, 0.9, 1.1)) {
      const start = Math.floor(t * SR);
      const a = strength * between(r, 0.6, 1.2);
      for (let i = 0; i < decay * 6 * SR && start + i < n; i++) {
        const u = i / SR;
        x[start + i] =
          (x[start + i] as number) + a * Math.exp(-u / decay) * Math.sin(2 * Math.PI * resonance * u);
      }
    }
  }
  // Broadband noise at a random SNR (Box–Muller Gaussian, lightly low-passed).
  const snrDb = between(r, 8, 30);
  const noiseRms = rms / 10 ** (snrDb / 20);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    prev = 0.6 * prev + 0.4 * g;
    x[i] = (x[i] as number) + noiseRms * 1.9 * prev;
  }
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(x[i] as number));
  const level = 10 ** (between(r, -26, -6) / 20);
  const gain = Math.min(level / Math.max(rms, 1e-9), 0.98 / Math.max(peak, 1e-9));
  return Float32Array.from(x, (v) => v * gain);
}

/** 16-bit PCM mono WAV. */
export function wav(samples: Float32Array, sampleRate = SR): Uint8Array {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((s, i) =>
    b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s * 32767))), 44 + i * 2),
  );
  return new Uint8Array(b);
}

// ---- data sets ----

export type MediaFiles = Array<[path: string, data: Uint8Array]>;

/** `<class>/<class>-NNN.jpg` files, `perClass` of each class; file seeds derive from `seed`. */
export async function imageDataset(perClass: number, seed = 1): Promise<MediaFiles> {
  const out: MediaFiles = [];
  for (const [c, kind] of IMAGE_CLASSES.entries()) {
    for (let i = 0; i < perClass; i++) {
      out.push([
        `${kind}/${kind}-${String(i).padStart(3, '0')}.jpg`,
        await renderImage(kind, seed * 1_000_003 + c * 10_007 + i),
      ]);
    }
  }
  return out;
}

export function audioDataset(perClass: number, seed = 1): MediaFiles {
  const out: MediaFiles = [];
  for (const [c, kind] of AUDIO_CLASSES.entries()) {
    for (let i = 0; i < perClass; i++) {
      out.push([
        `${kind}/${kind}-${String(i).padStart(3, '0')}.wav`,
        wav(synthMachine(kind, seed * 1_000_003 + c * 10_007 + i)),
      ]);
    }
  }
  return out;
}

// ---- video ----

/** Seconds per generated clip. */
export const VIDEO_SECONDS = 1.5;

/**
 * One MP4 clip of the class, from its own seed (ffmpeg on PATH, or `ffmpeg`): the picture panned
 * over VIDEO_SECONDS at 10 fps, with the class's audio track (none for `slides`).
 */
export async function renderVideo(
  kind: (typeof VIDEO_CLASSES)[number],
  seed: number,
  ffmpeg = 'ffmpeg',
): Promise<Uint8Array> {
  const r = rng(seed);
  const picture = await renderImage(kind === 'slides' ? 'document' : 'photo', seed);
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-video-gen-'));
  try {
    writeFileSync(join(dir, 'p.jpg'), picture);
    const audio = kind !== 'slides';
    if (audio) {
      const sound = synthMachine(kind === 'faulty' ? 'bearing-fault' : 'normal', seed + 7, VIDEO_SECONDS);
      writeFileSync(join(dir, 'a.wav'), wav(sound));
    }
    // A slow pan (left→right or right→left) over a 256² copy: frames differ, the class does not.
    const dx = r() < 0.5 ? '(iw-ow)*t/1.5' : '(iw-ow)*(1-t/1.5)';
    const y = Math.floor(between(r, 0, 32));
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-loop',
      '1',
      '-framerate',
      '10',
      '-i',
      join(dir, 'p.jpg'),
      ...(audio ? ['-i', join(dir, 'a.wav')] : []),
      '-t',
      String(VIDEO_SECONDS),
      '-vf',
      `scale=256:256,crop=224:224:${dx}:${y},format=yuv420p`,
      '-c:v',
      'mpeg4',
      '-q:v',
      '5',
      '-threads',
      '1',
      ...(audio ? ['-c:a', 'aac', '-b:a', '64k', '-ac', '1', '-ar', '16000'] : ['-an']),
      '-fflags',
      '+bitexact',
      '-flags',
      '+bitexact',
      '-map_metadata',
      '-1',
      '-movflags',
      '+faststart',
      join(dir, 'v.mp4'),
    ];
    const run = spawnSync(ffmpeg, args, { encoding: 'utf8' });
    if (run.status !== 0)
      throw new Error(`ffmpeg failed (${String(run.status)}): ${run.stderr ?? run.error}`);
    return new Uint8Array(readFileSync(join(dir, 'v.mp4')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `<class>/<class>-NNN.mp4` files, `perClass` of each class; file seeds derive from `seed`. */
export async function videoDataset(perClass: number, seed = 1): Promise<MediaFiles> {
  const out: MediaFiles = [];
  for (const [c, kind] of VIDEO_CLASSES.entries()) {
    for (let i = 0; i < perClass; i++) {
      out.push([
        `${kind}/${kind}-${String(i).padStart(3, '0')}.mp4`,
        await renderVideo(kind, seed * 1_000_003 + c * 10_007 + i),
      ]);
    }
  }
  return out;
}

/** A zip archive of the files, stored (no compression; JPEG and the upload do not gain from it). */
export function storedZip(files: MediaFiles): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith('--')) ?? 'media-datasets';
  const opt = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const perClass = opt('per-class', 40);
  const seed = opt('seed', 1);
  const sets: Array<readonly [string, MediaFiles]> = [
    ['images', await imageDataset(perClass, seed)],
    ['audio', audioDataset(perClass, seed)],
  ];
  if (args.includes('--videos')) sets.push(['video', await videoDataset(perClass, seed)]);
  for (const [name, files] of sets) {
    for (const [path, data] of files) {
      const target = join(out, name, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    writeFileSync(join(out, `${name}.zip`), storedZip(files));
    console.log(`${out}/${name}: ${files.length} files`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
