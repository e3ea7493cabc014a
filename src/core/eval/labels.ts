/**
 * Shared input checks for evaluation metrics. Labels are strings or numbers (JSON-safe); the
 * class order, when not given, is sklearn's: the sorted union of the labels seen.
 */
import { KaleidoError } from '../errors.js';

export type Label = string | number;

export function invalid(message: string, details: Record<string, unknown> = {}): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', message, { details });
}

export function checkLabels(name: string, ys: readonly unknown[]): asserts ys is readonly Label[] {
  if (!Array.isArray(ys)) throw invalid(`${name} must be an array`, { field: name });
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!(typeof y === 'string' || (typeof y === 'number' && Number.isFinite(y)))) {
      throw invalid(`${name}[${i}] must be a string or a finite number`, { field: name, index: i });
    }
  }
}

export function checkSameLength(a: readonly unknown[], b: readonly unknown[], names: [string, string]): void {
  if (a.length !== b.length) {
    throw invalid(`${names[0]} and ${names[1]} must have the same length`, {
      [names[0]]: a.length,
      [names[1]]: b.length,
    });
  }
}

export function checkNonEmpty(ys: readonly unknown[], name: string): void {
  if (ys.length === 0) throw invalid(`${name} must not be empty`, { field: name });
}

/** numbers ascending, then strings in code-unit order (numpy sorts a single-type array likewise). */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(...arrays: ReadonlyArray<readonly Label[]>): Label[] {
  const set = new Set<Label>();
  for (const arr of arrays) for (const y of arr) set.add(y);
  return [...set].sort(compareLabels);
}

/** The class order: `labels` if given (validated, distinct), else the sorted union. */
export function resolveLabels(
  given: readonly Label[] | undefined,
  ...arrays: ReadonlyArray<readonly Label[]>
): Label[] {
  if (given === undefined) return sortedUnique(...arrays);
  checkLabels('labels', given);
  if (given.length === 0) throw invalid('labels must not be empty', { field: 'labels' });
  if (new Set(given).size !== given.length) throw invalid('labels must be distinct', { field: 'labels' });
  return [...given];
}

export function indexOfLabels(labels: readonly Label[]): Map<Label, number> {
  return new Map(labels.map((l, i) => [l, i]));
}

/** Checks a probability/score matrix: n rows, `k` finite columns each. */
export function checkMatrix(name: string, m: readonly (readonly number[])[], n: number, k: number): void {
  if (!Array.isArray(m) || m.length !== n)
    throw invalid(`${name} must have one row per sample`, {
      field: name,
      rows: Array.isArray(m) ? m.length : undefined,
      expected: n,
    });
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) {
      throw invalid(`${name}[${i}] must have ${k} columns (one per class)`, {
        field: name,
        index: i,
        expected: k,
      });
    }
    for (const v of row)
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw invalid(`${name}[${i}] has a non-finite value`, { field: name, index: i });
  });
}
