/**
 * Parameter distributions of a hyperparameter search, in Optuna's vocabulary and with its
 * validation rules (optuna.distributions): FloatDistribution, IntDistribution and
 * CategoricalDistribution. They are plain, frozen, JSON-serialisable objects (a tagged union),
 * so a study can be stored and restored without classes.
 *
 * Internal representation (what samplers work with): a float or int value is itself; a
 * categorical value is its index in `choices`.
 */
import { KaleidoError } from '../errors.js';

/** A categorical choice must survive a JSON round trip unchanged (Optuna allows the same set). */
export type CategoricalChoice = string | number | boolean | null;
export type ParamValue = CategoricalChoice;

export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Grid spacing from `low`; null for a continuous range. */
  readonly step: number | null;
}

export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}

export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly CategoricalChoice[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

function invalid(message: string, details: Record<string, unknown>): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', message, { details });
}

/**
 * Optuna shortens a stepped range so that `high` lies on the grid (low + k·step). The ratio is
 * rounded first when it is within 1e-9 of an integer so that e.g. (0, 1, step 0.1) keeps high = 1
 * despite 1/0.1 = 9.999… in binary floating point.
 */
function adjustHighToStep(low: number, high: number, step: number): number {
  const ratio = (high - low) / step;
  const onGrid = Math.abs(ratio - Math.round(ratio)) <= 1e-9 * Math.max(1, Math.abs(ratio));
  return onGrid ? high : low + Math.floor(ratio) * step;
}

export function floatDistribution(
  low: number,
  high: number,
  options: { log?: boolean; step?: number | null } = {},
): FloatDistribution {
  const log = options.log ?? false;
  const step = options.step ?? null;
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    throw invalid('float distribution bounds must be finite numbers', { low, high });
  }
  if (low > high) throw invalid('float distribution needs low ≤ high', { low, high });
  if (log && step !== null) {
    throw invalid('a float distribution cannot be both log-scaled and stepped', { log, step });
  }
  if (log && !(low > 0)) throw invalid('a log-scaled float distribution needs low > 0', { low });
  if (step !== null && !(Number.isFinite(step) && step > 0)) {
    throw invalid('float distribution step must be a positive number', { step });
  }
  // `+ 0` turns −0 into 0, which JSON cannot tell apart anyway.
  const adjustedHigh = (step === null ? high : adjustHighToStep(low, high, step)) + 0;
  return Object.freeze({ type: 'float', low: low + 0, high: adjustedHigh, log, step });
}

export function intDistribution(
  low: number,
  high: number,
  options: { log?: boolean; step?: number } = {},
): IntDistribution {
  const log = options.log ?? false;
  const step = options.step ?? 1;
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
    throw invalid('int distribution bounds must be safe integers', { low, high });
  }
  if (low > high) throw invalid('int distribution needs low ≤ high', { low, high });
  if (!Number.isSafeInteger(step) || step < 1) {
    throw invalid('int distribution step must be a positive integer', { step });
  }
  if (log && step !== 1) throw invalid('a log-scaled int distribution needs step = 1', { log, step });
  if (log && low < 1) throw invalid('a log-scaled int distribution needs low ≥ 1', { low });
  const adjustedHigh = low + Math.floor((high - low) / step) * step + 0;
  return Object.freeze({ type: 'int', low: low + 0, high: adjustedHigh, log, step });
}

export function categoricalDistribution(choices: readonly CategoricalChoice[]): CategoricalDistribution {
  if (!Array.isArray(choices) || choices.length === 0) {
    throw invalid('a categorical distribution needs at least one choice', { choices });
  }
  for (const c of choices) {
    const ok =
      c === null ||
      typeof c === 'string' ||
      typeof c === 'boolean' ||
      (typeof c === 'number' && Number.isFinite(c));
    if (!ok) {
      throw invalid('categorical choices must be strings, finite numbers, booleans or null', {
        choice: String(c),
      });
    }
  }
  if (new Set(choices).size !== choices.length) {
    throw invalid('categorical choices must be distinct', { choices });
  }
  return Object.freeze({ type: 'categorical', choices: Object.freeze([...choices]) });
}

/** Re-validates a distribution that came from JSON (or anywhere untrusted) and returns a frozen copy. */
export function parseDistribution(raw: unknown): Distribution {
  if (typeof raw !== 'object' || raw === null) throw invalid('a distribution must be an object', {});
  const d = raw as Record<string, unknown>;
  switch (d['type']) {
    case 'float':
      return floatDistribution(d['low'] as number, d['high'] as number, {
        log: d['log'] === true,
        step: (d['step'] ?? null) as number | null,
      });
    case 'int':
      return intDistribution(d['low'] as number, d['high'] as number, {
        log: d['log'] === true,
        step: (d['step'] ?? 1) as number,
      });
    case 'categorical':
      return categoricalDistribution(d['choices'] as CategoricalChoice[]);
    default:
      throw invalid('unknown distribution type', { type: d['type'] });
  }
}

/** True when the distribution admits exactly one value (samplers then skip sampling). */
export function isSingle(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length === 1 : d.low === d.high;
}

/** Tolerance for "on the step grid": float steps like 0.1 are inexact in binary. */
const GRID_TOLERANCE = 1e-8;

/** Whether an external value belongs to the distribution (bounds, integrality and step respected). */
export function contains(d: Distribution, value: unknown): boolean {
  if (d.type === 'categorical') return d.choices.some((c) => c === value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (d.type === 'int') {
    return Number.isInteger(value) && value >= d.low && value <= d.high && (value - d.low) % d.step === 0;
  }
  const scale = Math.max(1, Math.abs(d.low), Math.abs(d.high));
  if (value < d.low - GRID_TOLERANCE * scale || value > d.high + GRID_TOLERANCE * scale) return false;
  if (d.step === null) return value >= d.low && value <= d.high;
  const k = (value - d.low) / d.step;
  return Math.abs(k - Math.round(k)) <= GRID_TOLERANCE * Math.max(1, Math.abs(k));
}

/** External value → internal number (categorical → index). Throws when the value is outside. */
export function toInternal(d: Distribution, value: ParamValue): number {
  if (!contains(d, value)) {
    throw invalid('value is not in the distribution', { value, distribution: d });
  }
  return d.type === 'categorical' ? d.choices.findIndex((c) => c === value) : (value as number);
}

/** Internal number → external value. */
export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.type === 'categorical') {
    const i = Math.round(internal);
    if (i < 0 || i >= d.choices.length) throw invalid('categorical index out of range', { index: internal });
    return d.choices[i] as CategoricalChoice;
  }
  return internal;
}

/** Structural equality (used to check that a parameter keeps one distribution within a study). */
export function distributionsEqual(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical' && b.type === 'categorical') {
    return a.choices.length === b.choices.length && a.choices.every((c, i) => c === b.choices[i]);
  }
  const x = a as FloatDistribution | IntDistribution;
  const y = b as FloatDistribution | IntDistribution;
  return x.low === y.low && x.high === y.high && x.log === y.log && x.step === y.step;
}

/**
 * The continuous search interval a numeric distribution is modelled in, as Optuna's
 * `_SearchSpaceTransform` / TPE do: log space for log distributions, and for stepped (int or
 * float) ranges the interval widened by half a step at both ends, so that rounding a uniform
 * value to the grid gives every grid point the same probability mass.
 */
export interface NumericSpace {
  readonly low: number;
  readonly high: number;
  /** Grid spacing inside the transformed space (null: continuous there). */
  readonly step: number | null;
}

export function numericSpace(d: FloatDistribution | IntDistribution): NumericSpace {
  const step = d.step;
  if (d.log) {
    // Log ints (step 1): half-integer padding in the original space, then the log — Optuna's hack.
    if (d.type === 'int') return { low: Math.log(d.low - 0.5), high: Math.log(d.high + 0.5), step: null };
    return { low: Math.log(d.low), high: Math.log(d.high), step: null };
  }
  if (step !== null) return { low: d.low - step / 2, high: d.high + step / 2, step };
  return { low: d.low, high: d.high, step: null };
}

/** Maps a point of the transformed space back into the distribution (exp, round to grid, clip). */
export function fromNumericSpace(d: FloatDistribution | IntDistribution, x: number): number {
  let v = d.log ? Math.exp(x) : x;
  const step = d.step;
  if (step !== null) {
    const k = Math.round((v - d.low) / step);
    v = d.low + k * step;
  }
  if (d.type === 'int') v = Math.round(v);
  return Math.min(d.high, Math.max(d.low, v));
}

/** Maps an (external, numeric) value into the transformed space. */
export function toNumericSpace(d: FloatDistribution | IntDistribution, value: number): number {
  return d.log ? Math.log(value) : value;
}
