import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { expectedCalibrationError } from './calibration.js';
import {
  demographicParityDifference,
  disparateImpactRatio,
  equalizedOddsDifference,
  fairnessReport,
  groupRates,
} from './fairness.js';
import {
  accuracy,
  averageRanks,
  confusionMatrix,
  logLoss,
  precisionRecallF1,
  rocAucBinary,
  rocAucOvr,
} from './metrics.js';
import { sliceMetrics } from './slices.js';
import { stratifiedKFold, trainTestSplitStratified } from './splits.js';

// Expected values marked "sklearn" were printed by scikit-learn 1.2.1 (Debian python3-sklearn)
// for the same inputs; most inputs are the examples of the sklearn.metrics docstrings.

describe('accuracy, confusion matrix, precision/recall/F1', () => {
  it('confusion matrix: sklearn docstring example', () => {
    const cm = confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);
    expect(cm).toEqual({
      labels: [0, 1, 2],
      matrix: [
        [2, 0, 0],
        [0, 0, 1],
        [1, 0, 2],
      ],
    });
    // Explicit labels order; samples with other labels are ignored.
    expect(confusionMatrix(['a', 'b', 'c'], ['a', 'c', 'c'], { labels: ['c', 'a'] }).matrix).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(accuracy([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])).toBe(4 / 6);
  });

  it('f1_score docstring example: macro 0.2667, micro 0.3333, weighted 0.2667, per class [0.8, 0, 0] (sklearn)', () => {
    const r = precisionRecallF1([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
    expect(r.macro.f1).toBeCloseTo(0.26666666666666666, 15);
    expect(r.micro.f1).toBeCloseTo(0.3333333333333333, 15);
    expect(r.weighted.f1).toBeCloseTo(0.26666666666666666, 15);
    expect(r.perClass.map((c) => c.f1)).toEqual([0.8, 0, 0]);
  });

  it('precision_recall_fscore_support docstring example (sklearn)', () => {
    const r = precisionRecallF1(
      ['cat', 'dog', 'pig', 'cat', 'dog', 'pig'],
      ['cat', 'pig', 'dog', 'cat', 'cat', 'dog'],
    );
    expect(r.macro.precision).toBeCloseTo(0.2222222222222222, 15);
    expect(r.macro.recall).toBeCloseTo(0.3333333333333333, 15);
    expect(r.macro.f1).toBeCloseTo(0.26666666666666666, 15);
    expect([r.micro.precision, r.micro.recall]).toEqual([1 / 3, 1 / 3]);
    expect(r.weighted.precision).toBeCloseTo(0.2222222222222222, 15);
    expect(r.perClass.map((c) => [c.label, c.support])).toEqual([
      ['cat', 2],
      ['dog', 2],
      ['pig', 2],
    ]);
  });

  it('zero division follows the option', () => {
    // Class 1 is never predicted: its precision is 0/0.
    expect(precisionRecallF1([0, 1], [0, 0]).perClass[1]?.precision).toBe(0);
    expect(precisionRecallF1([0, 1], [0, 0], { zeroDivision: 1 }).perClass[1]?.precision).toBe(1);
    expect(precisionRecallF1([0, 0], [0, 0], { labels: [0, 1], zeroDivision: 1 }).perClass[1]?.f1).toBe(1);
  });

  it('rejects bad input', () => {
    expect(() => accuracy([1], [1, 2])).toThrow(KaleidoError);
    expect(() => accuracy([], [])).toThrow(KaleidoError);
    expect(() => accuracy([null as unknown as number], [1])).toThrow(KaleidoError);
    expect(() => confusionMatrix([1], [1], { labels: [1, 1] })).toThrow(KaleidoError);
    expect(() => confusionMatrix([1], [1], { labels: [] })).toThrow(KaleidoError);
  });
});

describe('ROC AUC (Mann–Whitney with average ranks)', () => {
  it('binary: roc_auc_score docstring example 0.75, and ties count ½ (sklearn 0.8333)', () => {
    expect(rocAucBinary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(rocAucBinary([0, 0, 1, 1, 1], [0.5, 0.2, 0.5, 0.9, 0.5])).toBeCloseTo(0.8333333333333333, 15);
    expect(rocAucBinary(['no', 'yes', 'no'], [0.9, 0.8, 0.1], { positiveLabel: 'no' })).toBe(0.5);
    expect(averageRanks([10, 20, 10, 30])).toEqual([1.5, 3, 1.5, 4]);
  });

  it('one-vs-rest macro and weighted (sklearn)', () => {
    const s = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.4, 0.4, 0.2],
      [0.3, 0.3, 0.4],
      [0.5, 0.25, 0.25],
    ];
    expect(rocAucOvr([0, 1, 2, 2, 1, 0], s).auc).toBeCloseTo(0.8125, 15);
    expect(rocAucOvr([0, 1, 2, 2, 2, 0], s, { average: 'weighted' }).auc).toBeCloseTo(0.888888888888889, 14);
    expect(rocAucOvr([0, 1, 2, 2, 2, 0], s).auc).toBeCloseTo(0.9259259259259259, 14);
  });

  it('is undefined for a single class and validates shapes', () => {
    expect(() => rocAucBinary([1, 1], [0.1, 0.2])).toThrow(KaleidoError);
    expect(() => rocAucBinary([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(KaleidoError);
    expect(() => rocAucBinary([0, 1], [0.1, NaN])).toThrow(KaleidoError);
    expect(() => rocAucOvr([0, 1], [[1, 0]])).toThrow(KaleidoError);
    expect(() =>
      rocAucOvr(
        [0, 2],
        [
          [1, 0],
          [0, 1],
        ],
        { labels: [0, 1] },
      ),
    ).toThrow(KaleidoError);
  });
});

describe('log loss', () => {
  it('log_loss docstring example: 0.21616… (sklearn)', () => {
    expect(
      logLoss(
        ['spam', 'ham', 'ham', 'spam'],
        [
          [0.1, 0.9],
          [0.9, 0.1],
          [0.8, 0.2],
          [0.35, 0.65],
        ],
      ),
    ).toBeCloseTo(0.21616187468057912, 15);
    // The binary vector form is P(second label).
    expect(logLoss(['spam', 'ham', 'ham', 'spam'], [0.9, 0.1, 0.2, 0.65])).toBeCloseTo(
      0.21616187468057912,
      15,
    );
  });

  it('multi-class (sklearn 0.84453…) and clipping of certain mistakes', () => {
    const s = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.4, 0.4, 0.2],
      [0.3, 0.3, 0.4],
      [0.5, 0.25, 0.25],
    ];
    expect(logLoss([0, 1, 2, 2, 1, 0], s)).toBeCloseTo(0.8445342742641083, 14);
    // Hand: one certain mistake costs −ln(1e-15) = 34.538776…; mean over 3 samples.
    expect(logLoss([1, 0, 1], [1, 0, 0])).toBeCloseTo(34.538776394910684 / 3, 10);
    // sklearn 1.2's default eps is float64 machine epsilon: 12.014551129705717.
    expect(logLoss([1, 0, 1], [1, 0, 0], { eps: 2.220446049250313e-16 })).toBeCloseTo(12.014551129705717, 10);
    expect(() => logLoss([1, 1], [0.5, 0.5])).toThrow(KaleidoError); // one class, no labels
    expect(logLoss([1, 1], [0.5, 0.5], { labels: [0, 1] })).toBeCloseTo(Math.LN2, 15);
    expect(() => logLoss([1, 0], [[0.5, 0.5]])).toThrow(KaleidoError);
    expect(() => logLoss([1, 0], [0.5, 0.5], { eps: 0 })).toThrow(KaleidoError);
    expect(() => logLoss([1, 3], [0.5, 0.5], { labels: [0, 1] })).toThrow(KaleidoError);
  });
});

describe('expected calibration error', () => {
  it('binary bins equal sklearn calibration_curve; ECE by hand', () => {
    // calibration_curve(y, p, n_bins=2) → prob_true [1/3, 1], prob_pred [0.28333, 0.8] (sklearn).
    const r = expectedCalibrationError([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], { nBins: 2 });
    expect(r.bins.map((b) => b.count)).toEqual([3, 1]);
    expect(r.bins[0]?.observed).toBeCloseTo(1 / 3, 15);
    expect(r.bins[0]?.meanConfidence).toBeCloseTo(0.28333333333333333, 15);
    // ECE = ¾·|⅓ − 0.28333| + ¼·|1 − 0.8| = 0.0375 + 0.05; MCE = 0.2.
    expect(r.ece).toBeCloseTo(0.0875, 15);
    expect(r.mce).toBeCloseTo(0.2, 15);
    // A probability on an edge goes to the lower bin, as in sklearn: prob_pred [0.35, 0.825].
    const e = expectedCalibrationError([0, 1, 1, 0, 1], [0.5, 0.5, 0.95, 0.05, 0.7], { nBins: 2 });
    e.bins.forEach((b, i) => expect(b.meanConfidence).toBeCloseTo([0.35, 0.825][i] as number, 15));
  });

  it('multi-class top-label ECE by hand, empty bins are NaN', () => {
    const probs = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.4, 0.4, 0.2],
    ];
    // Confidences .7 ✓, .5 ✗, .6 ✓, .4 ✗ (tie → first class) in four bins: (.3 + .5 + .4 + .4) / 4.
    const r = expectedCalibrationError([0, 2, 2, 1], probs);
    expect(r.ece).toBeCloseTo(0.4, 15);
    expect(r.mce).toBeCloseTo(0.5, 15);
    expect(r.bins).toHaveLength(10);
    expect(r.bins[0]?.meanConfidence).toBeNaN();
    const perfect = expectedCalibrationError([1, 1, 0, 0], [1, 1, 0, 0]);
    expect(perfect.ece).toBe(0);
  });

  it('validates input', () => {
    expect(() => expectedCalibrationError([0, 1], [0.5, 1.5])).toThrow(KaleidoError);
    expect(() => expectedCalibrationError([0, 1], [0.5, 0.5], { nBins: 0 })).toThrow(KaleidoError);
    expect(() => expectedCalibrationError([0, 1, 2], [0.5, 0.5, 0.5])).toThrow(KaleidoError);
    expect(() =>
      expectedCalibrationError(
        [0, 3],
        [
          [1, 0],
          [0, 1],
        ],
        { labels: [0, 1] },
      ),
    ).toThrow(KaleidoError);
  });
});

describe('stratified splits (properties)', () => {
  const labelsArb = fc.array(fc.constantFrom('a', 'b', 'c', 1, 2), { minLength: 4, maxLength: 120 });

  it('k-fold: a partition, balanced per class and in size, deterministic per seed', () => {
    fc.assert(
      fc.property(labelsArb, fc.integer({ min: 2, max: 4 }), fc.integer(), (labels, k, seed) => {
        fc.pre(k <= labels.length);
        const folds = stratifiedKFold(labels, k, seed);
        expect(folds).toHaveLength(k);
        const all = folds.flatMap((f) => f.test).sort((x, y) => x - y);
        expect(all).toEqual(labels.map((_, i) => i));
        const sizes = folds.map((f) => f.test.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const cls of new Set(labels)) {
          const counts = folds.map((f) => f.test.filter((i) => labels[i] === cls).length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
        for (const f of folds) expect(f.train.length + f.test.length).toBe(labels.length);
        expect(stratifiedKFold(labels, k, seed)).toEqual(folds);
      }),
      { numRuns: 100 },
    );
  });

  it('train/test: ⌈f·n⌉ test samples, class shares within one sample', () => {
    fc.assert(
      fc.property(
        labelsArb,
        fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        fc.integer(),
        (labels, f, seed) => {
          fc.pre(Math.ceil(f * labels.length) < labels.length);
          const { train, test } = trainTestSplitStratified(labels, f, seed);
          expect(test.length).toBe(Math.ceil(f * labels.length));
          expect([...train, ...test].sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
          for (const cls of new Set(labels)) {
            const n = labels.filter((y) => y === cls).length;
            const inTest = test.filter((i) => labels[i] === cls).length;
            expect(Math.abs(inTest - (n * test.length) / labels.length)).toBeLessThan(1 + 1e-9);
          }
        },
      ),
      { numRuns: 100 },
    );
    expect(() => trainTestSplitStratified([1, 2], 0.99)).toThrow(KaleidoError);
    expect(() => trainTestSplitStratified([1, 2], 0)).toThrow(KaleidoError);
    expect(() => stratifiedKFold([1, 2], 3)).toThrow(KaleidoError);
    expect(() => stratifiedKFold([1, 2], 1)).toThrow(KaleidoError);
  });
});

describe('slices and fairness (hand-computed, fairlearn definitions)', () => {
  // Group A: y [1,1,0,0], ŷ [1,1,0,0] → selection .5, TPR 1, FPR 0.
  // Group B: y [1,1,0,0], ŷ [1,0,0,0] → selection .25, TPR .5, FPR 0.
  const input = {
    yTrue: [1, 1, 0, 0, 1, 1, 0, 0],
    yPred: [1, 1, 0, 0, 1, 0, 0, 0],
    groups: ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'],
  };

  it('per-group rates and the three metrics', () => {
    expect(groupRates(input)).toEqual([
      { group: 'A', count: 4, selectionRate: 0.5, truePositiveRate: 1, falsePositiveRate: 0 },
      { group: 'B', count: 4, selectionRate: 0.25, truePositiveRate: 0.5, falsePositiveRate: 0 },
    ]);
    expect(demographicParityDifference(input)).toBe(0.25);
    expect(disparateImpactRatio(input)).toBe(0.5);
    expect(equalizedOddsDifference(input)).toBe(0.5);
  });

  it('fairnessReport flags violations against thresholds', () => {
    const r = fairnessReport(input);
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toEqual([
      'demographicParityDifference',
      'equalizedOddsDifference',
      'disparateImpactRatio',
    ]);
    const lenient = fairnessReport(input, {
      maxDemographicParityDifference: 0.3,
      maxEqualizedOddsDifference: 0.5,
      minDisparateImpactRatio: 0.5,
    });
    expect(lenient.passed).toBe(true);
    const fair = fairnessReport({ yTrue: [1, 0, 1, 0], yPred: [1, 0, 1, 0], groups: ['x', 'x', 'y', 'y'] });
    expect([
      fair.demographicParityDifference,
      fair.disparateImpactRatio,
      fair.equalizedOddsDifference,
      fair.passed,
    ]).toEqual([0, 1, 0, true]);
    // Undefined rates are left out; a metric with no defined value at all is a violation.
    const noNeg = { yTrue: [1, 1], yPred: [1, 0], groups: ['x', 'y'], positiveLabel: 1 };
    expect(equalizedOddsDifference(noNeg)).toBe(1);
    expect(equalizedOddsDifference({ yTrue: [0, 0], yPred: [1, 0], groups: ['x', 'y'] })).toBe(1);
    const none = fairnessReport({ yTrue: [0, 0], yPred: [0, 0], groups: ['x', 'y'] });
    expect(none.disparateImpactRatio).toBe(1);
    expect(none.equalizedOddsDifference).toBe(0); // FPR 0 vs 0; TPR undefined in both groups
    const oneDefined = fairnessReport({ yTrue: [1, 1, 0], yPred: [1, 1, 0], groups: ['x', 'y', 'y'] });
    expect(oneDefined.equalizedOddsDifference).toBe(0); // TPR 1 vs 1; FPR only defined for y
    const undefinedEod = fairnessReport({ yTrue: [1, 0], yPred: [1, 1], groups: ['x', 'y'] });
    expect(undefinedEod.equalizedOddsDifference).toBeNaN();
    expect(undefinedEod.violations.map((v) => v.metric)).toContain('equalizedOddsDifference');
    expect(() => fairnessReport(input, { minDisparateImpactRatio: 2 })).toThrow(KaleidoError);
    expect(() => demographicParityDifference({ yTrue: [1], yPred: [1], groups: ['x'] })).toThrow(
      KaleidoError,
    );
    expect(() => groupRates({ yTrue: [1], yPred: [1], groups: ['x', 'y'] })).toThrow(KaleidoError);
  });

  it('sliceMetrics gives overall, per-slice, difference and ratio', () => {
    const r = sliceMetrics(input.yTrue, input.yPred, input.groups, { accuracy });
    expect(r.overall['accuracy']).toBe(7 / 8);
    expect(r.bySlice.map((s) => [s.slice, s.count, s.values['accuracy']])).toEqual([
      ['A', 4, 1],
      ['B', 4, 0.75],
    ]);
    expect(r.difference['accuracy']).toBe(0.25);
    expect(r.ratio['accuracy']).toBe(0.75);
    expect(() => sliceMetrics([1], [1], ['a'], {})).toThrow(KaleidoError);
    expect(sliceMetrics([1], [1], ['a'], { nan: () => NaN }).difference['nan']).toBeNaN();
  });
});
