/**
 * Group-fairness metrics for a binary decision, with fairlearn's definitions:
 *
 * - selection rate of a group: P(ŷ = positive | group);
 * - demographic parity difference: max − min selection rate over groups (0 is parity);
 * - disparate impact ratio: min / max selection rate (the "four-fifths rule" flags < 0.8;
 *   fairlearn calls it demographic_parity_ratio);
 * - equalized odds difference: the larger of the between-group spreads (max − min) of the true
 *   positive rate and of the false positive rate.
 *
 * A rate that is undefined for a group (no actual positives for TPR, no negatives for FPR) is
 * NaN in the per-group table and left out of the spread, rather than silently counted as 0; a
 * rate defined for fewer than two groups gives no spread (NaN), and `fairnessReport` flags NaN.
 */
import { checkLabels, checkNonEmpty, checkSameLength, invalid, sortedUnique, type Label } from './labels.js';
import { spread } from './slices.js';

export interface GroupRates {
  readonly group: Label;
  readonly count: number;
  readonly selectionRate: number;
  readonly truePositiveRate: number;
  readonly falsePositiveRate: number;
}

export interface FairnessInput {
  readonly yTrue: readonly Label[];
  readonly yPred: readonly Label[];
  /** The sensitive feature, one value per sample. */
  readonly groups: readonly Label[];
  /** The favourable outcome (default 1). */
  readonly positiveLabel?: Label;
}

export function groupRates(input: FairnessInput): GroupRates[] {
  const { yTrue, yPred, groups } = input;
  checkLabels('yTrue', yTrue);
  checkLabels('yPred', yPred);
  checkLabels('groups', groups);
  checkSameLength(yTrue, yPred, ['yTrue', 'yPred']);
  checkSameLength(yTrue, groups, ['yTrue', 'groups']);
  checkNonEmpty(yTrue, 'yTrue');
  const positive = input.positiveLabel ?? 1;
  return sortedUnique(groups).map((group) => {
    let n = 0;
    let selected = 0;
    let pos = 0;
    let tp = 0;
    let neg = 0;
    let fp = 0;
    groups.forEach((g, i) => {
      if (g !== group) return;
      n++;
      const predictedPositive = yPred[i] === positive;
      if (predictedPositive) selected++;
      if (yTrue[i] === positive) {
        pos++;
        if (predictedPositive) tp++;
      } else {
        neg++;
        if (predictedPositive) fp++;
      }
    });
    return {
      group,
      count: n,
      selectionRate: selected / n,
      truePositiveRate: pos === 0 ? NaN : tp / pos,
      falsePositiveRate: neg === 0 ? NaN : fp / neg,
    };
  });
}

/** Spread over the groups where the rate is defined; NaN when fewer than two groups define it. */
function definedSpread(values: readonly number[]): ReturnType<typeof spread> {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.length < 2 ? { difference: NaN, ratio: NaN, min: NaN, max: NaN } : spread(defined);
}

function needTwoGroups(rates: readonly GroupRates[]): void {
  if (rates.length < 2)
    throw invalid('fairness metrics need at least two groups', { groups: rates.map((r) => r.group) });
}

export function demographicParityDifference(input: FairnessInput): number {
  const rates = groupRates(input);
  needTwoGroups(rates);
  return spread(rates.map((r) => r.selectionRate)).difference;
}

export function disparateImpactRatio(input: FairnessInput): number {
  const rates = groupRates(input);
  needTwoGroups(rates);
  return spread(rates.map((r) => r.selectionRate)).ratio;
}

export function equalizedOddsDifference(input: FairnessInput): number {
  const rates = groupRates(input);
  needTwoGroups(rates);
  const tpr = definedSpread(rates.map((r) => r.truePositiveRate)).difference;
  const fpr = definedSpread(rates.map((r) => r.falsePositiveRate)).difference;
  if (Number.isNaN(tpr)) return fpr;
  if (Number.isNaN(fpr)) return tpr;
  return Math.max(tpr, fpr);
}

export interface FairnessThresholds {
  /** Flag when demographic parity difference exceeds this (default 0.10). */
  readonly maxDemographicParityDifference?: number;
  /** Flag when equalized odds difference exceeds this (default 0.10). */
  readonly maxEqualizedOddsDifference?: number;
  /** Flag when the disparate impact ratio is below this (default 0.8, the four-fifths rule). */
  readonly minDisparateImpactRatio?: number;
}

export interface FairnessViolation {
  readonly metric: 'demographicParityDifference' | 'equalizedOddsDifference' | 'disparateImpactRatio';
  readonly value: number;
  readonly threshold: number;
  readonly rule: 'max' | 'min';
}

export interface FairnessReport {
  readonly byGroup: GroupRates[];
  readonly demographicParityDifference: number;
  readonly equalizedOddsDifference: number;
  readonly disparateImpactRatio: number;
  readonly thresholds: Required<FairnessThresholds>;
  readonly violations: FairnessViolation[];
  /** True when no metric violates its threshold (an undefined, NaN, metric is reported as a violation). */
  readonly passed: boolean;
}

export function fairnessReport(input: FairnessInput, thresholds: FairnessThresholds = {}): FairnessReport {
  const t: Required<FairnessThresholds> = {
    maxDemographicParityDifference: thresholds.maxDemographicParityDifference ?? 0.1,
    maxEqualizedOddsDifference: thresholds.maxEqualizedOddsDifference ?? 0.1,
    minDisparateImpactRatio: thresholds.minDisparateImpactRatio ?? 0.8,
  };
  for (const [key, value] of Object.entries(t)) {
    if (!(value >= 0 && value <= 1)) throw invalid(`${key} must be in [0, 1]`, { field: key, value });
  }
  const byGroup = groupRates(input);
  needTwoGroups(byGroup);
  const dpd = demographicParityDifference(input);
  const eod = equalizedOddsDifference(input);
  const dir = disparateImpactRatio(input);
  const violations: FairnessViolation[] = [];
  // `!(value <= threshold)` also flags NaN: an unmeasurable metric must not pass silently.
  if (!(dpd <= t.maxDemographicParityDifference)) {
    violations.push({
      metric: 'demographicParityDifference',
      value: dpd,
      threshold: t.maxDemographicParityDifference,
      rule: 'max',
    });
  }
  if (!(eod <= t.maxEqualizedOddsDifference)) {
    violations.push({
      metric: 'equalizedOddsDifference',
      value: eod,
      threshold: t.maxEqualizedOddsDifference,
      rule: 'max',
    });
  }
  if (!(dir >= t.minDisparateImpactRatio)) {
    violations.push({
      metric: 'disparateImpactRatio',
      value: dir,
      threshold: t.minDisparateImpactRatio,
      rule: 'min',
    });
  }
  return {
    byGroup,
    demographicParityDifference: dpd,
    equalizedOddsDifference: eod,
    disparateImpactRatio: dir,
    thresholds: t,
    violations,
    passed: violations.length === 0,
  };
}
