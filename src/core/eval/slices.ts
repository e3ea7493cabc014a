/**
 * Slice metrics (fairlearn's MetricFrame idea): any metrics computed overall and per slice of a
 * grouping column, with the largest between-slice difference and the smallest ratio per metric.
 */
import { checkLabels, checkNonEmpty, checkSameLength, invalid, sortedUnique, type Label } from './labels.js';

export type SliceMetric = (yTrue: readonly Label[], yPred: readonly Label[]) => number;

export interface SliceResult {
  readonly slice: Label;
  readonly count: number;
  readonly values: Record<string, number>;
}

export interface SliceReport {
  readonly overall: Record<string, number>;
  readonly bySlice: SliceResult[];
  /** max − min over slices, per metric (NaN values are ignored; NaN when fewer than one value). */
  readonly difference: Record<string, number>;
  /** min / max over slices, per metric (1 when max is 0 and min is 0). */
  readonly ratio: Record<string, number>;
}

/** Max − min and min/max of the non-NaN values. */
export function spread(values: readonly number[]): {
  difference: number;
  ratio: number;
  min: number;
  max: number;
} {
  const xs = values.filter((v) => !Number.isNaN(v));
  if (xs.length === 0) return { difference: NaN, ratio: NaN, min: NaN, max: NaN };
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { difference: max - min, ratio: max === 0 ? (min === 0 ? 1 : NaN) : min / max, min, max };
}

export function sliceMetrics(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  groups: readonly Label[],
  metrics: Record<string, SliceMetric>,
): SliceReport {
  checkLabels('yTrue', yTrue);
  checkLabels('yPred', yPred);
  checkLabels('groups', groups);
  checkSameLength(yTrue, yPred, ['yTrue', 'yPred']);
  checkSameLength(yTrue, groups, ['yTrue', 'groups']);
  checkNonEmpty(yTrue, 'yTrue');
  const names = Object.keys(metrics);
  if (names.length === 0) throw invalid('at least one metric is needed', { field: 'metrics' });
  const run = (t: readonly Label[], p: readonly Label[]): Record<string, number> =>
    Object.fromEntries(names.map((name) => [name, (metrics[name] as SliceMetric)(t, p)]));
  const bySlice = sortedUnique(groups).map((slice) => {
    const idx = groups.flatMap((g, i) => (g === slice ? [i] : []));
    return {
      slice,
      count: idx.length,
      values: run(
        idx.map((i) => yTrue[i] as Label),
        idx.map((i) => yPred[i] as Label),
      ),
    };
  });
  const difference: Record<string, number> = {};
  const ratio: Record<string, number> = {};
  for (const name of names) {
    const s = spread(bySlice.map((r) => r.values[name] as number));
    difference[name] = s.difference;
    ratio[name] = s.ratio;
  }
  return { overall: run(yTrue, yPred), bySlice, difference, ratio };
}
