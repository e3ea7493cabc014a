import { describe, expect, it } from 'vitest';
import { resolveTrainConfig, type TrainedHead } from '../../core/train/types.js';
import { evaluateHead, evaluationMetrics, modelCard } from './evaluation.js';

/** Logistic head on one feature: p(pos | x) = e^x / (e^−x + e^x) = σ(2x). */
const head: TrainedHead = {
  kind: 'logistic',
  classes: ['neg', 'pos'],
  inputDim: 1,
  standardization: null,
  layers: [
    {
      inDim: 1,
      outDim: 2,
      weight: Float32Array.from([-1, 1]),
      bias: Float32Array.from([0, 0]),
      activation: 'softmax',
    },
  ],
  training: {
    config: resolveTrainConfig({ epochs: 3, seed: 2 }),
    epochs: 3,
    bestEpoch: 2,
    stopReason: 'max-epochs',
    history: [
      { epoch: 1, trainLoss: 0.7, valLoss: 0.6, valAccuracy: 0.6, valMacroF1: 0.55 },
      { epoch: 2, trainLoss: 0.5, valLoss: 0.4, valAccuracy: 0.8, valMacroF1: 0.79 },
    ],
  },
};

const xs = [-2, -1, 1, 2, 0.5];
const ys = [0, 0, 1, 1, 0];
const rows = { x: Float32Array.from(xs), y: Int32Array.from(ys) };
const sigma = (z: number): number => 1 / (1 + Math.exp(-z));

describe('evaluateHead', () => {
  it('reports scikit-learn metrics on known rows', () => {
    const r = evaluateHead(head, rows, 'test');
    // Predictions: neg, neg, pos, pos, pos (x = 0.5 is a false positive).
    expect(r).toMatchObject({ split: 'test', rows: 5, classes: ['neg', 'pos'], accuracy: 0.8 });
    expect(r.confusionMatrix).toEqual({
      labels: ['neg', 'pos'],
      matrix: [
        [2, 1],
        [0, 2],
      ],
    });
    expect(r.perClass[0]).toMatchObject({ label: 'neg', precision: 1, support: 3 });
    expect(r.perClass[0]?.recall).toBeCloseTo(2 / 3, 12);
    expect(r.perClass[1]?.precision).toBeCloseTo(2 / 3, 12);
    expect(r.macroF1).toBeCloseTo(0.8, 12);
    // Every positive scores above every negative.
    expect(r.rocAuc).toBe(1);
    const p = xs.map((x) => sigma(2 * x));
    const expectedLogLoss =
      -ys.reduce((s, y, i) => s + Math.log(y === 1 ? (p[i] as number) : 1 - (p[i] as number)), 0) / 5;
    expect(r.logLoss).toBeCloseTo(expectedLogLoss, 5);
    // ECE over the top-class confidence in ten bins: rows that share a bin (x = ±1, x = ±2) are all
    // correct, so the per-row gaps add up to the binned ECE.
    const conf = p.map((q) => Math.max(q, 1 - q));
    const correct = [1, 1, 1, 1, 0];
    const expectedEce = conf.reduce((s, c, i) => s + Math.abs((correct[i] as number) - c), 0) / 5;
    expect(r.ece).toBeCloseTo(expectedEce, 5);
  });

  it('reports ROC-AUC as null when only one class is present, and refuses empty rows', () => {
    const oneClass = evaluateHead(
      head,
      { x: Float32Array.from([1, 2]), y: Int32Array.from([1, 1]) },
      'validation',
    );
    expect(oneClass.rocAuc).toBeNull();
    expect(oneClass.accuracy).toBe(1);
    expect(() => evaluateHead(head, { x: new Float32Array(0), y: new Int32Array(0) }, 'test')).toThrow(
      /the test split has no rows/,
    );
  });

  it('flattens the report into registry metrics and writes a model card from what is known', () => {
    const report = evaluateHead(head, rows, 'test');
    expect(evaluationMetrics(report)).toEqual({
      test_accuracy: 0.8,
      test_macro_f1: report.macroF1,
      test_log_loss: report.logLoss,
      test_ece: report.ece,
      test_roc_auc: 1,
    });
    const card = modelCard({
      modelName: 'toy',
      head,
      featurizer: { type: 'hashed-bow', dimensions: 1, bigrams: false },
      dataset: {
        id: 'toy-set',
        version: 3,
        sha256: 'ab'.repeat(32),
        rows: 50,
        classBalance: { neg: 25, pos: 25 },
      },
      study: {
        id: 's1',
        name: 'toy-study',
        metric: 'valAccuracy',
        direction: 'maximize',
        trials: 4,
        completed: 3,
        pruned: 1,
        failed: 0,
        bestTrial: 2,
        bestValue: 0.8,
        params: { lr: 0.05 },
        importance: { lr: 1 },
      },
      evaluation: report,
      signature: { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 1] }], outputs: [] },
      trainingJobId: 'job-7',
      createdAt: 1,
    });
    expect(card['schema']).toBe('kaleido.model-card/v1');
    expect(card['classes']).toEqual(['neg', 'pos']);
    const md = card['markdown'] as string;
    expect(md).toContain('# Model card: toy');
    expect(md).toContain('trial 2 of 4; objective valAccuracy, maximized: 0.8000');
    expect(md).toContain('| accuracy | 0.8000 |');
    expect(md).toContain('| neg | 1 | 0.6667 | 0.8000 | 3 |');
    expect(md).toContain('Validation at the kept epoch: loss 0.4000, accuracy 0.8000, macro F1 0.7900');
    expect(md).toContain('Confusion matrix (rows: true, columns: predicted; neg, pos): [[2,1],[0,2]]');
    expect(md).toContain('data set toy-set@3');
  });
});
