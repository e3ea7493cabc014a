/**
 * Classification metrics with scikit-learn's definitions (sklearn.metrics), so numbers match
 * what data scientists compute offline: accuracy, confusion matrix, precision/recall/F1 (per
 * class, macro, micro, weighted), ROC-AUC (binary and one-vs-rest) and log loss.
 */
import {
  checkLabels,
  checkMatrix,
  checkNonEmpty,
  checkSameLength,
  indexOfLabels,
  invalid,
  resolveLabels,
  sortedUnique,
  type Label,
} from './labels.js';

function checkPair(yTrue: readonly Label[], yPred: readonly Label[]): void {
  checkLabels('yTrue', yTrue);
  checkLabels('yPred', yPred);
  checkSameLength(yTrue, yPred, ['yTrue', 'yPred']);
  checkNonEmpty(yTrue, 'yTrue');
}

/** Fraction of predictions equal to the truth. */
export function accuracy(yTrue: readonly Label[], yPred: readonly Label[]): number {
  checkPair(yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

export interface ConfusionMatrix {
  /** Class order of rows and columns. */
  readonly labels: Label[];
  /** matrix[i][j] = number of samples with true label i predicted as j (sklearn's layout). */
  readonly matrix: number[][];
}

/** Samples whose true or predicted label is not in `labels` are ignored (as sklearn does). */
export function confusionMatrix(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: { labels?: readonly Label[] } = {},
): ConfusionMatrix {
  checkPair(yTrue, yPred);
  const labels = resolveLabels(options.labels, yTrue, yPred);
  const index = indexOfLabels(labels);
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = index.get(yTrue[i] as Label);
    const c = index.get(yPred[i] as Label);
    if (r !== undefined && c !== undefined)
      (matrix[r] as number[])[c] = ((matrix[r] as number[])[c] as number) + 1;
  }
  return { labels, matrix };
}

export interface ClassScores {
  readonly label: Label;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of true samples of this class. */
  readonly support: number;
}

export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface PrecisionRecallF1 {
  readonly perClass: ClassScores[];
  /** Unweighted mean over classes. */
  readonly macro: AveragedScores;
  /** From the global TP/FP/FN counts (equals accuracy when every label is included). */
  readonly micro: AveragedScores;
  /** Mean over classes weighted by support. */
  readonly weighted: AveragedScores;
}

/**
 * Precision, recall and F1 per class and averaged. A ratio with a zero denominator is
 * `zeroDivision` (default 0, sklearn's default after its warning).
 */
export function precisionRecallF1(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: { labels?: readonly Label[]; zeroDivision?: 0 | 1 } = {},
): PrecisionRecallF1 {
  const zd = options.zeroDivision ?? 0;
  const { labels, matrix } = confusionMatrix(yTrue, yPred, options.labels ? { labels: options.labels } : {});
  const ratio = (num: number, den: number): number => (den === 0 ? zd : num / den);
  // sklearn (≥ 1.3) computes F1 from counts, 2·TP / (2·TP + FP + FN): 0/0 only when all are 0.
  const f1Of = (tp: number, fp: number, fn: number): number => ratio(2 * tp, 2 * tp + fp + fn);
  let sumTp = 0;
  let sumFp = 0;
  let sumFn = 0;
  const perClass: ClassScores[] = labels.map((label, i) => {
    const row = matrix[i] as number[];
    const tp = row[i] as number;
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (const r of matrix) predicted += r[i] as number;
    const fp = predicted - tp;
    const fn = support - tp;
    sumTp += tp;
    sumFp += fp;
    sumFn += fn;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return { label, precision, recall, f1: f1Of(tp, fp, fn), support };
  });
  const mean = (key: keyof AveragedScores, weights?: number[]): number => {
    const w = weights ?? perClass.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    if (total === 0) return zd;
    return perClass.reduce((a, c, i) => a + c[key] * (w[i] as number), 0) / total;
  };
  const microP = ratio(sumTp, sumTp + sumFp);
  const microR = ratio(sumTp, sumTp + sumFn);
  const supports = perClass.map((c) => c.support);
  return {
    perClass,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    micro: { precision: microP, recall: microR, f1: f1Of(sumTp, sumFp, sumFn) },
    weighted: {
      precision: mean('precision', supports),
      recall: mean('recall', supports),
      f1: mean('f1', supports),
    },
  };
}

/** Average ranks (1-based) with ties sharing the mean of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Area under the ROC curve of `scores` for `isPositive`, by the Mann–Whitney U statistic:
 * AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊·n₋), with tied scores given their average rank (each tie
 * between a positive and a negative counts ½, which equals the trapezoidal ROC area).
 */
function mannWhitneyAuc(isPositive: readonly boolean[], scores: readonly number[]): number {
  const ranks = averageRanks(scores);
  let nPos = 0;
  let rankSum = 0;
  isPositive.forEach((p, i) => {
    if (p) {
      nPos++;
      rankSum += ranks[i] as number;
    }
  });
  const nNeg = isPositive.length - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw invalid('ROC AUC is undefined when only one class is present in yTrue', {
      positives: nPos,
      negatives: nNeg,
    });
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Binary ROC AUC. `scores` are higher for the positive class; `positiveLabel` defaults to the
 * greater of the two labels (sklearn's pos_label for {0, 1} or sorted string labels).
 */
export function rocAucBinary(
  yTrue: readonly Label[],
  scores: readonly number[],
  options: { positiveLabel?: Label } = {},
): number {
  checkLabels('yTrue', yTrue);
  checkNonEmpty(yTrue, 'yTrue');
  checkSameLength(yTrue, scores, ['yTrue', 'scores']);
  for (const s of scores)
    if (typeof s !== 'number' || !Number.isFinite(s))
      throw invalid('scores must be finite numbers', { field: 'scores' });
  const classes = sortedUnique(yTrue);
  if (classes.length > 2) throw invalid('rocAucBinary needs at most two classes; use rocAucOvr', { classes });
  const positive = options.positiveLabel ?? (classes[classes.length - 1] as Label);
  return mannWhitneyAuc(
    yTrue.map((y) => y === positive),
    scores,
  );
}

/**
 * One-vs-rest multi-class ROC AUC (sklearn's multi_class='ovr'): the AUC of each class's score
 * column against the rest, averaged unweighted ('macro', default) or by prevalence ('weighted').
 * `scores[i][j]` is the score of class `labels[j]` for sample i (labels default: sorted yTrue).
 */
export function rocAucOvr(
  yTrue: readonly Label[],
  scores: readonly (readonly number[])[],
  options: { labels?: readonly Label[]; average?: 'macro' | 'weighted' } = {},
): { auc: number; perClass: Array<{ label: Label; auc: number; support: number }> } {
  checkLabels('yTrue', yTrue);
  checkNonEmpty(yTrue, 'yTrue');
  const labels = resolveLabels(options.labels, yTrue);
  checkMatrix('scores', scores, yTrue.length, labels.length);
  const known = new Set(labels);
  for (const y of yTrue)
    if (!known.has(y)) throw invalid('yTrue contains a label that is not in labels', { label: y });
  const perClass = labels.map((label, j) => {
    const isPositive = yTrue.map((y) => y === label);
    const support = isPositive.filter(Boolean).length;
    return {
      label,
      auc: mannWhitneyAuc(
        isPositive,
        scores.map((row) => row[j] as number),
      ),
      support,
    };
  });
  const weighted = options.average === 'weighted';
  const total = weighted ? yTrue.length : perClass.length;
  const auc = perClass.reduce((a, c) => a + c.auc * (weighted ? c.support : 1), 0) / total;
  return { auc, perClass };
}

/**
 * Cross-entropy loss −(1/n)·Σ log p(true class), sklearn's log_loss: probabilities clipped to
 * [eps, 1 − eps] (eps 1e-15) and rows renormalised. `probs` is n × k with columns in `labels`
 * order (default: sorted yTrue), or, for two classes, a vector of P(second label).
 */
export function logLoss(
  yTrue: readonly Label[],
  probs: readonly (readonly number[])[] | readonly number[],
  options: { labels?: readonly Label[]; eps?: number } = {},
): number {
  checkLabels('yTrue', yTrue);
  checkNonEmpty(yTrue, 'yTrue');
  const eps = options.eps ?? 1e-15;
  if (!(eps > 0 && eps < 0.5)) throw invalid('eps must be in (0, 0.5)', { field: 'eps', value: eps });
  const labels = resolveLabels(options.labels, yTrue);
  const rows: readonly (readonly number[])[] = (probs as readonly unknown[]).every(
    (p) => typeof p === 'number',
  )
    ? (probs as readonly number[]).map((p) => [1 - p, p])
    : (probs as readonly (readonly number[])[]);
  if (labels.length < 2) {
    throw invalid('log loss needs at least two classes; pass labels when yTrue has only one', { labels });
  }
  checkMatrix('probs', rows, yTrue.length, labels.length);
  const index = indexOfLabels(labels);
  let total = 0;
  yTrue.forEach((y, i) => {
    const j = index.get(y);
    if (j === undefined) throw invalid('yTrue contains a label that is not in labels', { label: y });
    const row = (rows[i] as readonly number[]).map((p) => Math.min(1 - eps, Math.max(eps, p)));
    const sum = row.reduce((a, b) => a + b, 0);
    total -= Math.log((row[j] as number) / sum);
  });
  return total / yTrue.length;
}
