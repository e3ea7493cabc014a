import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { hartmann3 } from './benchmarks.js';
import { MedianPruner, NopPruner, SuccessiveHalvingPruner } from './pruners.js';
import { GridSampler, RandomSampler } from './samplers.js';
import { Study, STUDY_FORMAT } from './study.js';
import { TPESampler } from './tpe.js';
import type { Sampler } from './types.js';

/** One optimisation step on Hartmann-3 with a mixed search space and intermediate reports. */
function step(study: Study): number {
  const t = study.ask();
  const x = [0, 1, 2].map((d) => t.suggestFloat(`x${d}`, 0, 1));
  const scale = t.suggestCategorical('scale', [1, 2]);
  const epochs = t.suggestInt('epochs', 1, 4);
  for (let e = 1; e <= epochs; e++) {
    t.report(e, hartmann3.evaluate(x) * scale + 1 / e);
    if (t.shouldPrune()) {
      study.tell(t.number, { state: 'PRUNED' });
      return NaN;
    }
  }
  const y = hartmann3.evaluate(x) * scale;
  study.tell(t.number, y);
  return y;
}

describe('Study ask/tell', () => {
  it('runs the trial life cycle and tracks the best trial', () => {
    const study = new Study({ sampler: new RandomSampler({ seed: 1 }), pruner: new NopPruner() });
    expect(study.bestTrial).toBeUndefined();
    const a = study.ask();
    expect(a.state).toBe('RUNNING');
    const x = a.suggestFloat('x', -1, 1);
    expect(a.suggestFloat('x', -1, 1)).toBe(x); // same parameter → same value
    a.setUserAttr('note', 'first');
    study.tell(a.number, 5);
    const b = study.ask();
    b.suggestFloat('x', -1, 1);
    study.tell(b.number, { state: 'COMPLETE', value: 2 });
    const c = study.ask();
    c.report(0, 9);
    c.report(0, 1); // the first report of a step wins
    study.tell(c.number, { state: 'PRUNED' });
    const d = study.ask();
    study.tell(d.number, NaN); // NaN fails the trial
    const e = study.ask();
    study.tell(e.number, { state: 'FAIL', reason: 'out of memory' });
    expect(study.getTrials().map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED', 'FAIL', 'FAIL']);
    expect(study.getTrial(2).value).toBe(9);
    expect(study.getTrial(3).systemAttrs['fail_reason']).toMatch(/NaN/);
    expect(study.getTrial(4).systemAttrs['fail_reason']).toBe('out of memory');
    expect(study.getTrial(0).userAttrs).toEqual({ note: 'first' });
    expect(study.bestValue).toBe(2);
    expect(study.bestParams).toEqual(b.params);
    expect(study.getTrials(['FAIL'])).toHaveLength(2);
  });

  it('refuses illegal transitions and bad input with KaleidoError', () => {
    const study = new Study({ sampler: new RandomSampler(), pruner: new NopPruner() });
    const t = study.ask();
    t.suggestFloat('x', 0, 1);
    expect(() => t.suggestInt('x', 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(() => t.suggestFloat('', 0, 1)).toThrow(KaleidoError);
    expect(() => t.report(-1, 0)).toThrow(KaleidoError);
    expect(() => t.report(1.5, 0)).toThrow(KaleidoError);
    expect(() => t.report(1, '1' as unknown as number)).toThrow(KaleidoError);
    expect(() => study.tell(t.number, { state: 'COMPLETE', value: 'x' as unknown as number })).toThrow(
      KaleidoError,
    );
    expect(() => study.tell(t.number, { state: 'RUNNING' } as never)).toThrow(KaleidoError);
    study.tell(t.number, 1);
    expect(() => study.tell(t.number, 1)).toThrow(expect.objectContaining({ code: 'ERR_TRIAL_NOT_RUNNING' }));
    expect(() => t.suggestFloat('y', 0, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_TRIAL_NOT_RUNNING' }),
    );
    expect(() => study.tell(99, 1)).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }));
    // A parameter keeps its kind across the study (Optuna's compatibility check).
    const u = study.ask();
    expect(() => u.suggestCategorical('x', ['a'])).toThrow(KaleidoError);
    expect(() => u.suggestFloat('x', 0, 10, { log: true })).toThrow(KaleidoError);
    expect(u.suggestFloat('x', 0, 10)).toBeLessThanOrEqual(10); // a new range is fine
    expect(() => new Study({ direction: 'up' as never })).toThrow(KaleidoError);
    study.stop();
    expect(study.isStopped).toBe(true);
    expect(() => study.ask()).toThrow(expect.objectContaining({ code: 'ERR_STUDY_STOPPED' }));
  });

  it('hands out enqueued trials first with their fixed parameters', () => {
    const study = new Study({ sampler: new RandomSampler({ seed: 2 }) });
    study.enqueueTrial({ lr: 0.01, layers: 3, act: 'relu', outside: 99 }, { source: 'baseline' });
    expect(study.getTrial(0).state).toBe('WAITING');
    const t = study.ask();
    expect(t.number).toBe(0);
    expect(t.suggestFloat('lr', 1e-4, 1, { log: true })).toBe(0.01);
    expect(t.suggestInt('layers', 1, 5)).toBe(3);
    expect(t.suggestCategorical('act', ['relu', 'gelu'])).toBe('relu');
    const outside = t.suggestInt('outside', 0, 10); // a fixed value outside the range is sampled instead
    expect(outside).toBeLessThanOrEqual(10);
    expect(t.suggestCategorical('single', ['only'])).toBe('only');
    expect(study.getTrial(0).userAttrs).toEqual({ source: 'baseline' });
    expect(study.ask().number).toBe(1);
  });

  it('serialises to JSON mid-way and resumes identically (TPE, SHA pruner)', () => {
    const make = (): Study =>
      new Study({
        name: 'h3',
        sampler: new TPESampler({ seed: 11, nStartupTrials: 5 }),
        pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }),
      });
    const original = make();
    for (let i = 0; i < 15; i++) step(original);
    const running = original.ask();
    running.suggestFloat('x0', 0, 1);
    running.report(1, Infinity);
    expect(running.shouldPrune()).toBe(true); // exercises pruner state + non-finite JSON values
    original.setUserAttr('owner', 'tests');
    const json = JSON.parse(JSON.stringify(original.toJSON())) as unknown;
    const restored = Study.fromJSON(json);
    expect(restored.toJSON()).toEqual(original.toJSON());
    expect(restored.getTrial(15).intermediateValues.get(1)).toBe(Infinity);
    expect(restored.getTrials(['PRUNED']).length).toBeGreaterThan(0);
    for (const s of [original, restored]) s.tell(15, { state: 'FAIL' });
    const a = Array.from({ length: 10 }, () => step(original));
    const b = Array.from({ length: 10 }, () => step(restored));
    expect(b).toEqual(a);
    expect(restored.toJSON()).toEqual(original.toJSON());
  });

  it('round-trips every built-in sampler and pruner, and accepts overrides', () => {
    const samplers: Sampler[] = [
      new RandomSampler({ seed: 3 }),
      new GridSampler({ searchSpace: { x: [0, 1] } }),
      new TPESampler(),
    ];
    for (const sampler of samplers) {
      for (const pruner of [
        new NopPruner(),
        new MedianPruner({ nWarmupSteps: 2 }),
        new SuccessiveHalvingPruner(),
      ]) {
        const s = new Study({ sampler, pruner, direction: 'maximize' });
        const back = Study.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
        expect(back.sampler.spec).toEqual(sampler.spec);
        expect(back.pruner.spec).toEqual(pruner.spec);
        expect(back.direction).toBe('maximize');
      }
    }
    const custom = new RandomSampler({ seed: 9 });
    expect(Study.fromJSON(new Study().toJSON(), { sampler: custom }).sampler).toBe(custom);
  });

  it('rejects malformed study JSON', () => {
    const good = (): Record<string, unknown> => {
      const s = new Study({ sampler: new RandomSampler() });
      const t = s.ask();
      t.suggestFloat('x', 0, 1);
      s.tell(t.number, 1);
      return JSON.parse(JSON.stringify(s.toJSON())) as Record<string, unknown>;
    };
    expect(() => Study.fromJSON(null)).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...good(), format: 'other' })).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...good(), trials: 'x' })).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...good(), sampler: { type: 'cma-es' } })).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...good(), pruner: {} })).toThrow(KaleidoError);
    const j = good();
    const trials = j['trials'] as Array<Record<string, unknown>>;
    expect(() => Study.fromJSON({ ...j, trials: [{ ...trials[0], number: 5 }] })).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...j, trials: [{ ...trials[0], state: 'DONE' }] })).toThrow(KaleidoError);
    expect(() => Study.fromJSON({ ...j, trials: [{ ...trials[0], params: { x: 7 } }] })).toThrow(
      KaleidoError,
    );
    expect(() => Study.fromJSON({ ...j, trials: [{ ...trials[0], intermediateValues: [[-1, 0]] }] })).toThrow(
      KaleidoError,
    );
    expect(() => Study.fromJSON({ ...j, trials: [{ ...trials[0], value: 'big' }] })).toThrow(KaleidoError);
    expect(STUDY_FORMAT).toBe('kaleido.study/v1');
  });
});
