/**
 * Data for the image evaluation, built deterministically on this machine:
 *
 * - OCR: single text lines rendered by sharp/librsvg from SVG with the DejaVu fonts
 *   (Debian `fonts-dejavu-core`): 20 Harvard sentences and 20 invoice-style lines (digits,
 *   punctuation, currency), in DejaVu Sans, Serif and Sans Mono at 24–36 px, from a seeded
 *   generator. Each line also gets a degraded copy: rotated ±1.5°, downscaled to 60 %, Gaussian
 *   blur σ 0.7, Gaussian noise σ 8, then JPEG quality 30.
 * - Photos with known contents, from installed packages (nothing is downloaded): the darknet
 *   sample images (Debian `darknet`, /usr/share/darknet/data) and the face-api demo photos
 *   (npm `@vladmandic/face-api`, demo/sample1–6.jpg). Their labels are what the photos show, as
 *   listed here (counted by eye for the face-api group photos; darknet's own README documents the
 *   objects in its samples).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/core/random.js';

const require = createRequire(import.meta.url);

export const HARVARD = [
  'The birch canoe slid on the smooth planks.',
  'Glue the sheet to the dark blue background.',
  'It is easy to tell the depth of a well.',
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
];

export const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'] as const;

export interface OcrSample {
  readonly id: string;
  readonly text: string;
  readonly font: string;
  readonly sizePx: number;
  readonly clean: Uint8Array;
  readonly degraded: Uint8Array;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** One black line on white, padded by a margin of half the font size. */
export async function renderLine(text: string, font: string, sizePx: number): Promise<Uint8Array> {
  const charWidth = font.includes('Mono') ? 0.62 : 0.6;
  const width = Math.ceil(text.length * sizePx * charWidth + sizePx * 2);
  const height = Math.ceil(sizePx * 2.2);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="${sizePx}" y="${Math.round(sizePx * 1.45)}" font-family="${font}" font-size="${sizePx}" fill="#111111">${escapeXml(text)}</text></svg>`;
  // Trim to the ink plus a margin, so every line image has the same relative padding.
  const trimmed = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .trim({ threshold: 10 })
    .toBuffer();
  const pad = Math.round(sizePx / 2);
  return new Uint8Array(
    await sharp(trimmed)
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#ffffff' })
      .png()
      .toBuffer(),
  );
}

/** Rotation, downscale, blur, additive Gaussian noise, JPEG q30 — seeded. */
export async function degrade(png: Uint8Array, rng: Rng): Promise<Uint8Array> {
  const angle = rng.random() < 0.5 ? -1.5 : 1.5;
  const meta = await sharp(png).metadata();
  const rotated = await sharp(png).rotate(angle, { background: '#ffffff' }).toBuffer();
  const { data, info } = await sharp(rotated)
    .resize({ width: Math.round(meta.width * 0.6) })
    .blur(0.7)
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const noisy = Buffer.from(data);
  for (let i = 0; i < noisy.length; i++) {
    noisy[i] = Math.min(255, Math.max(0, Math.round((noisy[i] ?? 0) + rng.normal() * 8)));
  }
  return new Uint8Array(
    await sharp(noisy, { raw: { width: info.width, height: info.height, channels: 1 } })
      .jpeg({ quality: 30 })
      .toBuffer(),
  );
}

export async function ocrSamples(seed = 20260315): Promise<OcrSample[]> {
  const rng = new Rng(seed);
  const digits = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rng.random() * 10)).join('');
  const texts = [...HARVARD];
  for (let i = 0; i < 20; i++) {
    const month = String(1 + Math.floor(rng.random() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(rng.random() * 28)).padStart(2, '0');
    texts.push(
      `Invoice INV-${digits(6)} total $${1 + Math.floor(rng.random() * 9)}${digits(2)}.${digits(2)} due 2024-${month}-${day}`,
    );
  }
  const out: OcrSample[] = [];
  for (const [i, text] of texts.entries()) {
    const font = FONTS[i % FONTS.length] as string;
    const sizePx = 24 + 2 * Math.floor(rng.random() * 7);
    const clean = await renderLine(text, font, sizePx);
    out.push({
      id: `line-${String(i).padStart(2, '0')}`,
      text,
      font,
      sizePx,
      clean,
      degraded: await degrade(clean, rng),
    });
  }
  return out;
}

export interface LabelledPhoto {
  readonly id: string;
  readonly path: string;
  readonly source: string;
  /** COCO labels visibly present (each must be found for full recall). */
  readonly objects: readonly string[];
  /** Human faces visible and at least ~30 px tall in the photo; undefined = not scored. */
  readonly faces?: number;
  /** Gender of every visible face, when they all agree. */
  readonly gender?: 'female' | 'male';
}

export const DARKNET_DIR = '/usr/share/darknet/data';

export function faceApiDemoDir(): string {
  return join(dirname(dirname(require.resolve('@vladmandic/face-api'))), 'demo');
}

/** Photos whose files exist on this machine. */
export function labelledPhotos(): LabelledPhoto[] {
  const darknet = (id: string, objects: string[], faces?: number): LabelledPhoto => ({
    id: `darknet/${id}`,
    path: join(DARKNET_DIR, `${id}.jpg`),
    source: 'Debian darknet 0.0.0+git20180914',
    objects,
    ...(faces === undefined ? {} : { faces }),
  });
  const demo = (n: number, faces: number): LabelledPhoto => ({
    id: `face-api/sample${n}`,
    path: join(faceApiDemoDir(), `sample${n}.jpg`),
    source: '@vladmandic/face-api 1.7.15 demo',
    objects: ['person'],
    faces,
    gender: 'female',
  });
  const all: LabelledPhoto[] = [
    darknet('dog', ['dog', 'bicycle', 'car'], 0),
    darknet('person', ['person', 'horse', 'dog']),
    darknet('horses', ['horse'], 0),
    darknet('giraffe', ['giraffe', 'zebra'], 0),
    darknet('eagle', ['bird'], 0),
    darknet('kite', ['kite', 'person']),
    demo(1, 3),
    demo(2, 3),
    demo(3, 3),
    demo(4, 4),
    demo(5, 5),
    demo(6, 4),
  ];
  return all.filter((p) => existsSync(p.path));
}
