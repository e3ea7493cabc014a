import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../errors.js';
import { binaryMetrics, evaluateInjection } from './index.js';
import type { LabelledPrompt } from './index.js';

describe('binaryMetrics', () => {
  it('computes precision, recall and F1 from counts', () => {
    const m = binaryMetrics(8, 2, 85, 5);
    expect(m).toMatchObject({ n: 100, precision: 0.8, recall: 8 / 13 });
    expect(m.f1).toBeCloseTo((2 * 0.8 * (8 / 13)) / (0.8 + 8 / 13), 12);
  });

  it('handles empty denominators', () => {
    expect(binaryMetrics(0, 0, 5, 0)).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(binaryMetrics(0, 3, 0, 2)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('evaluateInjection', () => {
  const items: LabelledPrompt[] = [
    { id: 'a', text: 'bad one', injection: true, family: 'x' },
    { id: 'b', text: 'bad two', injection: true, family: 'y' },
    { id: 'c', text: 'good bad', injection: false, family: 'z' },
    { id: 'd', text: 'good', injection: false, family: 'z' },
  ];
  const score = (t: string): number => (t.includes('bad') ? (t.includes('two') ? 0.4 : 0.9) : 0);

  it('counts the confusion matrix at the threshold and lists the errors', () => {
    const ev = evaluateInjection(items, score, 0.5);
    expect(ev.overall).toMatchObject({ tp: 1, fn: 1, fp: 1, tn: 1, precision: 0.5, recall: 0.5 });
    expect(ev.falsePositives).toEqual(['c']);
    expect(ev.falseNegatives).toEqual(['b']);
    expect(ev.families).toEqual([
      { family: 'x', injection: true, n: 1, flagged: 1 },
      { family: 'y', injection: true, n: 1, flagged: 0 },
      { family: 'z', injection: false, n: 2, flagged: 1 },
    ]);
    expect(evaluateInjection(items, score, 0.3).overall.recall).toBe(1);
  });

  it('refuses an empty set', () => {
    expect(() => evaluateInjection([], score, 0.5)).toThrow(KaleidoError);
  });
});
