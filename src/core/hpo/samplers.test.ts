import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { Rng } from '../random.js';
import { branin, hartmann6 } from './benchmarks.js';
import {
  categoricalDistribution,
  contains,
  floatDistribution,
  intDistribution,
  parseDistribution,
  toExternal,
  toInternal,
  type Distribution,
} from './distributions.js';
import { NopPruner } from './pruners.js';
import { regretTrace } from './runner.js';
import { GridSampler, RandomSampler, sampleUniform } from './samplers.js';
import { Study } from './study.js';
import { TPESampler } from './tpe.js';

/** Arbitrary valid distributions of every kind. */
const distributionArb: fc.Arbitrary<Distribution> = fc.oneof(
  fc
    .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }))
    .map(([low, width]) => floatDistribution(low, low + width)),
  fc
    .tuple(fc.double({ min: 1e-8, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 1e6, noNaN: true }))
    .map(([low, factor]) => floatDistribution(low, low * factor, { log: true })),
  fc
    .tuple(
      fc.integer({ min: -100, max: 100 }),
      fc.integer({ min: 0, max: 100 }),
      fc.constantFrom(0.1, 0.25, 0.5, 1, 3),
    )
    .map(([low, k, step]) => floatDistribution(low, low + k * step, { step })),
  fc
    .tuple(
      fc.integer({ min: -1000, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 1, max: 7 }),
    )
    .map(([low, width, step]) => intDistribution(low, low + width, { step })),
  fc
    .tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 10000 }))
    .map(([low, width]) => intDistribution(low, low + width, { log: true })),
  fc
    .uniqueArray(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), {
      minLength: 1,
      maxLength: 6,
    })
    .map((c) => categoricalDistribution(c)),
);

describe('distributions', () => {
  it('validate like Optuna', () => {
    expect(() => floatDistribution(1, 0)).toThrow(KaleidoError);
    expect(() => floatDistribution(0, 1, { log: true })).toThrow(KaleidoError);
    expect(() => floatDistribution(1, 2, { log: true, step: 0.1 })).toThrow(KaleidoError);
    expect(() => floatDistribution(0, 1, { step: 0 })).toThrow(KaleidoError);
    expect(() => floatDistribution(0, Infinity)).toThrow(KaleidoError);
    expect(() => intDistribution(0, 10, { log: true })).toThrow(KaleidoError);
    expect(() => intDistribution(1, 10, { log: true, step: 2 })).toThrow(KaleidoError);
    expect(() => intDistribution(0, 1.5)).toThrow(KaleidoError);
    expect(() => intDistribution(0, 10, { step: 0 })).toThrow(KaleidoError);
    expect(() => categoricalDistribution([])).toThrow(KaleidoError);
    expect(() => categoricalDistribution(['a', 'a'])).toThrow(KaleidoError);
    expect(() => categoricalDistribution([NaN])).toThrow(KaleidoError);
    expect(() => parseDistribution({ type: 'gaussian' })).toThrow(KaleidoError);
    expect(() => parseDistribution(null)).toThrow(KaleidoError);
  });

  it('shorten a stepped range to the grid (Optuna adjusts high)', () => {
    expect(intDistribution(0, 10, { step: 3 }).high).toBe(9);
    expect(floatDistribution(0, 1, { step: 0.3 }).high).toBeCloseTo(0.9, 12);
    expect(floatDistribution(0, 1, { step: 0.1 }).high).toBe(1);
    expect(contains(floatDistribution(0, 1, { step: 0.1 }), 0.30000000000000004)).toBe(true);
    expect(contains(floatDistribution(0, 1, { step: 0.1 }), 0.35)).toBe(false);
    expect(contains(intDistribution(0, 10, { step: 2 }), 3)).toBe(false);
    expect(contains(intDistribution(0, 10), 'a')).toBe(false);
  });

  it('round-trip through JSON and internal representation', () => {
    fc.assert(
      fc.property(distributionArb, (d) => {
        expect(parseDistribution(JSON.parse(JSON.stringify(d)))).toEqual(d);
        if (d.type === 'categorical')
          for (const c of d.choices) expect(toExternal(d, toInternal(d, c))).toBe(c);
      }),
    );
    expect(() => toInternal(categoricalDistribution(['a']), 'b')).toThrow(KaleidoError);
    expect(() => toExternal(categoricalDistribution(['a']), 3)).toThrow(KaleidoError);
  });
});

describe('samplers return values inside the distribution (property)', () => {
  it('uniform sampling respects bounds, log, int and step', () => {
    fc.assert(
      fc.property(distributionArb, fc.integer(), (d, seed) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 20; i++) expect(contains(d, sampleUniform(rng, d))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('RandomSampler and TPESampler, through a study, respect every distribution', () => {
    fc.assert(
      fc.property(
        fc.array(distributionArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        (dists, seed) => {
          for (const sampler of [new RandomSampler({ seed }), new TPESampler({ seed, nStartupTrials: 3 })]) {
            const study = new Study({ sampler, pruner: new NopPruner() });
            for (let i = 0; i < 8; i++) {
              const t = study.ask();
              const values = dists.map((d, j) => study.suggest(t.number, `p${j}`, d));
              values.forEach((v, j) => expect(contains(dists[j] as Distribution, v)).toBe(true));
              study.tell(t.number, i % 3);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('GridSampler', () => {
  it('covers every combination exactly once, then stops (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('a', 'b', 'c', 'd'),
          fc.uniqueArray(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 4 }),
          { minKeys: 1 },
        ),
        fc.integer(),
        (space, seed) => {
          const sampler = new GridSampler({ searchSpace: space, seed });
          const study = new Study({ sampler, pruner: new NopPruner() });
          const seen = new Set<string>();
          for (let i = 0; i < sampler.gridSize; i++) {
            const t = study.ask();
            const point = Object.keys(space)
              .sort()
              .map((name) => t.suggestCategorical(name, space[name] as number[]));
            seen.add(JSON.stringify(point));
            study.tell(t.number, 0);
          }
          expect(seen.size).toBe(sampler.gridSize);
          expect(sampler.isExhausted(study)).toBe(true);
          expect(() => study.ask()).toThrow(expect.objectContaining({ code: 'ERR_STUDY_STOPPED' }));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('retries failed points, cycles on request, and works with numeric suggests', () => {
    const sampler = new GridSampler({
      searchSpace: { x: [0.5, 1.5], n: [1, 2] },
      seed: 1,
      onExhausted: 'cycle',
    });
    const study = new Study({ sampler, pruner: new NopPruner() });
    const first = study.ask();
    const x = first.suggestFloat('x', 0, 2);
    const n = first.suggestInt('n', 1, 2);
    study.tell(first.number, { state: 'FAIL' });
    const retry = study.ask(); // the failed point is handed out first again
    expect([retry.suggestFloat('x', 0, 2), retry.suggestInt('n', 1, 2)]).toEqual([x, n]);
    study.tell(retry.number, 1);
    for (let i = 0; i < 3; i++) study.tell(study.ask().number, 1);
    expect(sampler.isExhausted(study)).toBe(true);
    const again = study.ask(); // 'cycle' hands points out again
    expect(typeof again.suggestFloat('x', 0, 2)).toBe('number');
    expect(() => again.suggestFloat('y', 0, 1)).toThrow(KaleidoError); // not in the grid
    expect(() => again.suggestInt('n', 5, 9)).toThrow(KaleidoError); // grid value outside
  });

  it('validates its search space', () => {
    expect(() => new GridSampler({ searchSpace: {} })).toThrow(KaleidoError);
    expect(() => new GridSampler({ searchSpace: { x: [] } })).toThrow(KaleidoError);
    const big = Object.fromEntries(
      Array.from({ length: 7 }, (_, i) => [`p${i}`, Array.from({ length: 10 }, (_, j) => j)]),
    );
    expect(() => new GridSampler({ searchSpace: big })).toThrow(KaleidoError);
    const rs = new RandomSampler({ seed: 0 });
    const study = new Study({ sampler: rs });
    const t = study.ask();
    expect(() =>
      new GridSampler({ searchSpace: { x: [1] } }).sampleIndependent(
        study,
        study.getTrial(t.number),
        'x',
        intDistribution(0, 2),
      ),
    ).toThrow(KaleidoError);
    expect(() => new RandomSampler({ seed: 0.5 })).toThrow(KaleidoError);
  });
});

/** The fraction of runs whose regret is ≤ q (a distribution-free check of a table quantile). */
function fractionAtMost(values: readonly number[], q: number): number {
  return values.filter((v) => v <= q).length / values.length;
}

describe('RandomSampler matches the random-search table (known-answers §2.1)', () => {
  // Each table quantile q_p is itself an estimate from 4000 runs. If our sampler is uniform, the
  // fraction of our R runs with regret ≤ q_p is ≈ p with sd √(p(1−p)/R + p(1−p)/4000); the bounds
  // below are 4 sd (R = 800: 0.0194 at p = ½, 0.0168 at p = ¼ or ¾ → ±0.078 / ±0.067).
  const R = 800;
  const sd = (p: number): number => Math.sqrt((p * (1 - p)) / R + (p * (1 - p)) / 4000);

  it('Branin, n = 100: median 0.356, IQR 0.148–0.722', () => {
    const regrets = Array.from(
      { length: R },
      (_, seed) => regretTrace(branin, new RandomSampler({ seed }), 100)[99] as number,
    );
    for (const [p, q] of [
      [0.25, 0.148],
      [0.5, 0.356],
      [0.75, 0.722],
    ] as const) {
      expect(Math.abs(fractionAtMost(regrets, q) - p)).toBeLessThan(4 * sd(p));
    }
  });

  it('Hartmann-6, n = 100: median 1.28, IQR 0.96–1.62', () => {
    const regrets = Array.from(
      { length: R },
      (_, seed) => regretTrace(hartmann6, new RandomSampler({ seed }), 100)[99] as number,
    );
    for (const [p, q] of [
      [0.25, 0.96],
      [0.5, 1.28],
      [0.75, 1.62],
    ] as const) {
      expect(Math.abs(fractionAtMost(regrets, q) - p)).toBeLessThan(4 * sd(p));
    }
  });
});
