/**
 * The shared vocabulary of hyperparameter search (Optuna's names): trial states, study
 * direction, the read-only view of trials that samplers and pruners see, and the sampler and
 * pruner contracts. Kept apart from study.ts so that samplers and pruners depend on types only.
 */
import type { Distribution, ParamValue } from './distributions.js';

export const TrialState = {
  RUNNING: 'RUNNING',
  COMPLETE: 'COMPLETE',
  PRUNED: 'PRUNED',
  FAIL: 'FAIL',
  /** Enqueued with fixed parameters, not yet handed out by `ask()`. */
  WAITING: 'WAITING',
} as const;
export type TrialState = (typeof TrialState)[keyof typeof TrialState];

export const StudyDirection = { MINIMIZE: 'minimize', MAXIMIZE: 'maximize' } as const;
export type StudyDirection = (typeof StudyDirection)[keyof typeof StudyDirection];

/** Values kept in user/system attributes: anything JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A trial as samplers, pruners and callers see it (read-only; the study owns the state). */
export interface FrozenTrial {
  readonly number: number;
  readonly state: TrialState;
  /** Objective value: set when COMPLETE; for PRUNED, the last finite intermediate value if any. */
  readonly value: number | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly distributions: Readonly<Record<string, Distribution>>;
  /** step → intermediate value, as reported. */
  readonly intermediateValues: ReadonlyMap<number, number>;
  /** The largest reported step, or null when nothing was reported. */
  readonly lastStep: number | null;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
}

/** What a sampler or pruner may read about the study. */
export interface StudyView {
  readonly direction: StudyDirection;
  /** Trials in number order, optionally only those in the given states. */
  getTrials(states?: readonly TrialState[]): readonly FrozenTrial[];
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
}

export interface SamplerSpecBase {
  readonly type: string;
  readonly seed: number;
}

/**
 * A sampler draws one parameter at a time ("independent" sampling in Optuna's terms), lazily,
 * when the objective calls `trial.suggest*`. Implementations are deterministic functions of
 * (their spec, the study's trials, the trial number, the parameter name), which is what makes a
 * serialised study resume identically.
 */
export interface Sampler {
  /** JSON description from which `samplerFromSpec` rebuilds an equal sampler. */
  readonly spec: SamplerSpecBase & Record<string, JsonValue>;
  /**
   * Called by `study.ask()` before the trial exists; returns system attributes to put on it
   * (e.g. the grid point). May throw ERR_STUDY_STOPPED.
   */
  beforeTrial?(study: StudyView, trialNumber: number): Record<string, JsonValue> | undefined;
  /** Returns an external value that `contains(distribution, value)`. */
  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    paramName: string,
    distribution: Distribution,
  ): ParamValue;
}

/** Write access a pruner gets for its own bookkeeping (kept in the study, so it serialises). */
export interface PrunerContext {
  readonly study: StudyView;
  readonly trial: FrozenTrial;
  setTrialSystemAttr(key: string, value: JsonValue): void;
  setStudySystemAttr(key: string, value: JsonValue): void;
}

export interface Pruner {
  readonly spec: { readonly type: string } & Record<string, JsonValue>;
  /** True when the trial should stop now (it is then told PRUNED by the caller). */
  prune(context: PrunerContext): boolean;
}
