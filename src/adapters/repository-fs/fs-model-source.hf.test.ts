/** The model source reads a Hugging Face (Optimum) layout directory as version 1 of its ONNX file. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsModelSource, isHuggingFaceConfig } from './fs-model-source.js';

const HF = fileURLToPath(new URL('../../../models/hf-fixtures/tiny-sentiment', import.meta.url));
let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'kaleido-src-hf-'));
  cpSync(HF, join(repo, 'tiny-sentiment'), { recursive: true });
  mkdirSync(join(repo, 'no-onnx'));
  writeFileSync(join(repo, 'no-onnx', 'config.json'), JSON.stringify({ model_type: 'bert' }));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('fs model source, Hugging Face layout', () => {
  it('tells Hugging Face configs from Triton ones', () => {
    expect(isHuggingFaceConfig({ architectures: ['BertForSequenceClassification'] })).toBe(true);
    expect(isHuggingFaceConfig({ model_type: 'bert' })).toBe(true);
    expect(isHuggingFaceConfig({ model_type: 'bert', platform: 'onnxruntime_onnx' })).toBe(false);
    expect(isHuggingFaceConfig({ max_batch_size: 8 })).toBe(false);
    expect(isHuggingFaceConfig(undefined)).toBe(false);
  });

  it('serves onnx/model.onnx as version 1 with the config left to the ONNX signature', async () => {
    const source = createFsModelSource([repo]);
    const e = await source.read('tiny-sentiment', 'model.onnx');
    expect(e.config).toBeUndefined();
    expect(e.versions).toEqual([
      expect.objectContaining({ version: 1, modelPath: join(repo, 'tiny-sentiment', 'onnx', 'model.onnx') }),
    ]);
    expect((await source.read('no-onnx', 'model.onnx')).versions).toEqual([]);
  });
});
