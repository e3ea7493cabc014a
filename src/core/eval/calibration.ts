/**
 * Calibration: expected calibration error (ECE) over equal-width confidence bins, with the
 * reliability-diagram bins it is computed from (Guo et al., ICML 2017; Naeini et al., AAAI 2015).
 *
 * - Binary form (`probs` is a vector of P(positive)): bins on the predicted probability; each
 *   bin compares the mean prediction with the observed fraction of positives — exactly
 *   sklearn.calibration.calibration_curve(strategy='uniform').
 * - Multi-class form (`probs` is n × k): "top-label" ECE — bins on the confidence max_j p_j,
 *   comparing mean confidence with the accuracy of the arg-max prediction.
 *
 * ECE = Σ_b (n_b / n)·|observed_b − confidence_b|; MCE = max_b |observed_b − confidence_b|.
 * Bins are (lower, upper] (the first is [0, upper]): a probability exactly on an inner edge goes to
 * the lower bin, as in sklearn's calibration_curve (numpy searchsorted, side 'left').
 */
import {
  checkLabels,
  checkMatrix,
  checkNonEmpty,
  checkSameLength,
  indexOfLabels,
  invalid,
  resolveLabels,
  type Label,
} from './labels.js';

export interface ReliabilityBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability (binary) or confidence (multi-class); NaN for an empty bin. */
  readonly meanConfidence: number;
  /** Observed fraction of positives (binary) or accuracy (multi-class); NaN for an empty bin. */
  readonly observed: number;
}

export interface CalibrationReport {
  readonly ece: number;
  readonly mce: number;
  readonly bins: ReliabilityBin[];
}

function binIndex(p: number, edges: readonly number[]): number {
  // Number of inner edges < p (searchsorted(edges[1:-1], p, side='left')).
  let lo = 1;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) < p) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function expectedCalibrationError(
  yTrue: readonly Label[],
  probs: readonly number[] | readonly (readonly number[])[],
  options: { nBins?: number; labels?: readonly Label[]; positiveLabel?: Label } = {},
): CalibrationReport {
  checkLabels('yTrue', yTrue);
  checkNonEmpty(yTrue, 'yTrue');
  checkSameLength(yTrue, probs, ['yTrue', 'probs']);
  const nBins = options.nBins ?? 10;
  if (!Number.isSafeInteger(nBins) || nBins < 1)
    throw invalid('nBins must be an integer ≥ 1', { field: 'nBins', value: nBins });
  const edges = Array.from({ length: nBins + 1 }, (_, i) => i / nBins);

  const confidence: number[] = [];
  const outcome: number[] = [];
  if ((probs as readonly unknown[]).every((p) => typeof p === 'number')) {
    const classes = resolveLabels(options.labels, yTrue);
    if (classes.length > 2)
      throw invalid('binary calibration needs at most two classes; pass an n × k matrix', { classes });
    const positive = options.positiveLabel ?? (classes[classes.length - 1] as Label);
    (probs as readonly number[]).forEach((p, i) => {
      confidence.push(p);
      outcome.push(yTrue[i] === positive ? 1 : 0);
    });
  } else {
    const labels = resolveLabels(options.labels, yTrue);
    const rows = probs as readonly (readonly number[])[];
    checkMatrix('probs', rows, yTrue.length, labels.length);
    const index = indexOfLabels(labels);
    rows.forEach((row, i) => {
      let best = 0;
      for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
      const truth = index.get(yTrue[i] as Label);
      if (truth === undefined)
        throw invalid('yTrue contains a label that is not in labels', { label: yTrue[i] });
      confidence.push(row[best] as number);
      outcome.push(best === truth ? 1 : 0);
    });
  }
  for (const p of confidence)
    if (!(p >= 0 && p <= 1)) throw invalid('probabilities must lie in [0, 1]', { value: p });

  const counts = new Array<number>(nBins).fill(0);
  const sumConf = new Array<number>(nBins).fill(0);
  const sumObs = new Array<number>(nBins).fill(0);
  confidence.forEach((p, i) => {
    const b = binIndex(p, edges);
    counts[b] = (counts[b] as number) + 1;
    sumConf[b] = (sumConf[b] as number) + p;
    sumObs[b] = (sumObs[b] as number) + (outcome[i] as number);
  });
  const n = confidence.length;
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = counts.map((c, b) => {
    const meanConfidence = c === 0 ? NaN : (sumConf[b] as number) / c;
    const observed = c === 0 ? NaN : (sumObs[b] as number) / c;
    if (c > 0) {
      const gap = Math.abs(observed - meanConfidence);
      ece += (c / n) * gap;
      mce = Math.max(mce, gap);
    }
    return { lower: edges[b] as number, upper: edges[b + 1] as number, count: c, meanConfidence, observed };
  });
  return { ece, mce, bins };
}
