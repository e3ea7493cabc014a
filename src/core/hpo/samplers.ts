/**
 * RandomSampler and GridSampler.
 *
 * Randomness is derived per (seed, trial number, parameter name) with `deriveSeed`, not drawn
 * from one shared generator as Optuna does: the value a trial gets does not depend on the order
 * in which trials or parameters are sampled (parallel workers, a restart in the middle of a
 * study), and a study restored from JSON continues identically.
 */
import { KaleidoError } from '../errors.js';
import { deriveSeed, Rng } from '../random.js';
import {
  contains,
  fromNumericSpace,
  numericSpace,
  toExternal,
  type CategoricalChoice,
  type Distribution,
  type ParamValue,
} from './distributions.js';
import { TrialState, type FrozenTrial, type JsonValue, type Sampler, type StudyView } from './types.js';

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new KaleidoError('ERR_VALIDATION', 'a sampler seed must be a safe integer', {
      details: { field: 'seed', value: seed },
    });
  }
  return seed;
}

/** The generator for one parameter of one trial. */
export function paramRng(seed: number, trialNumber: number, paramName: string): Rng {
  return new Rng(deriveSeed(seed, trialNumber, paramName));
}

/**
 * One uniform draw from a distribution, as Optuna's RandomSampler: uniform in the transformed
 * space (log space for log distributions; the step-padded interval for stepped ones, then
 * rounded to the grid), categorical choices uniformly.
 */
export function sampleUniform(rng: Rng, distribution: Distribution): ParamValue {
  if (distribution.type === 'categorical') {
    return toExternal(distribution, rng.int(0, distribution.choices.length - 1));
  }
  const space = numericSpace(distribution);
  return fromNumericSpace(distribution, rng.uniform(space.low, space.high));
}

export class RandomSampler implements Sampler {
  readonly spec: { type: 'random'; seed: number };

  constructor(options: { seed?: number } = {}) {
    this.spec = { type: 'random', seed: checkSeed(options.seed ?? 0) };
  }

  sampleIndependent(
    _study: StudyView,
    trial: FrozenTrial,
    paramName: string,
    distribution: Distribution,
  ): ParamValue {
    return sampleUniform(paramRng(this.spec.seed, trial.number, paramName), distribution);
  }
}

export type GridSearchSpace = Readonly<Record<string, readonly CategoricalChoice[]>>;

/** The grid-point index a trial was given (system attribute, so it serialises with the study). */
export const GRID_ID_ATTR = 'grid_id';

/**
 * Exhaustive search over the Cartesian product of the given values, in a seeded random order
 * (as Optuna's GridSampler). Each `ask()` takes the first grid point, in that order, not yet
 * given to a trial; FAILed trials give their point back so it is retried.
 *
 * When every point is taken, behaviour follows `onExhausted`:
 * - 'stop' (default): the study is not asked to run more; `ask()` throws ERR_STUDY_STOPPED.
 *   (Optuna calls study.stop() and would re-sample a visited point if asked again.)
 * - 'cycle': points are handed out again in the same order (useful to re-measure noisy objectives).
 */
export class GridSampler implements Sampler {
  readonly spec: {
    type: 'grid';
    seed: number;
    searchSpace: Record<string, CategoricalChoice[]>;
    onExhausted: 'stop' | 'cycle';
  };
  private readonly names: string[];
  private readonly sizes: number[];
  readonly gridSize: number;
  /** Grid indices in visiting order. */
  private readonly order: number[];

  /** Grids larger than this are not enumerated (use random or TPE sampling instead). */
  static readonly MAX_GRID_SIZE = 1_000_000;

  constructor(options: { searchSpace: GridSearchSpace; seed?: number; onExhausted?: 'stop' | 'cycle' }) {
    const seed = checkSeed(options.seed ?? 0);
    const space = options.searchSpace;
    if (typeof space !== 'object' || space === null || Object.keys(space).length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'a grid needs at least one parameter', {
        details: { field: 'searchSpace' },
      });
    }
    // Sorted names give the same grid whatever the key order of the object literal.
    this.names = Object.keys(space).sort();
    this.sizes = this.names.map((name) => {
      const values = space[name] ?? [];
      if (!Array.isArray(values) || values.length === 0) {
        throw new KaleidoError('ERR_VALIDATION', `grid values for '${name}' must be a non-empty array`, {
          details: { param: name },
        });
      }
      return values.length;
    });
    const size = this.sizes.reduce((a, b) => a * b, 1);
    if (size > GridSampler.MAX_GRID_SIZE) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `the grid has ${size} points, more than ${GridSampler.MAX_GRID_SIZE}`,
        {
          details: { field: 'searchSpace', size },
        },
      );
    }
    this.gridSize = size;
    const onExhausted = options.onExhausted ?? 'stop';
    this.spec = {
      type: 'grid',
      seed,
      searchSpace: Object.fromEntries(this.names.map((n) => [n, [...(space[n] ?? [])]])),
      onExhausted,
    };
    this.order = new Rng(deriveSeed(seed, 'grid')).shuffle(Array.from({ length: size }, (_, i) => i));
  }

  /** The parameter values of grid point `index` (mixed-radix decoding over the sorted names). */
  gridPoint(index: number): Record<string, CategoricalChoice> {
    const point: Record<string, CategoricalChoice> = {};
    let rest = index;
    for (let i = this.names.length - 1; i >= 0; i--) {
      const name = this.names[i] as string;
      const n = this.sizes[i] as number;
      point[name] = (this.spec.searchSpace[name] as CategoricalChoice[])[rest % n] as CategoricalChoice;
      rest = Math.floor(rest / n);
    }
    return point;
  }

  private takenIds(study: StudyView): Set<number> {
    const taken = new Set<number>();
    for (const t of study.getTrials()) {
      const id = t.systemAttrs[GRID_ID_ATTR];
      if (typeof id === 'number' && t.state !== TrialState.FAIL) taken.add(id);
    }
    return taken;
  }

  /** True when every grid point has been given to a trial that did not fail. */
  isExhausted(study: StudyView): boolean {
    return this.takenIds(study).size >= this.gridSize;
  }

  beforeTrial(study: StudyView, trialNumber: number): Record<string, JsonValue> {
    const taken = this.takenIds(study);
    const next = this.order.find((id) => !taken.has(id));
    if (next !== undefined) return { [GRID_ID_ATTR]: next };
    if (this.spec.onExhausted === 'cycle') {
      return { [GRID_ID_ATTR]: this.order[trialNumber % this.gridSize] as number };
    }
    throw new KaleidoError('ERR_STUDY_STOPPED', `all ${this.gridSize} grid points have been evaluated`, {
      details: { gridSize: this.gridSize },
    });
  }

  sampleIndependent(
    _study: StudyView,
    trial: FrozenTrial,
    paramName: string,
    distribution: Distribution,
  ): ParamValue {
    const id = trial.systemAttrs[GRID_ID_ATTR];
    if (typeof id !== 'number') {
      throw new KaleidoError('ERR_VALIDATION', 'this trial was not started by the GridSampler (no grid id)', {
        details: { trial: trial.number },
      });
    }
    if (!this.names.includes(paramName)) {
      throw new KaleidoError('ERR_VALIDATION', `parameter '${paramName}' is not in the grid`, {
        details: { param: paramName, grid: this.names },
      });
    }
    const value = this.gridPoint(id)[paramName] as CategoricalChoice;
    if (!contains(distribution, value)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `grid value for '${paramName}' is outside the suggested distribution`,
        {
          details: { param: paramName, value, distribution },
        },
      );
    }
    return value;
  }
}
