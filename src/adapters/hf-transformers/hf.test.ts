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
import { HfClassifier, scanHfModels } from './index.js';

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
