import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import {
  completedRungKey,
  isFirstInIntervalStep,
  isPromotable,
  MedianPruner,
  nanPercentile,
  NopPruner,
  PercentilePruner,
  rungForStep,
  rungPromotionStep,
  SuccessiveHalvingPruner,
} from './pruners.js';
import { RandomSampler } from './samplers.js';
import { Study } from './study.js';
import type { Pruner } from './types.js';

function studyWith(pruner: Pruner, direction: 'minimize' | 'maximize' = 'minimize'): Study {
  return new Study({ direction, sampler: new RandomSampler({ seed: 0 }), pruner });
}

/** Completes a trial that reported `curve[step]` at steps 0, 1, 2 … */
function complete(study: Study, curve: number[]): void {
  const t = study.ask();
  curve.forEach((v, step) => t.report(step, v));
  study.tell(t.number, curve[curve.length - 1] as number);
}

describe('percentile helpers', () => {
  it('nanPercentile interpolates linearly like numpy and ignores NaN', () => {
    expect(nanPercentile([1, 3, 5], 50)).toBe(3);
    expect(nanPercentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(nanPercentile([1, 2, 3, 4], 25)).toBe(1.75);
    expect(nanPercentile([NaN, 4, 2], 50)).toBe(3);
    expect(nanPercentile([NaN], 50)).toBeNaN();
  });

  it('checks only at the first report of each interval after warm-up', () => {
    expect(isFirstInIntervalStep(3, [0, 1, 2, 3], 0, 2)).toBe(false); // window [2, 4) already checked at 2
    expect(isFirstInIntervalStep(4, [0, 1, 2, 3, 4], 0, 2)).toBe(true);
    expect(isFirstInIntervalStep(5, [5], 3, 5)).toBe(true);
  });
});

describe('MedianPruner', () => {
  it('prunes a trial whose best value is worse than the median at the same step', () => {
    const study = studyWith(new MedianPruner({ nStartupTrials: 3 }));
    complete(study, [1, 2, 3]);
    complete(study, [3, 4, 5]);
    complete(study, [5, 6, 7]);
    // Median at step 0 of the completed trials is 3.
    const bad = study.ask();
    bad.report(0, 10);
    expect(bad.shouldPrune()).toBe(true);
    const good = study.ask();
    good.report(0, 2);
    expect(good.shouldPrune()).toBe(false);
    // Best-so-far is used: a later bad value does not prune a trial that was once good enough.
    good.report(1, 100);
    expect(good.shouldPrune()).toBe(false);
  });

  it('respects startup trials, warm-up steps, direction and NaN', () => {
    const study = studyWith(new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 1 }));
    complete(study, [1, 1]);
    const t = study.ask();
    t.report(0, 100);
    expect(t.shouldPrune()).toBe(false); // only 1 completed < 5 startup trials
    const max = studyWith(new PercentilePruner(25, { nStartupTrials: 1 }), 'maximize');
    complete(max, [1, 2]);
    complete(max, [3, 4]);
    const low = max.ask();
    low.report(1, 3); // 75th percentile of {2, 4} (maximize) = 3.5
    expect(low.shouldPrune()).toBe(true);
    const nan = max.ask();
    nan.report(1, NaN);
    expect(nan.shouldPrune()).toBe(true);
    const early = max.ask();
    expect(early.shouldPrune()).toBe(false); // nothing reported
    const unknownStep = max.ask();
    unknownStep.report(7, 0);
    expect(unknownStep.shouldPrune()).toBe(false); // no completed trial has step 7
  });

  it('validates options', () => {
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow(KaleidoError);
    expect(() => new PercentilePruner(101)).toThrow(KaleidoError);
    expect(() => new MedianPruner({ nWarmupSteps: -1 })).toThrow(KaleidoError);
  });
});

describe('SuccessiveHalvingPruner', () => {
  it('computes rungs with integer maths', () => {
    // minResource 1, η 2: rungs end at steps 1, 2, 4, 8 …
    expect([0, 1, 2, 3].map((r) => rungPromotionStep(1, 2, 0, r))).toEqual([1, 2, 4, 8]);
    // minResource 2, η 3, s 1: 2·3 = 6, 18, 54 — no floating-point log_3 involved.
    expect([0, 1, 2].map((r) => rungPromotionStep(2, 3, 1, r))).toEqual([6, 18, 54]);
    expect([5, 6, 17, 18, 53, 54].map((s) => rungForStep(s, 2, 3, 1))).toEqual([-1, 0, 0, 1, 1, 2]);
    // 3^k exactly: floor(log_3(243)) = 5 although Math.log(243) / Math.log(3) = 4.999999999999999.
    expect(rungForStep(243, 1, 3, 0)).toBe(5);
    expect(rungPromotionStep(1, 10, 0, 400)).toBe(Infinity);
  });

  it('promotes within the top 1/η at each rung (hand-computed sequence, η = 2)', () => {
    const study = studyWith(new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }));
    const run = (value: number): boolean => {
      const t = study.ask();
      t.report(1, value);
      const pruned = t.shouldPrune();
      study.tell(t.number, pruned ? { state: 'PRUNED' } : value);
      return pruned;
    };
    expect(run(1.0)).toBe(false); // alone at rung 0: best so far
    expect(run(2.0)).toBe(true); //  {1, 2}: top ⌊2/2⌋ = 1 → only 1.0
    expect(run(0.5)).toBe(false); // {1, 2, .5}: top 1 → 0.5
    expect(run(0.8)).toBe(false); // {1, 2, .5, .8}: top 2 → .5, .8
    expect(run(1.5)).toBe(true); //  top ⌊5/2⌋ = 2 → .5, .8
    expect(study.getTrial(0).systemAttrs[completedRungKey(0)]).toBe(1.0);
    // A trial continuing to step 2 competes at rung 1 too.
    const t = study.ask();
    t.report(1, 0.1);
    t.report(2, 0.1);
    expect(t.shouldPrune()).toBe(false);
    expect(Object.keys(study.getTrial(t.number).systemAttrs).sort()).toEqual([
      'completed_rung_0',
      'completed_rung_1',
    ]);
  });

  it('isPromotable handles both directions', () => {
    expect(isPromotable(3, [1, 2, 3, 4], 2, false)).toBe(false);
    expect(isPromotable(2, [1, 2, 3, 4], 2, false)).toBe(true);
    expect(isPromotable(3, [1, 2, 3, 4], 2, true)).toBe(true);
    expect(isPromotable(2, [1, 2, 3, 4], 2, true)).toBe(false);
  });

  it("estimates min_resource 'auto' from the first completed trial and caches it", () => {
    const study = studyWith(new SuccessiveHalvingPruner({ reductionFactor: 3 }));
    const early = study.ask();
    early.report(10, 1);
    expect(early.shouldPrune()).toBe(false); // nothing completed: no estimate yet
    study.tell(early.number, 1);
    complete(
      study,
      Array.from({ length: 500 }, () => 1),
    ); // last step 499 → min resource 4
    const t = study.ask();
    t.report(3, 5);
    expect(t.shouldPrune()).toBe(false);
    expect(study.systemAttrs['sha:min_resource']).toBe(4);
    t.report(4, NaN);
    expect(t.shouldPrune()).toBe(true); // NaN at a rung is pruned
  });

  it('bootstrapCount holds trials back until enough values exist', () => {
    const study = studyWith(
      new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, bootstrapCount: 2 }),
    );
    const t = study.ask();
    t.report(1, 0);
    expect(t.shouldPrune()).toBe(true);
  });

  it('validates options, and NopPruner never prunes', () => {
    expect(() => new SuccessiveHalvingPruner({ reductionFactor: 1 })).toThrow(KaleidoError);
    expect(() => new SuccessiveHalvingPruner({ minResource: 0 })).toThrow(KaleidoError);
    const study = studyWith(new NopPruner());
    const t = study.ask();
    t.report(0, NaN);
    expect(t.shouldPrune()).toBe(false);
  });
});
