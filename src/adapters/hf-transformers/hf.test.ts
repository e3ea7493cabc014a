/**
 * The bring-your-own Hugging Face path on the generated tiny model (models/hf-fixtures, written by
 * scripts/generate-fixtures.ts from scripts/onnx/hf-tiny-model.ts): layout scanning and its error
 * messages, and transformers.js answers checked against the float64 golden outputs computed by
 * the generator with a tokenizer of its own.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sine } from '../../../scripts/onnx/hf-tiny-model.js';
import { HfClassifier, scanHfModels, WorkerHfClassifier } from './index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HF_REPO = join(ROOT, 'models', 'hf-fixtures');
const golden = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'golden', 'hf', 'tiny-sentiment.json'), 'utf8'),
) as {
  tolerance: number;
  cases: Array<{ text: string; probabilities: number[]; label: string }>;
};

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'kaleido-hf-'));
  cpSync(join(HF_REPO, 'tiny-sentiment'), join(repo, 'tiny-sentiment'), { recursive: true });
  // model.onnx at the top instead of onnx/: also an Optimum layout.
  cpSync(join(HF_REPO, 'tiny-sentiment'), join(repo, 'flat'), { recursive: true });
  cpSync(join(repo, 'flat', 'onnx', 'model.onnx'), join(repo, 'flat', 'model.onnx'));
  rmSync(join(repo, 'flat', 'onnx'), { recursive: true });
  // Broken: no tokenizer, no id2label.
  mkdirSync(join(repo, 'no-tokenizer'));
  writeFileSync(
    join(repo, 'no-tokenizer', 'config.json'),
    JSON.stringify({ architectures: ['BertForSequenceClassification'], model_type: 'bert' }),
  );
  // Broken: an architecture that is not a classifier, and no ONNX file.
  mkdirSync(join(repo, 'generator'));
  writeFileSync(
    join(repo, 'generator', 'config.json'),
    JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', id2label: { 0: 'A' } }),
  );
  // A Triton model directory is not a candidate.
  mkdirSync(join(repo, 'triton'));
  writeFileSync(join(repo, 'triton', 'config.json'), JSON.stringify({ platform: 'onnxruntime_onnx' }));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('scanHfModels', () => {
  it('finds Hugging Face layouts, skips Triton directories, and lists every problem', () => {
    const entries = scanHfModels([repo]);
    expect(entries.map((e) => e.name)).toEqual(['flat', 'generator', 'no-tokenizer', 'tiny-sentiment']);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('tiny-sentiment')).toMatchObject({
      task: 'text-classification',
      modality: 'text',
      taskName: 'hf:tiny-sentiment',
      onnxFile: 'onnx/model.onnx',
      labels: ['NEGATIVE', 'POSITIVE'],
      problems: [],
    });
    expect(byName.get('flat')).toMatchObject({ onnxFile: 'model.onnx', problems: [] });
    expect(byName.get('no-tokenizer')?.problems).toEqual([
      'config.json has no id2label object',
      'tokenizer.json is missing',
      'tokenizer_config.json is missing',
      'no ONNX model (onnx/model.onnx or model.onnx)',
    ]);
    expect(byName.get('generator')?.problems[0]).toMatch(/GPT2LMHeadModel.*no supported classifier/);
  });

  it('ignores missing repositories', () => {
    expect(scanHfModels([join(repo, 'nope')])).toEqual([]);
  });
});

describe('HfClassifier (transformers.js, offline)', () => {
  it('matches the float64 golden outputs of the generated model, from onnx/ and from the top', async () => {
    for (const name of ['tiny-sentiment', 'flat']) {
      const entry = scanHfModels([repo]).find((e) => e.name === name);
      const c = new HfClassifier(entry!);
      await c.init();
      expect(c.status()).toEqual({ available: true });
      expect(c.version).toMatch(/^1\+[0-9a-f]{12}$/);
      for (const g of golden.cases) {
        const labels = await c.classify({ kind: 'text', text: g.text });
        expect(labels[0]?.label).toBe(g.label);
        const pos = labels.find((l) => l.label === 'POSITIVE')?.score ?? Number.NaN;
        expect(Math.abs(pos - (g.probabilities[1] as number))).toBeLessThan(1e-5);
      }
      await c.close();
      expect(c.status().available).toBe(false);
    }
  });

  it('classifies audio with the generated loudness model as the golden file says', async () => {
    const audioGolden = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'golden', 'hf', 'tiny-loudness.json'), 'utf8'),
    ) as { cases: Array<{ frequency: number; amplitude: number; probabilities: number[]; label: string }> };
    const entry = scanHfModels([HF_REPO]).find((e) => e.name === 'tiny-loudness');
    expect(entry).toMatchObject({ task: 'audio-classification', modality: 'audio', problems: [] });
    const c = new HfClassifier(entry!);
    await c.init();
    for (const g of audioGolden.cases) {
      const labels = await c.classify({
        kind: 'audio',
        samples: sine(g.frequency, g.amplitude),
        sampleRate: 16000,
      });
      expect(labels[0]?.label).toBe(g.label);
      const loud = labels.find((l) => l.label === 'LOUD')?.score ?? Number.NaN;
      expect(Math.abs(loud - (g.probabilities[1] as number))).toBeLessThan(1e-4);
    }
    await expect(
      c.classify({ kind: 'audio', samples: new Float32Array(8000), sampleRate: 8000 }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(c.classify({ kind: 'text', text: 'loud' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await c.close();
  });

  it('classifies images with the generated colour model as the golden file says', async () => {
    const imageGolden = JSON.parse(
      readFileSync(join(ROOT, 'test', 'fixtures', 'golden', 'hf', 'tiny-colour.json'), 'utf8'),
    ) as {
      labels: string[];
      tolerance: number;
      cases: Array<{ rgb: [number, number, number]; probabilities: number[]; label: string }>;
    };
    const entry = scanHfModels([HF_REPO]).find((e) => e.name === 'tiny-colour');
    expect(entry).toMatchObject({ task: 'image-classification', modality: 'image', problems: [] });
    const c = new HfClassifier(entry!);
    await c.init();
    expect(c.status()).toEqual({ available: true });
    // 48×40: neither square nor the model's 32×32, so the library's resize runs.
    const solid = (rgb: readonly number[], width = 48, height = 40) => {
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3] as number;
      return { kind: 'image' as const, data, width, height, channels: 3 as const };
    };
    for (const g of imageGolden.cases) {
      const labels = await c.classify(solid(g.rgb));
      expect(labels[0]?.label).toBe(g.label);
      imageGolden.labels.forEach((label, i) => {
        const got = labels.find((l) => l.label === label)?.score ?? Number.NaN;
        expect(Math.abs(got - (g.probabilities[i] as number))).toBeLessThan(imageGolden.tolerance);
      });
    }
    // A picture whose left half is red and right half blue: the means tie between RED and BLUE.
    const half = solid([0, 0, 0], 64, 64);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) half.data[(y * 64 + x) * 3 + (x < 32 ? 0 : 2)] = 255;
    const pixels = half.data.slice();
    const split = await c.classify(half);
    // The pixels are the module's shared analysis copy: the library reads a view and must not write it.
    expect(half.data).toEqual(pixels);
    expect(
      split
        .map((l) => l.label)
        .slice(0, 2)
        .sort(),
    ).toEqual(['BLUE', 'RED']);
    expect(split[2]).toMatchObject({ label: 'GREEN' });
    const short = { ...solid([1, 2, 3]), data: new Uint8Array(10) };
    await expect(c.classify(short)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(c.classify({ kind: 'text', text: 'red' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await c.close();
  });

  it('reports an unusable directory as unavailable with the reason, and refuses to classify', async () => {
    const entry = scanHfModels([repo]).find((e) => e.name === 'no-tokenizer');
    const c = new HfClassifier(entry!);
    await c.init();
    expect(c.status().available).toBe(false);
    expect(c.status().reason).toContain('tokenizer.json is missing');
    await expect(c.classify({ kind: 'text', text: 'good' })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
  });

  it('never fetches: a directory whose ONNX file is corrupt fails to load instead of downloading', async () => {
    const bad = join(repo, 'corrupt');
    cpSync(join(repo, 'tiny-sentiment'), bad, { recursive: true });
    writeFileSync(join(bad, 'onnx', 'model.onnx'), 'not onnx');
    const entry = scanHfModels([repo]).find((e) => e.name === 'corrupt');
    const c = new HfClassifier(entry!);
    await c.init();
    expect(c.status().available).toBe(false);
    expect(c.status().reason).toMatch(/could not load corrupt/);
    rmSync(bad, { recursive: true });
  });
});

describe('HfClassifier warm-up', () => {
  it('is unavailable with the reason when the model loads but cannot classify a plain input', async () => {
    // A text tokenizer in front of the audio model: the graph wants input_values, gets input_ids.
    const dir = join(repo, 'mismatched');
    cpSync(join(HF_REPO, 'tiny-sentiment'), dir, { recursive: true });
    cpSync(join(HF_REPO, 'tiny-loudness', 'onnx', 'model.onnx'), join(dir, 'onnx', 'model.onnx'));
    const entry = scanHfModels([repo]).find((e) => e.name === 'mismatched')!;
    expect(entry.problems).toEqual([]);
    const c = new HfClassifier(entry);
    await c.init();
    expect(c.status().available).toBe(false);
    expect(c.status().reason).toMatch(/^warm-up failed: /);
    await expect(c.classify({ kind: 'text', text: 'good' })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    await c.close();
  });
});

describe('WorkerHfClassifier (the same classifier in a worker thread)', () => {
  it('answers exactly as the in-thread classifier for text, audio and image models', async () => {
    const entries = scanHfModels([HF_REPO]);
    const inputs = {
      'tiny-sentiment': [{ kind: 'text' as const, text: 'This movie was great!' }],
      'tiny-loudness': [{ kind: 'audio' as const, samples: sine(440, 0.5), sampleRate: 16000 }],
      'tiny-colour': [
        {
          kind: 'image' as const,
          data: new Uint8Array(20 * 10 * 3).map((_, i) => [30, 60, 200][i % 3] as number),
          width: 20,
          height: 10,
          channels: 3 as const,
        },
      ],
    };
    for (const [name, list] of Object.entries(inputs)) {
      const entry = entries.find((e) => e.name === name)!;
      const local = new HfClassifier(entry);
      const remote = new WorkerHfClassifier(entry);
      await Promise.all([local.init(), remote.init()]);
      try {
        expect(remote.status()).toEqual({ available: true });
        expect(remote.version).toBe(local.version);
        expect(remote.version).toMatch(/^1\+[0-9a-f]{12}$/);
        for (const input of list) {
          const before = input.kind === 'image' ? input.data.slice() : undefined;
          expect(await remote.classify(input)).toEqual(await local.classify(input));
          // The caller's buffer is copied, not transferred away.
          if (input.kind === 'image') expect(input.data).toEqual(before);
        }
        if (name !== 'tiny-sentiment') {
          // A failure in the thread comes back with its code and message.
          await expect(remote.classify({ kind: 'text', text: 'x' })).rejects.toMatchObject({
            code: 'ERR_VALIDATION',
            message: expect.stringContaining('not text'),
          });
        }
      } finally {
        await Promise.all([local.close(), remote.close()]);
      }
      expect(remote.status()).toMatchObject({ available: false, reason: 'closed' });
      await expect(remote.classify(list[0]!)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    }
  }, 60_000);

  it('reports an unusable directory as unavailable without starting a thread', async () => {
    const entry = scanHfModels([repo]).find((e) => e.name === 'no-tokenizer')!;
    const c = new WorkerHfClassifier(entry);
    await c.init();
    expect(c.status().available).toBe(false);
    expect(c.status().reason).toContain('tokenizer.json is missing');
    await expect(c.classify({ kind: 'text', text: 'x' })).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });

  it('reports a model the library cannot load as unavailable, with the reason from the thread', async () => {
    const dir = join(repo, 'corrupt-colour');
    cpSync(join(HF_REPO, 'tiny-colour'), dir, { recursive: true });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'not an onnx file');
    const entry = scanHfModels([repo]).find((e) => e.name === 'corrupt-colour')!;
    const c = new WorkerHfClassifier(entry);
    await c.init();
    expect(c.status().available).toBe(false);
    expect(c.status().reason).toContain('transformers.js could not load corrupt-colour');
    await c.close();
  });
});
