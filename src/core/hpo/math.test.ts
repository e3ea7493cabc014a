import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { BENCHMARKS, branin, styblinskiTang } from './benchmarks.js';
import { paramImportances } from './importance.js';
import { decodeNumber, encodeNumber } from './json-number.js';
import { logSumExp, normalCdf, normalLogCdf, normalLogMassBetween } from './normal.js';
import { NopPruner } from './pruners.js';
import { RandomSampler } from './samplers.js';
import { Study } from './study.js';

describe('normal distribution helpers (values from scipy.special 1.10.1)', () => {
  it('Φ and log Φ are accurate in the body and the tails', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(0.5)).toBeCloseTo(0.6914624612740131, 14);
    expect(normalCdf(-3.5) / 0.00023262907903552502).toBeCloseTo(1, 12);
    expect(normalCdf(-5) / 2.866515718791933e-7).toBeCloseTo(1, 12);
    expect(normalCdf(-10) / 7.61985302416047e-24).toBeCloseTo(1, 12);
    expect(normalLogCdf(-40)).toBeCloseTo(-804.6084420137539, 9);
    expect(normalLogCdf(0.5)).toBeCloseTo(Math.log(0.6914624612740131), 14);
    // log Φ(6) = log1p(−Φ(−6)) = −p − p²/2 − … with p = Φ(−6) = 9.865876450376946e-10.
    expect(normalLogCdf(6) / -(9.865876450376946e-10 + 9.865876450376946e-10 ** 2 / 2)).toBeCloseTo(1, 12);
    expect([
      normalCdf(-Infinity),
      normalCdf(Infinity),
      normalLogCdf(-Infinity),
      normalLogCdf(Infinity),
    ]).toEqual([0, 1, -Infinity, 0]);
    expect(normalCdf(NaN)).toBeNaN();
    expect(normalLogCdf(NaN)).toBeNaN();
  });

  it('log mass between two points stays finite in either tail', () => {
    expect(normalLogMassBetween(-21, -20)).toBeCloseTo(-203.9171553722882, 8);
    expect(normalLogMassBetween(20, 21)).toBeCloseTo(-203.9171553722882, 8); // numpy gives −inf here
    expect(normalLogMassBetween(-1, 2)).toBeCloseTo(-0.20016629432446262, 13);
    expect(normalLogMassBetween(1, 1)).toBe(-Infinity);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 10);
    expect(logSumExp([Infinity, 0])).toBe(Infinity);
  });

  it('non-finite numbers survive JSON as strings', () => {
    for (const x of [NaN, Infinity, -Infinity, 1.5]) expect(decodeNumber(encodeNumber(x), 'v')).toEqual(x);
    expect(() => decodeNumber('1', 'v')).toThrow(KaleidoError);
  });
});

describe('benchmark functions (known-answers §2.1)', () => {
  it('attain the stated optimum at every stated minimiser (1e-5)', () => {
    // Styblinski–Tang's constant −39.16617 is rounded per dimension, so its tolerance is 1e-5·d.
    for (const fn of [...BENCHMARKS, styblinskiTang(1), styblinskiTang(3)]) {
      const tol = fn.name.startsWith('styblinski') ? 1e-5 * fn.bounds.length : 1e-5;
      for (const x of fn.minimisers) expect(Math.abs(fn.evaluate(x) - fn.optimum)).toBeLessThan(tol);
      // And nothing on a coarse grid of the domain goes below the optimum.
      const d = fn.bounds.length;
      for (let i = 0; i < 500; i++) {
        const x = fn.bounds.map(([lo, hi], j) => lo + ((hi - lo) * ((i * (j + 7) * 7919) % 997)) / 996);
        expect(fn.evaluate(x)).toBeGreaterThanOrEqual(fn.optimum - tol);
        expect(x).toHaveLength(d);
      }
    }
  });

  it('reject the wrong number of coordinates', () => {
    expect(() => branin.evaluate([1])).toThrow(KaleidoError);
    expect(() => styblinskiTang(0)).toThrow(KaleidoError);
  });
});

describe('paramImportances (first-order variance decomposition)', () => {
  it('ranks an influential parameter far above an irrelevant one', () => {
    const study = new Study({ sampler: new RandomSampler({ seed: 4 }), pruner: new NopPruner() });
    for (let i = 0; i < 200; i++) {
      const t = study.ask();
      const x = t.suggestFloat('x', 0, 1);
      const noise = t.suggestFloat('noise', 1e-3, 1, { log: true });
      const c = t.suggestCategorical('c', ['a', 'b']);
      study.tell(t.number, 10 * x + (c === 'a' ? 2 : 0) + 0 * noise);
    }
    const imp = paramImportances(study);
    expect(Object.keys(imp)[0]).toBe('x');
    expect(imp['x']).toBeGreaterThan(0.8);
    expect(imp['noise']).toBeLessThan(0.05);
    expect((imp['x'] as number) + (imp['noise'] as number) + (imp['c'] as number)).toBeCloseTo(1, 12);
    expect(Object.keys(paramImportances(study, { params: ['c'], nBins: 4 }))).toEqual(['c']);
    expect(() => paramImportances(study, { params: ['missing'] })).toThrow(KaleidoError);
    expect(() => paramImportances(study, { nBins: 1 })).toThrow(KaleidoError);
  });

  it('needs two completed trials and gives zeros for a constant objective', () => {
    const study = new Study({ sampler: new RandomSampler(), pruner: new NopPruner() });
    expect(() => paramImportances(study)).toThrow(KaleidoError);
    for (let i = 0; i < 5; i++) {
      const t = study.ask();
      t.suggestInt('k', 0, 3);
      study.tell(t.number, 1);
    }
    expect(paramImportances(study)).toEqual({ k: 0 });
  });
});
