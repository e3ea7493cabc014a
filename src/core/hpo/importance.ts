/**
 * Hyperparameter importance by a first-order variance decomposition ("fANOVA-lite").
 *
 * Optuna's default (fANOVA, Hutter et al. 2014) fits a random forest and integrates its
 * marginals; that is heavy for a pure core module. Here each parameter's main effect is estimated
 * directly from the finished trials: the trials are binned on that parameter (numeric: equal-count
 * bins over its transformed, e.g. log, scale; categorical: one bin per choice) and the share of
 * the objective's variance explained by the bin means is measured with the bias-corrected
 * correlation ratio ε² = (SS_between − (k − 1)·MS_within) / SS_total, clipped at 0 — the
 * ANOVA effect size that does not grow with the number of bins by chance alone. Importances are
 * the ε² values normalised to sum to 1 (all zero when nothing explains any variance).
 *
 * Like fANOVA's first-order terms it ignores interactions; unlike it, it needs no model. It is
 * meant to rank parameters, not to give exact Sobol indices.
 */
import { KaleidoError } from '../errors.js';
import { distributionsEqual, toInternal, toNumericSpace, type Distribution } from './distributions.js';
import { TrialState, type StudyView } from './types.js';

export interface ImportanceOptions {
  /** Bins for numeric parameters; default ⌈√n⌉ clamped to [2, 10]. */
  nBins?: number;
  /** Restrict to these parameters (default: every parameter present in all completed trials). */
  params?: readonly string[];
}

export function paramImportances(study: StudyView, options: ImportanceOptions = {}): Record<string, number> {
  const trials = study
    .getTrials([TrialState.COMPLETE])
    .filter((t) => t.value !== null && Number.isFinite(t.value));
  if (trials.length < 2) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      'parameter importance needs at least 2 completed trials with finite values',
      {
        details: { completed: trials.length },
      },
    );
  }
  const first = trials[0] as (typeof trials)[number];
  // The intersection search space: parameters every trial has, with one distribution.
  const candidates = options.params ?? Object.keys(first.distributions);
  const names = candidates.filter((name) => {
    const d = first.distributions[name];
    return (
      d !== undefined &&
      trials.every(
        (t) =>
          t.distributions[name] !== undefined && distributionsEqual(t.distributions[name] as Distribution, d),
      )
    );
  });
  if (options.params) {
    const missing = options.params.filter((p) => !names.includes(p));
    if (missing.length > 0) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        'some parameters are not in every completed trial with one distribution',
        {
          details: { missing },
        },
      );
    }
  }
  const ys = trials.map((t) => t.value as number);
  const n = ys.length;
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  const ssTotal = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  const nBins = options.nBins ?? Math.min(10, Math.max(2, Math.ceil(Math.sqrt(n))));
  if (!Number.isSafeInteger(nBins) || nBins < 2) {
    throw new KaleidoError('ERR_VALIDATION', 'nBins must be an integer ≥ 2', {
      details: { field: 'nBins', value: nBins },
    });
  }

  const raw: Record<string, number> = {};
  for (const name of names) {
    const d = first.distributions[name] as Distribution;
    const bins = new Array<number>(n);
    if (d.type === 'categorical') {
      trials.forEach((t, i) => (bins[i] = toInternal(d, t.params[name] ?? null)));
    } else {
      // Equal-count bins by rank; ties share a bin so that equal values are never split.
      const xs = trials.map((t) => toNumericSpace(d, t.params[name] as number));
      const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
      let bin = 0;
      order.forEach((idx, rank) => {
        const target = Math.floor((rank * nBins) / n);
        const prev = rank > 0 ? (xs[order[rank - 1] as number] as number) : undefined;
        if (target > bin && prev !== xs[idx]) bin = target;
        bins[idx] = bin;
      });
    }
    raw[name] = ssTotal === 0 ? 0 : epsilonSquared(bins, ys, ssTotal, mean);
  }
  const total = Object.values(raw).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  // Most important first, as Optuna returns them.
  for (const name of [...names].sort((a, b) => (raw[b] as number) - (raw[a] as number))) {
    out[name] = total > 0 ? (raw[name] as number) / total : 0;
  }
  return out;
}

function epsilonSquared(
  bins: readonly number[],
  ys: readonly number[],
  ssTotal: number,
  mean: number,
): number {
  const sums = new Map<number, { s: number; c: number }>();
  bins.forEach((b, i) => {
    const e = sums.get(b) ?? { s: 0, c: 0 };
    e.s += ys[i] as number;
    e.c += 1;
    sums.set(b, e);
  });
  const k = sums.size;
  const n = ys.length;
  if (k < 2 || n <= k) return 0;
  let ssBetween = 0;
  for (const { s, c } of sums.values()) ssBetween += c * (s / c - mean) ** 2;
  const msWithin = (ssTotal - ssBetween) / (n - k);
  return Math.max(0, (ssBetween - (k - 1) * msWithin) / ssTotal);
}
