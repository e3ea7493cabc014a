/**
 * Bring-your-own Hugging Face IMAGE classifier, end to end through the real server (startKaleido,
 * the production composition root): a model repository holding the generated tiny image model
 * (models/hf-fixtures/tiny-colour, scripts/onnx/hf-tiny-model.ts) and a broken image model
 * directory. The good one answers `/v1/analyze?tasks=hf:tiny-colour` on an image body (decoded
 * once by the image module, classified by transformers.js with its own image processor) with the
 * generator's float64 goldens, from the classifier's worker thread (the server's default
 * isolation); the broken one is an unavailable analyzer with its reason; and the
 * same ONNX file is served over OIP.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HF_IMAGE_SIZE, hfImageForward } from '../../scripts/onnx/hf-tiny-model.js';
import {
  BUNDLED_REPOSITORY,
  REPO_ROOT,
  startTestServer,
  type TestServer,
} from '../helpers/kaleido-server.js';

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field.
  readonly body: any;
}

const golden = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'golden', 'hf', 'tiny-colour.json'), 'utf8'),
) as {
  labels: string[];
  tolerance: number;
  cases: Array<{ image: string; rgb: [number, number, number]; probabilities: number[]; label: string }>;
};

let dir: string;
let server: TestServer;

async function post(body: Uint8Array, contentType: string, query = ''): Promise<Answer> {
  const res = await fetch(`${server.httpUrl}/v1/analyze${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  return { status: res.status, body: await res.json() };
}

/** A uniformly coloured PNG (lossless, so the decoded pixels are exactly `rgb`). */
const solidPng = (rgb: readonly number[], width = 96, height = 80): Promise<Buffer> =>
  sharp({
    create: { width, height, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } },
  })
    .png()
    .toBuffer();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-hf-image-e2e-'));
  const repo = join(dir, 'repo');
  cpSync(join(REPO_ROOT, 'models', 'hf-fixtures', 'tiny-colour'), join(repo, 'tiny-colour'), {
    recursive: true,
  });
  // An image classifier without its image processor config and without an ONNX file.
  mkdirSync(join(repo, 'broken-vit'));
  writeFileSync(
    join(repo, 'broken-vit', 'config.json'),
    JSON.stringify({
      architectures: ['ViTForImageClassification'],
      model_type: 'vit',
      id2label: { 0: 'cat', 1: 'dog' },
    }),
  );
  server = await startTestServer({
    repositories: [repo, BUNDLED_REPOSITORY],
    startupModels: ['tiny-colour', 'nsfw_mobilenet_v2'],
    // The production arrangement: model sessions, face-api and the plugged classifier in worker threads.
    overrides: { 'analysis.modalities': 'text,image', 'models.runtimeIsolation': 'worker' },
  });
}, 240_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bring-your-own Hugging Face image classifier', () => {
  it('lists the good model as an available image analyzer and the broken one with its reason', async () => {
    const res = await fetch(`${server.httpUrl}/v1/analyzers`);
    const body = (await res.json()) as { analyzers: Array<Record<string, unknown>> };
    const good = body.analyzers.find((a) => a.id === 'image/hf:tiny-colour');
    expect(good).toMatchObject({
      available: true,
      modality: 'image',
      model: 'tiny-colour',
      method: 'neural',
      safety: false,
    });
    expect(good?.version).toMatch(/^1\+[0-9a-f]{12}$/);
    const bad = body.analyzers.find((a) => a.id === 'image/hf:broken-vit');
    expect(bad).toMatchObject({ available: false });
    expect(String(bad?.reason)).toContain('preprocessor_config.json is missing');
    expect(String(bad?.reason)).toContain('no ONNX model');
  });

  it('answers /v1/analyze?tasks=hf:tiny-colour on image bodies with the golden labels', async () => {
    for (const g of golden.cases) {
      const r = await post(await solidPng(g.rgb), 'image/png', '?tasks=hf:tiny-colour');
      expect(r.status).toBe(200);
      expect(r.body.modality).toBe('image');
      const result = r.body.results['hf:tiny-colour'];
      expect(result.label).toBe(g.label);
      golden.labels.forEach((label, i) => {
        const got = result.labels.find((l: { label: string }) => l.label === label).score as number;
        expect(Math.abs(got - (g.probabilities[i] as number))).toBeLessThan(golden.tolerance);
      });
      const stage = r.body.stages.find((s: { name: string }) => s.name === 'hf:tiny-colour');
      expect(stage).toMatchObject({ status: 'ok', model: 'tiny-colour', analyzer: 'image/hf:tiny-colour' });
      // Only what was asked ran; the verdict says NSFW did not check the image.
      expect(r.body.stages.map((s: { name: string }) => s.name)).toEqual(['hf:tiny-colour', 'safety']);
      expect(r.body.safety.unchecked).toEqual(['nsfw']);
    }
  });

  it('runs beside the built-in analyzers on the same decoded image (a JPEG, EXIF-rotated)', async () => {
    // Top half red, bottom half blue, stored rotated 90° with EXIF orientation 6: the channel
    // means do not depend on the rotation, and JPEG's loss moves them a little only.
    const raw = Buffer.alloc(120 * 80 * 3);
    for (let y = 0; y < 80; y++)
      for (let x = 0; x < 120; x++) raw[(y * 120 + x) * 3 + (x < 40 ? 2 : 0)] = 255;
    const jpeg = await sharp(raw, { raw: { width: 120, height: 80, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await post(jpeg, 'image/jpeg', '?tasks=hf:tiny-colour,quality,nsfw');
    expect(r.status).toBe(200);
    expect(r.body.results.quality).toMatchObject({ width: 80, height: 120, orientation: 6 });
    expect(r.body.results.nsfw.top).toBeDefined();
    expect(r.body.safety.unchecked).toEqual([]);
    // Two thirds red, one third blue.
    const want = hfImageForward([170, 0, 85]);
    const result = r.body.results['hf:tiny-colour'];
    expect(result.label).toBe('RED');
    const red = result.labels.find((l: { label: string }) => l.label === 'RED').score as number;
    expect(Math.abs(red - (want.probabilities[0] as number))).toBeLessThan(0.02);
  });

  it('is not part of the default pipeline, and a broken model is a skipped stage, not a result', async () => {
    const png = await solidPng([200, 30, 30]);
    const d = await post(png, 'image/png');
    expect(d.status).toBe(200);
    expect(d.body.pipeline).toBe('image-default');
    expect(d.body.results['hf:tiny-colour']).toBeUndefined();
    const b = await post(png, 'image/png', '?tasks=hf:broken-vit');
    expect(b.status).toBe(200);
    expect(b.body.results['hf:broken-vit']).toBeUndefined();
    expect(b.body.skipped['hf:broken-vit']).toBeDefined();
  });

  it('serves the same ONNX file over OIP with the golden logits', async () => {
    const g = golden.cases[0]!;
    const m = hfImageForward(g.rgb).pixelValues;
    const n = HF_IMAGE_SIZE * HF_IMAGE_SIZE;
    const data = [0, 1, 2].flatMap((c) => new Array<number>(n).fill(m[c] as number));
    const res = await fetch(`${server.httpUrl}/v2/models/tiny-colour/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'pixel_values', datatype: 'FP32', shape: [1, 3, HF_IMAGE_SIZE, HF_IMAGE_SIZE], data },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: Array<{ name: string; shape: number[]; data: number[] }> };
    const logits = body.outputs.find((o) => o.name === 'logits')!;
    expect(logits.shape).toEqual([1, 3]);
    const want = hfImageForward(g.rgb).logits;
    logits.data.forEach((x, j) => expect(Math.abs(x - (want[j] as number))).toBeLessThan(1e-4));
  });
});
