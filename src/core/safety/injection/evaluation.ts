/**
 * Binary detection metrics for the injection detector on a labelled set: confusion counts,
 * precision, recall, F1 overall and recall / false-positive rate per template family.
 */
import { KaleidoError } from '../../errors.js';

export interface LabelledPrompt {
  readonly id: string;
  readonly text: string;
  /** True for an injection / jailbreak attempt. */
  readonly injection: boolean;
  /** Template family it was generated from (for the per-family breakdown). */
  readonly family: string;
}

export interface BinaryMetrics {
  readonly n: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  /** tp / (tp + fp); 1 when nothing was predicted positive. */
  readonly precision: number;
  /** tp / (tp + fn); 1 when there are no positives. */
  readonly recall: number;
  readonly f1: number;
}

export interface InjectionEvaluation {
  readonly threshold: number;
  readonly overall: BinaryMetrics;
  /** Per family: how many items, how many were flagged, and whether the family is injections. */
  readonly families: ReadonlyArray<{ family: string; injection: boolean; n: number; flagged: number }>;
  /** Ids of the misclassified items, for error analysis. */
  readonly falsePositives: readonly string[];
  readonly falseNegatives: readonly string[];
}

export function binaryMetrics(tp: number, fp: number, tn: number, fn: number): BinaryMetrics {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { n: tp + fp + tn + fn, tp, fp, tn, fn, precision, recall, f1 };
}

/** Scores every item with `score` and thresholds at `threshold` (score ≥ threshold = injection). */
export function evaluateInjection(
  items: readonly LabelledPrompt[],
  score: (text: string) => number,
  threshold: number,
): InjectionEvaluation {
  if (items.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', 'the labelled set is empty', { details: { field: 'items' } });
  }
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  const falsePositives: string[] = [];
  const falseNegatives: string[] = [];
  const families = new Map<string, { family: string; injection: boolean; n: number; flagged: number }>();
  for (const item of items) {
    const flagged = score(item.text) >= threshold;
    if (item.injection && flagged) tp++;
    else if (item.injection) {
      fn++;
      falseNegatives.push(item.id);
    } else if (flagged) {
      fp++;
      falsePositives.push(item.id);
    } else tn++;
    const key = `${item.injection ? 1 : 0}:${item.family}`;
    const f = families.get(key) ?? { family: item.family, injection: item.injection, n: 0, flagged: 0 };
    f.n++;
    if (flagged) f.flagged++;
    families.set(key, f);
  }
  return {
    threshold,
    overall: binaryMetrics(tp, fp, tn, fn),
    families: [...families.values()].sort(
      (a, b) =>
        Number(b.injection) - Number(a.injection) || (a.family < b.family ? -1 : a.family > b.family ? 1 : 0),
    ),
    falsePositives,
    falseNegatives,
  };
}
