/**
 * Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011) with the semantics of
 * Optuna's univariate `TPESampler` (defaults of Optuna 3.x/4.x with multivariate=false,
 * constant_liar=false):
 *
 * - the first `nStartupTrials` (10) finished trials are sampled at random;
 * - finished trials (COMPLETE, then PRUNED ranked by furthest step and its value) are split into
 *   the best gamma(n) = min(ceil(0.1·n), 25) ("below", l) and the rest ("above", g);
 * - each parameter gets two univariate Parzen estimators: one Gaussian kernel per observation
 *   (in log space for log distributions), plus a prior kernel at the centre of the range with
 *   σ = the range width and weight `priorWeight` (1.0); bandwidth of an observation = the larger
 *   distance to its neighbours among observations ∪ {prior μ} ∪ the two endpoints, except that the
 *   outermost kernels use their inner gap (consider_endpoints = false); σ is clipped to
 *   [range / min(100, 1 + kernels), range] (the "magic clip");
 * - kernel weights are Optuna's default_weights: 1 for the newest 25 observations, a linear ramp
 *   from 1/n up to 1 for older ones; then normalised together with the prior weight;
 * - int and stepped floats use a discretised truncated normal on the grid (the interval padded by
 *   half a step); log ints are handled in log space over [ln(low − ½), ln(high + ½)];
 *   categoricals use, per kernel, weights prior/n on every choice plus 1 on the observed one;
 * - `nEiCandidates` (24) draws from l; the one maximising log l(x) − log g(x) is chosen.
 *
 * Deviations from Optuna, deliberately:
 * - randomness per (seed, trial number, parameter name) instead of one shared generator (see
 *   samplers.ts), so results are order-independent and resumable;
 * - observations outside the currently requested range (a study whose range changed) are ignored
 *   rather than modelled outside the truncation interval.
 */
import { KaleidoError } from '../errors.js';
import type { Rng } from '../random.js';
import {
  contains,
  fromNumericSpace,
  numericSpace,
  toExternal,
  toInternal,
  toNumericSpace,
  type Distribution,
  type FloatDistribution,
  type IntDistribution,
  type ParamValue,
} from './distributions.js';
import { logSumExp, normalLogMassBetween, normalLogPdf } from './normal.js';
import { paramRng, sampleUniform } from './samplers.js';
import { StudyDirection, TrialState, type FrozenTrial, type Sampler, type StudyView } from './types.js';

export interface TPESamplerOptions {
  seed?: number;
  nStartupTrials?: number;
  nEiCandidates?: number;
  priorWeight?: number;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
  /** gamma(n) = min(ceil(gammaRatio·n), gammaMax): Optuna's default_gamma is 0.1 and 25. */
  gammaRatio?: number;
  gammaMax?: number;
}

/** Optuna's default_gamma. */
export function defaultGamma(n: number, ratio = 0.1, max = 25): number {
  return Math.min(Math.ceil(ratio * n), max);
}

/** Optuna's default_weights: flat 1 for the newest 25, a ramp from 1/n for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const rampLength = n - 25;
  const ramp: number[] = [];
  // numpy.linspace(1/n, 1, num=n−25), endpoint included.
  for (let i = 0; i < rampLength; i++) {
    ramp.push(rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1));
  }
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** A mixture the sampler draws candidates from and scores them with (points in the transformed space). */
export interface ParzenEstimator {
  sample(rng: Rng, n: number): number[];
  /** log density (or log probability mass) at internal/transformed points. */
  logPdf(xs: readonly number[]): number[];
}

export interface EstimatorParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
}

function normalisedWeights(n: number, priorWeight: number): number[] {
  const w = defaultWeights(n);
  w.push(priorWeight);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/**
 * Kernel bandwidths (Optuna's univariate rule): sort observations together with the prior mean,
 * add the two endpoints, take the larger neighbour gap, fix the outermost kernels to their inner
 * gap when endpoints are not considered, then clip.
 */
export function parzenSigmas(
  mus: readonly number[],
  low: number,
  high: number,
  params: EstimatorParameters,
): number[] {
  const priorMu = 0.5 * (low + high);
  const withPrior = [...mus, priorMu];
  const order = withPrior
    .map((_, i) => i)
    .sort((a, b) => (withPrior[a] as number) - (withPrior[b] as number));
  const sorted = [low, ...order.map((i) => withPrior[i] as number), high];
  const m = withPrior.length;
  const sortedSigmas: number[] = [];
  for (let k = 1; k <= m; k++) {
    const c = sorted[k] as number;
    sortedSigmas.push(Math.max(c - (sorted[k - 1] as number), (sorted[k + 1] as number) - c));
  }
  if (!params.considerEndpoints && sorted.length >= 4) {
    sortedSigmas[0] = (sorted[2] as number) - (sorted[1] as number);
    sortedSigmas[m - 1] = (sorted[m] as number) - (sorted[m - 1] as number);
  }
  const sigmas = new Array<number>(m);
  order.forEach((originalIndex, k) => {
    sigmas[originalIndex] = sortedSigmas[k] as number;
  });
  const range = high - low;
  const maxSigma = range;
  const nKernels = mus.length + 1;
  const minSigma = params.considerMagicClip ? range / Math.min(100, 1 + nKernels) : 1e-12;
  return sigmas.slice(0, mus.length).map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
}

/**
 * Mixture of normals truncated to [low, high] (the transformed interval). With `step`, the
 * mixture is discretised on the grid low + step/2 + k·step: the mass of a grid point is the
 * kernel mass of its cell.
 */
function numericEstimator(
  observations: readonly number[],
  low: number,
  high: number,
  step: number | null,
  params: EstimatorParameters,
): ParzenEstimator {
  const sigmas = parzenSigmas(observations, low, high, params);
  const mus = [...observations, 0.5 * (low + high)];
  sigmas.push(high - low);
  const logWeights = normalisedWeights(observations.length, params.priorWeight).map(Math.log);
  const logMass = mus.map((mu, k) =>
    normalLogMassBetween((low - mu) / (sigmas[k] as number), (high - mu) / (sigmas[k] as number)),
  );
  const weights = logWeights.map(Math.exp);

  return {
    sample(rng, n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = rng.weightedIndex(weights);
        const mu = mus[k] as number;
        const sigma = sigmas[k] as number;
        // Every μ lies inside [low, high] and σ ≤ high − low, so the truncation keeps at least
        // Φ(0) − Φ(−1) ≈ 34 % of the kernel's mass: plain rejection needs ~3 draws at worst.
        let x = mu;
        for (let attempt = 0; attempt < 1000; attempt++) {
          const candidate = rng.normal(mu, sigma);
          if (candidate >= low && candidate <= high) {
            x = candidate;
            break;
          }
        }
        if (step !== null) {
          const first = low + step / 2;
          x = first + Math.round((x - first) / step) * step;
          x = Math.min(high - step / 2, Math.max(first, x));
        }
        out.push(x);
      }
      return out;
    },
    logPdf(xs) {
      const m = mus.length;
      const terms = new Float64Array(m);
      if (step === null) {
        // Continuous: log wₖ − log Zₖ − log σₖ − log √(2π) − ½zₖ², the constant part precomputed.
        const offsets = mus.map(
          (_, k) =>
            (logWeights[k] as number) -
            (logMass[k] as number) -
            Math.log(sigmas[k] as number) +
            normalLogPdf(0),
        );
        const invSigmas = sigmas.map((sg) => 1 / sg);
        return xs.map((x) => {
          for (let k = 0; k < m; k++) {
            const z = (x - (mus[k] as number)) * (invSigmas[k] as number);
            terms[k] = (offsets[k] as number) - 0.5 * z * z;
          }
          return logSumExp(terms);
        });
      }
      return xs.map((x) => {
        for (let k = 0; k < m; k++) {
          const mu = mus[k] as number;
          const sigma = sigmas[k] as number;
          const cell = normalLogMassBetween((x - step / 2 - mu) / sigma, (x + step / 2 - mu) / sigma);
          terms[k] = (logWeights[k] as number) + cell - (logMass[k] as number);
        }
        return logSumExp(terms);
      });
    },
  };
}

function categoricalEstimator(
  observations: readonly number[],
  nChoices: number,
  params: EstimatorParameters,
): ParzenEstimator {
  const nKernels = observations.length + 1;
  // Row k: prior/nKernels on every choice, +1 on the observed choice; the prior row is uniform.
  const rows = observations.map((obs) => {
    const row = new Array<number>(nChoices).fill(params.priorWeight / nKernels);
    row[obs] = (row[obs] as number) + 1;
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((x) => x / total);
  });
  rows.push(new Array<number>(nChoices).fill(1 / nChoices));
  const weights = normalisedWeights(observations.length, params.priorWeight);
  // The mixture's probability of each choice, computed once.
  const mixture = new Array<number>(nChoices).fill(0);
  rows.forEach((row, k) =>
    row.forEach((p, c) => (mixture[c] = (mixture[c] as number) + (weights[k] as number) * p)),
  );
  return {
    sample(rng, n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = rng.weightedIndex(weights);
        out.push(rng.weightedIndex(rows[k] as number[]));
      }
      return out;
    },
    logPdf(xs) {
      return xs.map((c) => Math.log(mixture[c] as number));
    },
  };
}

/**
 * The univariate Parzen estimator of one parameter. Observations and the points passed to
 * `logPdf` / returned by `sample` are in the transformed space: log value for log distributions,
 * the value itself otherwise, the choice index for categoricals.
 */
export function createParzenEstimator(
  distribution: Distribution,
  observations: readonly number[],
  params: EstimatorParameters = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false },
): ParzenEstimator {
  if (distribution.type === 'categorical')
    return categoricalEstimator(observations, distribution.choices.length, params);
  const space = numericSpace(distribution);
  return numericEstimator(observations, space.low, space.high, space.step, params);
}

/** Ranking key of a PRUNED trial (Optuna's _get_pruned_trial_score): further steps first, then value. */
function prunedScore(t: FrozenTrial, direction: StudyDirection): [number, number] {
  if (t.lastStep === null) return [1, 0];
  const v = t.intermediateValues.get(t.lastStep) as number;
  if (Number.isNaN(v)) return [-t.lastStep, Infinity];
  return [-t.lastStep, direction === StudyDirection.MINIMIZE ? v : -v];
}

/** Splits finished trials into (below, above), each in trial-number order. */
export function splitTrials(
  trials: readonly FrozenTrial[],
  nBelow: number,
  direction: StudyDirection,
): { below: FrozenTrial[]; above: FrozenTrial[] } {
  const sign = direction === StudyDirection.MINIMIZE ? 1 : -1;
  // Array.prototype.sort is stable: ties keep trial-number order, as Python's sorted does.
  const complete = trials
    .filter((t) => t.state === TrialState.COMPLETE)
    .sort((a, b) => sign * ((a.value as number) - (b.value as number)) || 0);
  const pruned = trials
    .filter((t) => t.state === TrialState.PRUNED)
    .sort((a, b) => {
      const [sa, va] = prunedScore(a, direction);
      const [sb, vb] = prunedScore(b, direction);
      return sa - sb || (va === vb ? 0 : va < vb ? -1 : 1);
    });
  const ranked = [...complete, ...pruned];
  const byNumber = (a: FrozenTrial, b: FrozenTrial): number => a.number - b.number;
  return { below: ranked.slice(0, nBelow).sort(byNumber), above: ranked.slice(nBelow).sort(byNumber) };
}

export class TPESampler implements Sampler {
  readonly spec: {
    type: 'tpe';
    seed: number;
    nStartupTrials: number;
    nEiCandidates: number;
    priorWeight: number;
    considerMagicClip: boolean;
    considerEndpoints: boolean;
    gammaRatio: number;
    gammaMax: number;
  };

  constructor(options: TPESamplerOptions = {}) {
    const spec = {
      type: 'tpe' as const,
      seed: options.seed ?? 0,
      nStartupTrials: options.nStartupTrials ?? 10,
      nEiCandidates: options.nEiCandidates ?? 24,
      priorWeight: options.priorWeight ?? 1.0,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      gammaRatio: options.gammaRatio ?? 0.1,
      gammaMax: options.gammaMax ?? 25,
    };
    const problems: string[] = [];
    if (!Number.isSafeInteger(spec.seed)) problems.push('seed must be a safe integer');
    if (!Number.isSafeInteger(spec.nStartupTrials) || spec.nStartupTrials < 0)
      problems.push('nStartupTrials must be an integer ≥ 0');
    if (!Number.isSafeInteger(spec.nEiCandidates) || spec.nEiCandidates < 1)
      problems.push('nEiCandidates must be an integer ≥ 1');
    if (!(spec.priorWeight > 0) || !Number.isFinite(spec.priorWeight))
      problems.push('priorWeight must be a positive number');
    if (!(spec.gammaRatio > 0 && spec.gammaRatio <= 1)) problems.push('gammaRatio must be in (0, 1]');
    if (!Number.isSafeInteger(spec.gammaMax) || spec.gammaMax < 1)
      problems.push('gammaMax must be an integer ≥ 1');
    if (typeof spec.considerMagicClip !== 'boolean' || typeof spec.considerEndpoints !== 'boolean') {
      problems.push('considerMagicClip and considerEndpoints must be booleans');
    }
    if (problems.length > 0) {
      throw new KaleidoError('ERR_VALIDATION', `invalid TPESampler options: ${problems.join('; ')}`, {
        details: { problems },
      });
    }
    this.spec = spec;
  }

  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    paramName: string,
    distribution: Distribution,
  ): ParamValue {
    const rng = paramRng(this.spec.seed, trial.number, paramName);
    const finished = study.getTrials([TrialState.COMPLETE, TrialState.PRUNED]);
    if (finished.length < this.spec.nStartupTrials) return sampleUniform(rng, distribution);

    const nBelow = defaultGamma(finished.length, this.spec.gammaRatio, this.spec.gammaMax);
    const { below, above } = splitTrials(finished, nBelow, study.direction);
    const observe = (trials: readonly FrozenTrial[]): number[] => {
      const xs: number[] = [];
      for (const t of trials) {
        const v = t.params[paramName];
        if (v === undefined || !contains(distribution, v)) continue;
        xs.push(
          distribution.type === 'categorical'
            ? toInternal(distribution, v)
            : toNumericSpace(distribution, v as number),
        );
      }
      return xs;
    };
    const l = createParzenEstimator(distribution, observe(below), this.spec);
    const g = createParzenEstimator(distribution, observe(above), this.spec);

    const candidates = l.sample(rng, this.spec.nEiCandidates);
    // Score candidates where they will actually land (rounded to the grid for ints, etc.).
    const landed = candidates.map((x) =>
      distribution.type === 'categorical' ? x : this.snap(distribution, x),
    );
    const ll = l.logPdf(landed);
    const lg = g.logPdf(landed);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < landed.length; i++) {
      const score = (ll[i] as number) - (lg[i] as number);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    const chosen = landed[best] as number;
    return distribution.type === 'categorical'
      ? toExternal(distribution, chosen)
      : fromNumericSpace(distribution, chosen);
  }

  /** Rounds a transformed-space point to where its external value lies (only log ints move). */
  private snap(d: FloatDistribution | IntDistribution, x: number): number {
    return d.log && d.type === 'int' ? Math.log(fromNumericSpace(d, x)) : x;
  }
}
