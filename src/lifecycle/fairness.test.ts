import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import {
  DEFAULT_FAIRNESS_THRESHOLDS,
  evaluateFairness,
  fairnessMetrics,
  fairnessTags,
  groupOf,
  parseFairnessRequest,
  parseThresholds,
} from './fairness.js';

/**
 * Binary known answer, worked by hand (positive class "1"):
 *
 *   group f (5 rows): y [1,1,0,0,0], ŷ [1,0,1,0,0]
 *     selection 2/5 = 0.4; TPR 1/2 = 0.5; FPR 1/3; base rate 2/5 = 0.4; accuracy 3/5 = 0.6
 *   group m (4 rows): y [1,1,1,0], ŷ [1,1,1,1]
 *     selection 4/4 = 1; TPR 3/3 = 1; FPR 1/1 = 1; base rate 3/4; accuracy 3/4
 *   one more row without a group value (y 0, ŷ 1): left out, counted as missing.
 *
 *   demographic parity difference = 1 − 0.4 = 0.6
 *   disparate-impact ratio        = 0.4 / 1 = 0.4
 *   equalized-odds difference     = max(|1 − 0.5|, |1 − 1/3|) = 2/3
 *   defaults (≤ 0.10, ≤ 0.10, ≥ 0.8): all three violated → flagged.
 */
const binary = {
  attribute: 'sex',
  classes: ['0', '1'],
  yTrue: ['1', '1', '0', '0', '0', '1', '1', '1', '0', '0'],
  yPred: ['1', '0', '1', '0', '0', '1', '1', '1', '1', '1'],
  groups: ['f', 'f', 'f', 'f', 'f', 'm', 'm', 'm', 'm', null],
};

describe('evaluateFairness (hand-computed known answers)', () => {
  it('binary: per-group rates, the three metrics, violations, missing values', () => {
    const r = evaluateFairness(binary);
    expect(r.rows).toBe(9);
    expect(r.missingAttribute).toBe(1);
    expect(r.convention).toBe('binary');
    expect(r.groups).toEqual([
      { group: 'f', count: 5, accuracy: 0.6 },
      { group: 'm', count: 4, accuracy: 0.75 },
    ]);
    const c = r.perClass[0];
    expect(c?.positiveLabel).toBe('1');
    expect(c?.byGroup).toEqual([
      {
        group: 'f',
        count: 5,
        baseRate: 0.4,
        selectionRate: 0.4,
        truePositiveRate: 0.5,
        falsePositiveRate: 1 / 3,
      },
      { group: 'm', count: 4, baseRate: 0.75, selectionRate: 1, truePositiveRate: 1, falsePositiveRate: 1 },
    ]);
    expect(r.demographicParityDifference).toBeCloseTo(0.6, 12);
    expect(r.disparateImpactRatio).toBeCloseTo(0.4, 12);
    expect(r.equalizedOddsDifference).toBeCloseTo(2 / 3, 12);
    expect(r.thresholds).toEqual(DEFAULT_FAIRNESS_THRESHOLDS);
    expect(r.violations.map((v) => v.metric)).toEqual([
      'demographicParityDifference',
      'equalizedOddsDifference',
      'disparateImpactRatio',
    ]);
    expect(r.flagged).toBe(true);
    expect(r.warnings).toEqual([
      'group "f" has only 5 rows (< 30): its rates are noisy',
      'group "m" has only 4 rows (< 30): its rates are noisy',
      '1 rows without a value of "sex" were left out',
    ]);
    // Lenient thresholds that the figures meet: not flagged.
    const lenient = evaluateFairness({
      ...binary,
      thresholds: {
        maxDemographicParityDifference: 0.6,
        maxEqualizedOddsDifference: 0.7,
        minDisparateImpactRatio: 0.4,
      },
    });
    expect(lenient.flagged).toBe(false);
    // Positive class "0" instead: selection f 3/5, m 0/4 → parity difference 0.6, ratio 0.
    const zero = evaluateFairness({ ...binary, positiveLabel: '0' });
    expect(zero.perClass[0]?.byGroup.map((g) => g.selectionRate)).toEqual([0.6, 0]);
    expect(zero.disparateImpactRatio).toBe(0);
  });

  /**
   * Three classes, one-vs-rest (no positiveLabel):
   *
   *   g1: y [a,b,c,a], ŷ [a,b,c,a]      g2: y [a,b,c,a], ŷ [b,b,c,c]
   *   class a: selection g1 2/4, g2 0/4 → DPD 0.5, ratio 0; TPR 1 vs 0 → EOD 1 (FPR 0 vs 0)
   *   class b: selection 1/4 vs 2/4 → DPD 0.25, ratio 0.5; TPR 1 vs 1, FPR 0/3 vs 1/3 → EOD 1/3
   *   class c: selection 1/4 vs 2/4 → DPD 0.25, ratio 0.5; TPR 1 vs 1, FPR 0/3 vs 1/3 → EOD 1/3
   *   headline = worst: DPD 0.5, EOD 1, ratio 0; every class violates all three → 9 violations.
   */
  it('multi-class: one-vs-rest per class, the worst class is the headline', () => {
    const input = {
      attribute: 'region',
      classes: ['a', 'b', 'c'],
      yTrue: ['a', 'b', 'c', 'a', 'a', 'b', 'c', 'a'],
      yPred: ['a', 'b', 'c', 'a', 'b', 'b', 'c', 'c'],
      groups: ['g1', 'g1', 'g1', 'g1', 'g2', 'g2', 'g2', 'g2'],
    };
    const r = evaluateFairness(input);
    expect(r.convention).toBe('one-vs-rest');
    expect(
      r.perClass.map((c) => [c.positiveLabel, c.demographicParityDifference, c.disparateImpactRatio]),
    ).toEqual([
      ['a', 0.5, 0],
      ['b', 0.25, 0.5],
      ['c', 0.25, 0.5],
    ]);
    expect(r.perClass.map((c) => c.equalizedOddsDifference)).toEqual([1, 1 / 3, 1 / 3]);
    expect([r.demographicParityDifference, r.equalizedOddsDifference, r.disparateImpactRatio]).toEqual([
      0.5, 1, 0,
    ]);
    expect(r.violations).toHaveLength(9);
    expect(r.groups).toEqual([
      { group: 'g1', count: 4, accuracy: 1 },
      { group: 'g2', count: 4, accuracy: 0.5 },
    ]);
    // A positive class turns it into one binary report.
    const b = evaluateFairness({ ...input, positiveLabel: 'b' });
    expect(b.convention).toBe('binary');
    expect([b.demographicParityDifference, b.equalizedOddsDifference, b.disparateImpactRatio]).toEqual([
      0.25,
      1 / 3,
      0.5,
    ]);
  });

  it('identical behaviour in both groups: parity, not flagged; undefined rates are null', () => {
    const r = evaluateFairness({
      attribute: 'g',
      classes: ['no', 'yes'],
      yTrue: ['yes', 'no', 'yes', 'no'],
      yPred: ['yes', 'no', 'yes', 'no'],
      groups: ['x', 'x', 'y', 'y'],
    });
    expect([
      r.demographicParityDifference,
      r.equalizedOddsDifference,
      r.disparateImpactRatio,
      r.flagged,
    ]).toEqual([0, 0, 1, false]);
    // Group y has no actual negatives: its FPR is undefined (null), not 0.
    const u = evaluateFairness({
      attribute: 'g',
      classes: ['0', '1'],
      yTrue: ['1', '0', '1', '1'],
      yPred: ['1', '0', '1', '1'],
      groups: ['x', 'x', 'y', 'y'],
    });
    expect(u.perClass[0]?.byGroup[1]?.falsePositiveRate).toBeNull();
    expect(u.equalizedOddsDifference).toBe(0); // TPR 1 vs 1; FPR only defined for x
  });

  it('refuses what it cannot measure', () => {
    expect(() => evaluateFairness({ ...binary, groups: binary.groups.map(() => 'f') })).toThrow(/needs two/);
    expect(() => evaluateFairness({ ...binary, positiveLabel: 'maybe' })).toThrow(KaleidoError);
    expect(() => evaluateFairness({ ...binary, yPred: ['1'] })).toThrow(KaleidoError);
    expect(() => evaluateFairness({ ...binary, classes: ['1'] })).toThrow(KaleidoError);
  });
});

describe('thresholds, tags and requests', () => {
  it('parses thresholds with defaults and refuses bad ones', () => {
    expect(parseThresholds(undefined)).toEqual({
      maxDemographicParityDifference: 0.1,
      maxEqualizedOddsDifference: 0.1,
      minDisparateImpactRatio: 0.8,
    });
    expect(parseThresholds({ minDisparateImpactRatio: 0.9 }).minDisparateImpactRatio).toBe(0.9);
    expect(() => parseThresholds({ minDisparateImpactRatio: 1.2 })).toThrow(/\[0, 1\]/);
    expect(() => parseThresholds({ maxParity: 0.1 })).toThrow(/not a known threshold/);
    expect(() => parseThresholds([0.1])).toThrow(KaleidoError);
  });

  it('summarises reports into version tags and metrics', () => {
    const flagged = evaluateFairness(binary);
    const fine = evaluateFairness({
      ...binary,
      attribute: 'age',
      thresholds: {
        maxDemographicParityDifference: 1,
        maxEqualizedOddsDifference: 1,
        minDisparateImpactRatio: 0,
      },
    });
    expect(fairnessTags([flagged, fine])).toEqual([
      { key: 'kaleido.fairness.flagged', value: 'true' },
      { key: 'kaleido.fairness.demographic_parity_difference', value: '0.6' },
      { key: 'kaleido.fairness.equalized_odds_difference', value: '0.666667' },
      { key: 'kaleido.fairness.disparate_impact_ratio', value: '0.4' },
      { key: 'kaleido.fairness.attributes', value: 'age,sex' },
      { key: 'kaleido.fairness.reports', value: '2' },
    ]);
    expect(fairnessTags([fine])[0]).toEqual({ key: 'kaleido.fairness.flagged', value: 'false' });
    const m = fairnessMetrics([flagged]);
    expect(m['fairness_flagged']).toBe(1);
    expect(m['fairness_demographic_parity_difference']).toBeCloseTo(0.6, 12);
  });

  it('validates the API body', () => {
    expect(parseFairnessRequest({ dataset: { id: 'd' } })).toEqual({
      dataset: { id: 'd' },
      split: 'test',
      thresholds: DEFAULT_FAIRNESS_THRESHOLDS,
    });
    const full = parseFairnessRequest({
      dataset: { id: 'd', version: 2 },
      split: 'all',
      attribute: 'sex',
      positiveLabel: 'yes',
      featurizer: { type: 'tabular' },
      classes: ['no', 'yes'],
    });
    expect(full).toMatchObject({ split: 'all', attribute: 'sex', featurizer: { type: 'tabular' } });
    for (const bad of [
      null,
      [],
      {},
      { dataset: 'd' },
      { dataset: { id: 'd', version: 0 } },
      { dataset: { id: 'd' }, split: 'holdout' },
      { dataset: { id: 'd' }, attribute: 3 },
      { dataset: { id: 'd' }, classes: ['a'] },
      { dataset: { id: 'd' }, classes: ['a', 'a'] },
      { dataset: { id: 'd' }, extra: 1 },
      { dataset: { id: 'd' }, featurizer: { type: 'magic' } },
    ]) {
      expect(() => parseFairnessRequest(bad)).toThrow(KaleidoError);
    }
  });

  it('groups: scalars as text, empty as missing', () => {
    expect([groupOf('f'), groupOf(3), groupOf(true), groupOf(''), groupOf(null), groupOf(undefined)]).toEqual(
      ['f', '3', 'true', null, null, null],
    );
  });
});
