import { describe, expect, it } from 'vitest';
import type { StudyView, TrialView } from '../api/lifecycle';
import { objectiveSeries, paramNames, plottedValue, progressOf, searchSummary } from './studies';

const trial = (
  number: number,
  state: TrialView['state'],
  value: number | null,
  iv: Array<[number, number]> = [],
): TrialView => ({
  number,
  state,
  value,
  params:
    number % 2 === 0 ? { model: 'mlp', lr: 0.01 * (number + 1), hidden: 16 } : { model: 'logistic', lr: 0.1 },
  intermediateValues: iv,
  jobId: null,
  runId: null,
  failReason: null,
});

const trials = [
  trial(0, 'COMPLETE', 0.7),
  trial(1, 'PRUNED', 0.5, [[0, 0.5]]),
  trial(2, 'COMPLETE', 0.8),
  trial(3, 'FAIL', null),
  trial(4, 'RUNNING', null, [
    [0, 0.6],
    [1, 0.65],
  ]),
  trial(5, 'COMPLETE', 0.75),
];

describe('study helpers', () => {
  it('plots told values, else the last reported one', () => {
    expect(plottedValue(trials[0]!)).toBe(0.7);
    expect(plottedValue(trials[4]!)).toBe(0.65);
    expect(plottedValue(trials[3]!)).toBeUndefined();
  });

  it('builds the objective series with a best-so-far over complete trials', () => {
    const { points, best } = objectiveSeries(trials, 'maximize');
    expect(points.map((p) => [p.trial, p.state])).toEqual([
      [0, 'COMPLETE'],
      [1, 'PRUNED'],
      [2, 'COMPLETE'],
      [4, 'RUNNING'],
      [5, 'COMPLETE'],
    ]);
    expect(best).toEqual([
      [0, 0.7],
      [1, 0.7],
      [2, 0.8],
      [3, 0.8],
      [4, 0.8],
      [5, 0.8],
    ]);
    expect(objectiveSeries(trials, 'minimize').best.at(-1)).toEqual([5, 0.7]);
  });

  it('counts progress and lists parameters', () => {
    const study = {
      spec: { nTrials: 8, metric: 'valAccuracy', direction: 'maximize' },
      counts: { running: 1, complete: 3, pruned: 1, fail: 1 },
      bestTrial: trials[2],
    } as unknown as StudyView;
    expect(progressOf(study)).toEqual({ done: 5, total: 8 });
    expect(paramNames(trials)).toEqual(['model', 'lr', 'hidden']);
    expect(searchSummary(study, trials)).toBe(
      '5 of 8 trials finished (3 complete, 1 pruned, 1 failed, 1 running); objective: maximize validation accuracy. Best so far: trial 2 with 0.8000.',
    );
  });
});
