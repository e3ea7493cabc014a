import { describe, expect, it } from 'vitest';
import type { TrialView } from '../api/lifecycle';
import { parallelCoordinates } from './parallel';
import { studyIsLive, studyStatusLine } from './studies';

const trial = (
  number: number,
  state: TrialView['state'],
  value: number | null,
  params: Record<string, unknown>,
) => ({ number, state, value, params, intermediateValues: [] }) as unknown as TrialView;

describe('parallel coordinates', () => {
  const trials = [
    trial(0, 'COMPLETE', 0.5, { lr: 0.001, optimizer: 'adam' }),
    trial(1, 'COMPLETE', 0.3, { lr: 0.1, optimizer: 'sgd' }),
    trial(2, 'PRUNED', 0.9, { lr: 0.01, optimizer: 'adam' }),
    trial(3, 'FAIL', null, { lr: 0.05, optimizer: 'sgd' }),
    trial(4, 'COMPLETE', 0.4, { optimizer: 'sgd' }),
  ];

  it('one axis per parameter plus the objective, one line per trial with a value, the best drawn last', () => {
    const pc = parallelCoordinates(trials, ['lr', 'optimizer'], 'minimize', 'validation loss');
    expect(pc.axes.map((a) => [a.name, a.objective])).toEqual([
      ['lr', false],
      ['optimizer', false],
      ['validation loss', true],
    ]);
    // The failed trial is left out; the best (lowest loss, complete) is last and marked.
    expect(pc.lines.map((l) => l.trial)).toEqual([0, 2, 4, 1]);
    expect(pc.lines.at(-1)).toMatchObject({ trial: 1, best: true });
    expect(pc.lines.filter((l) => l.best)).toHaveLength(1);
    // lr spans 2 decades (linear); categories sit in the middle of their bands.
    const best = pc.lines.at(-1)!;
    expect(best.at[1]).toBe(0.75); // "sgd" of ["adam", "sgd"]
    // A trial without a parameter has a gap on that axis.
    expect(pc.lines.find((l) => l.trial === 4)!.at[0]).toBeUndefined();
    for (const l of pc.lines) for (const a of l.at) if (a !== undefined) expect(a).toBeGreaterThanOrEqual(0);
    expect(pc.summary).toBe(
      '4 trials drawn across 2 parameters and validation loss. Best: trial 1 with validation loss 0.3 (lr = 0.1, optimizer = sgd).',
    );
  });

  it('maximizing picks the highest, and an empty study says so', () => {
    const pc = parallelCoordinates(trials, ['lr'], 'maximize', 'accuracy');
    // The pruned trial scored higher but is not complete: the best complete one wins.
    expect(pc.lines.at(-1)).toMatchObject({ trial: 0, best: true });
    expect(parallelCoordinates([], ['lr'], 'maximize', 'accuracy').summary).toBe(
      'No trial has reported a value yet.',
    );
  });
});

describe('study states', () => {
  const date = () => '2026-01-01';
  it('keeps polling and shows an unknown state as text, never as “failed”', () => {
    expect(studyIsLive('running')).toBe(true);
    expect(studyIsLive('featurizing')).toBe(true);
    expect(studyIsLive('resampling')).toBe(true);
    expect(studyIsLive('completed')).toBe(false);
    expect(studyIsLive('failed')).toBe(false);
    expect(studyStatusLine({ state: 'resampling', finishedAt: null }, true, date)).toBe(
      'State: resampling; updating every 1.5 seconds.',
    );
    expect(studyStatusLine({ state: 'featurizing', finishedAt: null }, true, date)).toMatch(
      /^Computing the features of the data set's files first; the trials start when they are ready/,
    );
    expect(studyStatusLine({ state: 'failed', finishedAt: null }, true, date)).toBe('The study failed.');
    expect(studyStatusLine({ state: 'completed', finishedAt: 5 }, true, date)).toBe('Completed 2026-01-01.');
  });
});
