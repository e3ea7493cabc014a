/**
 * Seeded, stratified data splits: k-fold cross-validation and a held-out test split. Class
 * proportions are kept in every part (within one sample per class), and the result is a pure
 * function of (labels, parameters, seed).
 */
import { deriveSeed, Rng } from '../random.js';
import { checkLabels, checkNonEmpty, invalid, sortedUnique, type Label } from './labels.js';

export interface Fold {
  readonly train: number[];
  readonly test: number[];
}

/**
 * Stratified k-fold: each class's indices are shuffled (seeded) and dealt round-robin over the
 * folds, continuing where the previous class stopped, so that both the per-class counts and the
 * fold sizes differ by at most one. A class with fewer than k members is absent from some test
 * folds (sklearn warns in that case; here it is allowed and documented). Index lists are sorted.
 */
export function stratifiedKFold(labels: readonly Label[], k: number, seed = 0): Fold[] {
  checkLabels('labels', labels);
  checkNonEmpty(labels, 'labels');
  if (!Number.isSafeInteger(k) || k < 2) throw invalid('k must be an integer ≥ 2', { field: 'k', value: k });
  if (k > labels.length)
    throw invalid('k cannot exceed the number of samples', { k, samples: labels.length });
  const tests: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const cls of sortedUnique(labels)) {
    const members: number[] = [];
    labels.forEach((y, i) => {
      if (y === cls) members.push(i);
    });
    new Rng(deriveSeed(seed, 'kfold', String(cls), typeof cls)).shuffle(members);
    for (const i of members) {
      (tests[next] as number[]).push(i);
      next = (next + 1) % k;
    }
  }
  return tests.map((test) => {
    const inTest = new Set(test);
    return {
      test: [...test].sort((a, b) => a - b),
      train: labels.map((_, i) => i).filter((i) => !inTest.has(i)),
    };
  });
}

/**
 * Held-out split: n_test = ⌈testFraction·n⌉ (sklearn's rounding), shared between classes by
 * largest remainder of their proportional quotas (ties to the larger class, then the sorted
 * label order), members chosen at random (seeded) within each class.
 */
export function trainTestSplitStratified(labels: readonly Label[], testFraction: number, seed = 0): Fold {
  checkLabels('labels', labels);
  checkNonEmpty(labels, 'labels');
  if (!(testFraction > 0 && testFraction < 1)) {
    throw invalid('testFraction must be in (0, 1)', { field: 'testFraction', value: testFraction });
  }
  const n = labels.length;
  const nTest = Math.ceil(testFraction * n);
  if (nTest >= n) throw invalid('the split leaves no training samples', { samples: n, testFraction });
  const classes = sortedUnique(labels);
  const members = classes.map((cls) => labels.flatMap((y, i) => (y === cls ? [i] : [])));
  const quotas = members.map((m) => (m.length * nTest) / n);
  const alloc = quotas.map(Math.floor);
  let left = nTest - alloc.reduce((a, b) => a + b, 0);
  const byRemainder = quotas
    .map((q, c) => ({ c, r: q - Math.floor(q), size: (members[c] as number[]).length }))
    .sort((a, b) => b.r - a.r || b.size - a.size || a.c - b.c);
  for (const { c } of byRemainder) {
    if (left === 0) break;
    if ((alloc[c] as number) < (members[c] as number[]).length) {
      alloc[c] = (alloc[c] as number) + 1;
      left--;
    }
  }
  const test: number[] = [];
  members.forEach((m, c) => {
    const shuffled = new Rng(deriveSeed(seed, 'split', String(classes[c]), typeof classes[c])).shuffle([
      ...m,
    ]);
    test.push(...shuffled.slice(0, alloc[c] as number));
  });
  const inTest = new Set(test);
  return {
    train: labels.map((_, i) => i).filter((i) => !inTest.has(i)),
    test: test.sort((a, b) => a - b),
  };
}
