import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from './errors.js';
import { deriveSeed, Rng } from './random.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference xoshiro128** outputs for state [1, 2, 3, 4]', () => {
    // Hand-computed from the reference C code (Blackman & Vigna): result = rotl(s1·5, 7)·9.
    // Step 1: rotl(10, 7)·9 = 1280·9 = 11520; step 2: s1 = 0 → 0; step 3: s1 = 1029 → rotl(5145, 7)·9 = 5927040.
    const rng = Rng.fromState([1, 2, 3, 4]);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('is a stable function of its seed (snapshot of the first outputs)', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    // Pinned so that a change of seeding or generator is a visible, deliberate break.
    expect(first).toMatchInlineSnapshot(`
      [
        2492287217,
        4264710108,
        629846462,
        3937985732,
        3456826109,
      ]
    `);
    expect(new Rng(43).nextUint32()).not.toBe(first[0]);
  });

  it('resumes exactly from a saved state', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 10; i++) rng.nextUint32();
    const copy = Rng.fromState(rng.state());
    expect(Array.from({ length: 20 }, () => copy.random())).toEqual(
      Array.from({ length: 20 }, () => rng.random()),
    );
  });

  it('has uniform moments: mean ½, variance 1/12', () => {
    const rng = new Rng(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let inRange = true;
    for (let i = 0; i < n; i++) {
      const u = rng.random();
      inRange &&= u >= 0 && u < 1;
      s += u;
      s2 += u * u;
    }
    expect(inRange).toBe(true);
    const mean = s / n;
    // sd of the mean = sqrt(1/12/n) ≈ 6.5e-4: 5 sd bounds.
    expect(Math.abs(mean - 0.5)).toBeLessThan(3.3e-3);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(2e-3);
  });

  it('draws normals with mean 0, sd 1 and the right tails', () => {
    const rng = new Rng(2);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let beyond196 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
      if (Math.abs(z) > 1.959964) beyond196++;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.016); // 5 sd of the mean
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.023); // 5 sd of the variance (√(2/n))
    // P(|Z| > 1.96) = 0.05; binomial sd = √(0.05·0.95/n) ≈ 6.9e-4.
    expect(Math.abs(beyond196 / n - 0.05)).toBeLessThan(3.5e-3);
    expect(new Rng(3).normal(10, 0)).toBe(10);
  });

  it('draws unbiased integers over the whole inclusive range (chi-square)', () => {
    const rng = new Rng(3);
    const counts = new Array<number>(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) {
      const k = rng.int(-3, 3);
      counts[k + 3] = (counts[k + 3] as number) + 1;
    }
    const chi2 = counts.reduce((a, c) => a + (c - n / 7) ** 2 / (n / 7), 0);
    expect(chi2).toBeLessThan(22.46); // χ²(6) 0.999 quantile
    expect(rng.int(5, 5)).toBe(5);
    const wide = rng.int(0, 2 ** 40);
    expect(Number.isInteger(wide) && wide >= 0 && wide <= 2 ** 40).toBe(true);
  });

  it('shuffles into a permutation, chooses members and weights indices', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { maxLength: 50 }), (seed, xs) => {
        const rng = new Rng(seed);
        const shuffled = rng.shuffle([...xs]);
        expect([...shuffled].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
        if (xs.length > 0) expect(xs).toContain(rng.choice(xs));
      }),
    );
    const rng = new Rng(4);
    const hits = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) hits[rng.weightedIndex([1, 0, 3])]! += 1;
    expect(hits[1]).toBe(0);
    expect(Math.abs((hits[2] as number) / 30_000 - 0.75)).toBeLessThan(0.015);
  });

  it('derives distinct seeds from distinct parts', () => {
    const seeds = new Set<number>();
    for (let t = 0; t < 100; t++) for (const p of ['x', 'y', 'lr']) seeds.add(deriveSeed(1, t, p));
    expect(seeds.size).toBe(300);
    expect(deriveSeed(1)).not.toBe(deriveSeed('1'));
    expect(deriveSeed(2 ** 40)).not.toBe(deriveSeed(0));
  });

  it('rejects bad arguments with KaleidoError', () => {
    const rng = new Rng(0);
    expect(() => rng.int(3, 2)).toThrow(KaleidoError);
    expect(() => rng.int(0.5, 2)).toThrow(KaleidoError);
    expect(() => rng.int(-(2 ** 53) + 1, 2 ** 53 - 1)).toThrow(KaleidoError);
    expect(() => rng.uniform(1, 0)).toThrow(KaleidoError);
    expect(() => rng.choice([])).toThrow(KaleidoError);
    expect(() => rng.weightedIndex([0, 0])).toThrow(KaleidoError);
    expect(() => rng.weightedIndex([-1, 2])).toThrow(KaleidoError);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(KaleidoError);
    expect(() => Rng.fromState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(
      KaleidoError,
    );
    expect(() => deriveSeed(NaN)).toThrow(KaleidoError);
  });
});
