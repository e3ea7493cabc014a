/**
 * Pruners (early stopping of unpromising trials) with Optuna's semantics:
 *
 * - NopPruner: never prunes.
 * - PercentilePruner / MedianPruner: prune when the trial's best intermediate value so far is
 *   worse than the given percentile of the COMPLETE trials' values at the same step.
 * - SuccessiveHalvingPruner (asynchronous successive halving, ASHA; Li et al., MLSys 2020):
 *   rung r is reached at step ≥ minResource·η^(s + r) (s = minEarlyStoppingRate); a trial that
 *   reaches a rung records its value there and is promoted only if that value is within the best
 *   1/η of all values recorded at that rung (the first η − 1 arrivals: only if best so far).
 *
 * Pruner bookkeeping lives in trial/study system attributes, so it serialises with the study.
 */
import { KaleidoError } from '../errors.js';
import { decodeNumber, encodeNumber, isJsonNumber } from './json-number.js';
import { StudyDirection, TrialState, type FrozenTrial, type Pruner, type PrunerContext } from './types.js';

function invalid(message: string, details: Record<string, unknown>): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', message, { details });
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(`${name} must be an integer ≥ 0`, { field: name, value });
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid(`${name} must be an integer ≥ 1`, { field: name, value });
  return value;
}

export class NopPruner implements Pruner {
  readonly spec = { type: 'nop' as const };
  prune(): boolean {
    return false;
  }
}

/** numpy.nanpercentile with linear interpolation; NaN when no finite-or-infinite value is left. */
export function nanPercentile(values: readonly number[], q: number): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = (q / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = xs[lo] as number;
  const b = xs[hi] as number;
  if (lo === hi || a === b) return a;
  return a + (b - a) * (pos - lo);
}

/**
 * Optuna's _is_first_in_interval_step: prune checks happen only at the first report in each
 * window of `intervalSteps` steps after the warm-up.
 */
export function isFirstInIntervalStep(
  step: number,
  reportedSteps: Iterable<number>,
  nWarmupSteps: number,
  intervalSteps: number,
): boolean {
  const nearestLowerPruningStep =
    Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let secondLastStep = -1;
  for (const s of reportedSteps) if (s > secondLastStep && s !== step) secondLastStep = s;
  return secondLastStep < nearestLowerPruningStep;
}

export interface PercentilePrunerOptions {
  nStartupTrials?: number;
  nWarmupSteps?: number;
  intervalSteps?: number;
  nMinTrials?: number;
}

export class PercentilePruner implements Pruner {
  readonly spec: {
    type: 'percentile' | 'median';
    percentile: number;
    nStartupTrials: number;
    nWarmupSteps: number;
    intervalSteps: number;
    nMinTrials: number;
  };

  constructor(
    percentile: number,
    options: PercentilePrunerOptions = {},
    type: 'percentile' | 'median' = 'percentile',
  ) {
    if (!(percentile >= 0 && percentile <= 100))
      throw invalid('percentile must be in [0, 100]', { field: 'percentile', value: percentile });
    this.spec = {
      type,
      percentile,
      nStartupTrials: nonNegativeInt('nStartupTrials', options.nStartupTrials ?? 5),
      nWarmupSteps: nonNegativeInt('nWarmupSteps', options.nWarmupSteps ?? 0),
      intervalSteps: positiveInt('intervalSteps', options.intervalSteps ?? 1),
      nMinTrials: positiveInt('nMinTrials', options.nMinTrials ?? 1),
    };
  }

  prune({ study, trial }: PrunerContext): boolean {
    const completed = study.getTrials([TrialState.COMPLETE]);
    if (completed.length === 0 || completed.length < this.spec.nStartupTrials) return false;
    const step = trial.lastStep;
    if (step === null || step < this.spec.nWarmupSteps) return false;
    if (
      !isFirstInIntervalStep(
        step,
        trial.intermediateValues.keys(),
        this.spec.nWarmupSteps,
        this.spec.intervalSteps,
      )
    ) {
      return false;
    }
    const maximize = study.direction === StudyDirection.MAXIMIZE;
    const best = bestIntermediate(trial, maximize);
    if (Number.isNaN(best)) return true;
    const atStep: number[] = [];
    for (const t of completed) {
      const v = t.intermediateValues.get(step);
      if (v !== undefined) atStep.push(v);
    }
    if (atStep.length < this.spec.nMinTrials) return false;
    const p = nanPercentile(atStep, maximize ? 100 - this.spec.percentile : this.spec.percentile);
    if (Number.isNaN(p)) return false;
    return maximize ? best < p : best > p;
  }
}

/** Best intermediate value over the trial's steps, NaN-ignoring (NaN when all are NaN). */
function bestIntermediate(trial: FrozenTrial, maximize: boolean): number {
  let best = NaN;
  for (const v of trial.intermediateValues.values()) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (maximize ? v > best : v < best)) best = v;
  }
  return best;
}

export class MedianPruner extends PercentilePruner {
  constructor(options: PercentilePrunerOptions = {}) {
    super(50, options, 'median');
  }
}

/** The step at which a trial leaves rung `rung` (exact integer maths; no floating-point logs). */
export function rungPromotionStep(
  minResource: number,
  reductionFactor: number,
  minEarlyStoppingRate: number,
  rung: number,
): number {
  let step = minResource;
  for (let i = 0; i < minEarlyStoppingRate + rung; i++) {
    step *= reductionFactor;
    if (!Number.isSafeInteger(step)) return Infinity;
  }
  return step;
}

/**
 * floor(log_η(step / minResource)) − s, computed by repeated integer multiplication: the highest
 * rung whose promotion step the given step has reached, or −1 when it has reached none.
 */
export function rungForStep(
  step: number,
  minResource: number,
  reductionFactor: number,
  minEarlyStoppingRate: number,
): number {
  let rung = -1;
  while (rungPromotionStep(minResource, reductionFactor, minEarlyStoppingRate, rung + 1) <= step) rung++;
  return rung;
}

export const completedRungKey = (rung: number): string => `completed_rung_${rung}`;
const MIN_RESOURCE_ATTR = 'sha:min_resource';

export interface SuccessiveHalvingPrunerOptions {
  /** Steps a trial gets before its first rung; 'auto' = max(last step of the first completed trials / 100, 1), as Optuna. */
  minResource?: number | 'auto';
  reductionFactor?: number;
  minEarlyStoppingRate?: number;
  /** Values needed at a rung before anything there can be promoted (Optuna's bootstrap_count). */
  bootstrapCount?: number;
}

export class SuccessiveHalvingPruner implements Pruner {
  readonly spec: {
    type: 'successive-halving';
    minResource: number | 'auto';
    reductionFactor: number;
    minEarlyStoppingRate: number;
    bootstrapCount: number;
  };

  constructor(options: SuccessiveHalvingPrunerOptions = {}) {
    const minResource = options.minResource ?? 'auto';
    if (minResource !== 'auto') positiveInt('minResource', minResource);
    const reductionFactor = options.reductionFactor ?? 4;
    if (!Number.isSafeInteger(reductionFactor) || reductionFactor < 2) {
      throw invalid('reductionFactor must be an integer ≥ 2', {
        field: 'reductionFactor',
        value: reductionFactor,
      });
    }
    this.spec = {
      type: 'successive-halving',
      minResource,
      reductionFactor,
      minEarlyStoppingRate: nonNegativeInt('minEarlyStoppingRate', options.minEarlyStoppingRate ?? 0),
      bootstrapCount: nonNegativeInt('bootstrapCount', options.bootstrapCount ?? 0),
    };
  }

  private minResource(ctx: PrunerContext): number | undefined {
    if (this.spec.minResource !== 'auto') return this.spec.minResource;
    // Optuna estimates once, from the first time a trial has completed, and keeps the estimate.
    const cached = ctx.study.systemAttrs[MIN_RESOURCE_ATTR];
    if (typeof cached === 'number') return cached;
    let lastStep = -1;
    for (const t of ctx.study.getTrials([TrialState.COMPLETE]))
      if (t.lastStep !== null) lastStep = Math.max(lastStep, t.lastStep);
    if (lastStep < 0) return undefined;
    const estimate = Math.max(Math.floor(lastStep / 100), 1);
    ctx.setStudySystemAttr(MIN_RESOURCE_ATTR, estimate);
    return estimate;
  }

  prune(ctx: PrunerContext): boolean {
    const { study, trial } = ctx;
    const step = trial.lastStep;
    if (step === null) return false;
    const value = trial.intermediateValues.get(step) as number;
    // The first rung this trial has not completed yet.
    let rung = 0;
    while (completedRungKey(rung) in trial.systemAttrs) rung++;
    const minResource = this.minResource(ctx);
    if (minResource === undefined) return false;
    const maximize = study.direction === StudyDirection.MAXIMIZE;
    for (;;) {
      const promotionStep = rungPromotionStep(
        minResource,
        this.spec.reductionFactor,
        this.spec.minEarlyStoppingRate,
        rung,
      );
      if (step < promotionStep) return false;
      if (Number.isNaN(value)) return true;
      const key = completedRungKey(rung);
      const competing: number[] = [];
      for (const t of study.getTrials()) {
        if (t.number === trial.number) continue;
        const v = t.systemAttrs[key];
        if (isJsonNumber(v)) competing.push(decodeNumber(v, key));
      }
      ctx.setTrialSystemAttr(key, encodeNumber(value));
      competing.push(value);
      // `competing` includes this trial, hence ≤.
      if (competing.length <= this.spec.bootstrapCount) return true;
      if (!isPromotable(value, competing, this.spec.reductionFactor, maximize)) return true;
      rung++;
    }
  }
}

/**
 * Promotable when within the top ⌊n/η⌋ of the n values at the rung; with fewer than η values
 * (Optuna cannot pause a trial to wait for more) only when it is the best so far.
 */
export function isPromotable(
  value: number,
  competing: readonly number[],
  reductionFactor: number,
  maximize: boolean,
): boolean {
  let promotableIndex = Math.floor(competing.length / reductionFactor) - 1;
  if (promotableIndex === -1) promotableIndex = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  return maximize
    ? value >= (sorted[sorted.length - 1 - promotableIndex] as number)
    : value <= (sorted[promotableIndex] as number);
}
