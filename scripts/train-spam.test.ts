/** The exported ONNX graph computes exactly what the trained logistic regression predicts. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../src/adapters/runtime-onnx/onnx-runtime.js';
import { featurise, scatterInto } from '../src/modalities/text/features.js';
import { exportOnnx, predictSpamProbability, score, trainLogistic } from './train-spam.js';

const DIMS = 256;
const spam = [
  'win free money now',
  'cheap pills free offer',
  'claim your free prize now',
  'free money offer click',
];
const ham = [
  'meeting notes attached',
  'see you at lunch tomorrow',
  'the patch fixes the parser',
  'notes from the review',
];

describe('train-spam', () => {
  it('learns a separable toy set and exports an equivalent ONNX model', async () => {
    const xs = [...spam, ...ham].map((t) => featurise(t, { dimensions: DIMS }));
    const ys = [...spam.map(() => 1), ...ham.map(() => 0)];
    const model = trainLogistic(xs, ys, DIMS, {
      l2: 1e-4,
      epochs: 60,
      batchSize: 4,
      learningRate: 0.05,
      seed: 1,
    });
    const expected = xs.map((x) => predictSpamProbability(model, x));
    expect(
      score(
        ys,
        expected.map((p) => (p >= 0.5 ? 1 : 0)),
      ).f1,
    ).toBe(1);

    const dir = mkdtempSync(join(tmpdir(), 'kaleido-spam-onnx-'));
    const path = join(dir, 'model.onnx');
    writeFileSync(path, exportOnnx(model, DIMS, { featuriser_version: '1' }));
    const session = await new OnnxRuntime().load(path, { intraOpThreads: 1, interOpThreads: 1 });
    try {
      const data = new Float32Array(xs.length * DIMS);
      xs.forEach((x, row) => scatterInto(data, row, DIMS, x));
      const [probs] = await session.run(
        [{ name: 'features', datatype: 'FP32', shape: [xs.length, DIMS], data }],
        ['probabilities'],
      );
      const out = probs?.data as Float32Array;
      expect(probs?.shape).toEqual([xs.length, 2]);
      expected.forEach((p, row) => {
        expect(out[row * 2 + 1]).toBeCloseTo(p, 5);
        expect((out[row * 2] as number) + (out[row * 2 + 1] as number)).toBeCloseTo(1, 6);
      });
      expect(session.metadata['featuriser_version']).toBe('1');
    } finally {
      await session.close();
    }
  });

  it('is deterministic for a seed', () => {
    const xs = [...spam, ...ham].map((t) => featurise(t, { dimensions: DIMS }));
    const ys = [...spam.map(() => 1), ...ham.map(() => 0)];
    const o = { l2: 1e-4, epochs: 5, batchSize: 3, learningRate: 0.05, seed: 9 };
    expect(trainLogistic(xs, ys, DIMS, o).weights).toEqual(trainLogistic(xs, ys, DIMS, o).weights);
  });
});
