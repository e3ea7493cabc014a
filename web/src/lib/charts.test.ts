import { describe, expect, it } from 'vitest';
import {
  bestSoFar,
  linearScale,
  logScale,
  niceStep,
  orderParams,
  paramAxis,
  paramPosition,
  tickLabel,
} from './charts';

describe('chart helpers', () => {
  it('picks 1-2-5 tick steps', () => {
    expect(niceStep(1, 5)).toBeCloseTo(0.2);
    expect(niceStep(0.37, 5)).toBeCloseTo(0.1);
    expect(niceStep(730, 5)).toBe(200);
  });

  it('pads a linear scale to nice ticks and maps into [0, 1]', () => {
    const s = linearScale([0.62, 0.81]);
    expect(s.domain).toEqual([0.6, 0.85]);
    expect(s.ticks).toEqual([0.6, 0.65, 0.7, 0.75, 0.8, 0.85]);
    expect(s.at(0.6)).toBe(0);
    expect(s.at(0.85)).toBeCloseTo(1);
  });

  it('gives a single value a span around it', () => {
    const s = linearScale([2]);
    expect(s.domain[0]).toBeLessThan(2);
    expect(s.domain[1]).toBeGreaterThan(2);
  });

  it('spans whole decades on a log scale', () => {
    const s = logScale([0.002, 0.3]);
    expect(s.domain[0]).toBeCloseTo(0.001);
    expect(s.domain[1]).toBeCloseTo(1);
    expect(s.at(0.01)).toBeCloseTo(1 / 3);
  });

  it('tracks the best value so far in the study direction', () => {
    expect(bestSoFar([0.5, null, 0.4, 0.6], 'minimize')).toEqual([0.5, 0.5, 0.4, 0.4]);
    expect(bestSoFar([null, 0.5, 0.4, 0.6], 'maximize')).toEqual([undefined, 0.5, 0.5, 0.6]);
  });

  it('lays parameters out as numbers (log when wide) or categories', () => {
    const lr = paramAxis([0.001, 0.3, 0.02]);
    expect(lr.kind === 'numeric' && lr.scale.log).toBe(true);
    const model = paramAxis(['mlp', 'logistic', 'mlp', undefined]);
    expect(model).toEqual({ kind: 'categorical', categories: ['logistic', 'mlp'] });
    expect(paramPosition(model, 'mlp')).toBe(0.75);
    expect(paramPosition(model, undefined)).toBeUndefined();
  });

  it('labels ticks briefly', () => {
    expect(tickLabel(0.123456)).toBe('0.123');
    expect(tickLabel(0.0001)).toBe('1e-4');
    expect(tickLabel(20000)).toBe('2e4');
  });

  it('orders parameters by importance', () => {
    expect(orderParams(['a', 'b', 'c'], { b: 0.7, a: 0.2 })).toEqual(['b', 'a', 'c']);
    expect(orderParams(['b', 'a'], null)).toEqual(['a', 'b']);
  });
});
