/**
 * Study and Trial: an in-memory state machine for hyperparameter search with Optuna's
 * ask-and-tell interface and vocabulary.
 *
 *   const study = new Study({ direction: 'minimize', sampler: new TPESampler({ seed: 1 }) });
 *   const trial = study.ask();
 *   const x = trial.suggestFloat('x', -5, 10);          // sampled lazily, on this call
 *   for (step…) { trial.report(step, loss); if (trial.shouldPrune()) { study.tell(trial.number, { state: 'PRUNED' }); … } }
 *   study.tell(trial.number, objective(x));
 *
 * Trial life cycle: WAITING (enqueued) → RUNNING (ask) → COMPLETE | PRUNED | FAIL (tell).
 * The study does no I/O and reads no clock; `toJSON()` / `Study.fromJSON()` carry the whole state,
 * so a store can persist it and a worker can resume it after a restart. Because samplers derive
 * their randomness from (seed, trial number, parameter name) and the trial history only, a restored
 * study continues exactly as the original would have.
 */
import { KaleidoError } from '../errors.js';
import {
  categoricalDistribution,
  contains,
  distributionsEqual,
  floatDistribution,
  intDistribution,
  isSingle,
  parseDistribution,
  toExternal,
  type CategoricalChoice,
  type Distribution,
  type ParamValue,
} from './distributions.js';
import { decodeNumber, encodeNumber, type JsonNumber } from './json-number.js';
import { prunerFromSpec, samplerFromSpec } from './registry.js';
import { MedianPruner } from './pruners.js';
import { TPESampler } from './tpe.js';
import {
  StudyDirection,
  TrialState,
  type FrozenTrial,
  type JsonValue,
  type Pruner,
  type Sampler,
  type StudyView,
} from './types.js';

export interface TrialJSON {
  number: number;
  state: TrialState;
  value: JsonNumber | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  intermediateValues: Array<[number, JsonNumber]>;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
}

export interface StudyJSON {
  format: typeof STUDY_FORMAT;
  name: string;
  direction: StudyDirection;
  sampler: Sampler['spec'];
  pruner: Pruner['spec'];
  stopped: boolean;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
  trials: TrialJSON[];
}

export const STUDY_FORMAT = 'kaleido.study/v1';

/** The outcome passed to `tell`: a value completes the trial; or an explicit state. */
export type TellOutcome =
  number | { state: 'COMPLETE'; value: number } | { state: 'PRUNED' } | { state: 'FAIL'; reason?: string };

/** Mutable record behind a FrozenTrial (only the study writes it). */
interface TrialRecord {
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  intermediateValues: Map<number, number>;
  lastStep: number | null;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
}

export interface StudyOptions {
  name?: string;
  direction?: StudyDirection;
  /** Default: TPESampler with seed 0 (Optuna's default sampler; pass a seed for distinct runs). */
  sampler?: Sampler;
  /** Default: MedianPruner with Optuna's defaults. */
  pruner?: Pruner;
}

const FIXED_PARAMS_KEY = 'fixed_params';

export class Study implements StudyView {
  readonly name: string;
  readonly direction: StudyDirection;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  private readonly trials: TrialRecord[] = [];
  /** Kind of every parameter seen so far, to reject a name reused with another kind (as Optuna does). */
  private readonly paramKinds = new Map<string, Distribution>();
  private stopped = false;
  private readonly userAttrsMap: Record<string, JsonValue> = {};
  private readonly systemAttrsMap: Record<string, JsonValue> = {};

  constructor(options: StudyOptions = {}) {
    const direction = options.direction ?? StudyDirection.MINIMIZE;
    if (direction !== StudyDirection.MINIMIZE && direction !== StudyDirection.MAXIMIZE) {
      throw new KaleidoError('ERR_VALIDATION', "direction must be 'minimize' or 'maximize'", {
        details: { field: 'direction', value: direction },
      });
    }
    this.name = options.name ?? 'study';
    this.direction = direction;
    this.sampler = options.sampler ?? new TPESampler({ seed: 0 });
    this.pruner = options.pruner ?? new MedianPruner();
  }

  get systemAttrs(): Readonly<Record<string, JsonValue>> {
    return this.systemAttrsMap;
  }

  get userAttrs(): Readonly<Record<string, JsonValue>> {
    return this.userAttrsMap;
  }

  setUserAttr(key: string, value: JsonValue): void {
    this.userAttrsMap[key] = value;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Like optuna's study.stop(): `ask()` refuses new trials afterwards (running ones may still be told). */
  stop(): void {
    this.stopped = true;
  }

  getTrials(states?: readonly TrialState[]): readonly FrozenTrial[] {
    if (states === undefined) return this.trials;
    return this.trials.filter((t) => states.includes(t.state));
  }

  getTrial(trialNumber: number): FrozenTrial {
    return this.record(trialNumber);
  }

  /** The best COMPLETE trial (ties: the earliest), or undefined before any trial completed. */
  get bestTrial(): FrozenTrial | undefined {
    let best: TrialRecord | undefined;
    for (const t of this.trials) {
      if (t.state !== TrialState.COMPLETE || t.value === null || Number.isNaN(t.value)) continue;
      if (best === undefined || this.isBetter(t.value, best.value as number)) best = t;
    }
    return best;
  }

  get bestValue(): number | undefined {
    return this.bestTrial?.value ?? undefined;
  }

  get bestParams(): Readonly<Record<string, ParamValue>> | undefined {
    return this.bestTrial?.params;
  }

  private isBetter(a: number, b: number): boolean {
    return this.direction === StudyDirection.MINIMIZE ? a < b : a > b;
  }

  /**
   * Queues a trial with fixed parameters (optuna's enqueue_trial): the next `ask()` hands it out
   * and its `suggest*` calls return these values when they fit the requested distribution.
   */
  enqueueTrial(params: Record<string, ParamValue>, userAttrs: Record<string, JsonValue> = {}): number {
    const number = this.trials.length;
    this.trials.push({
      number,
      state: TrialState.WAITING,
      value: null,
      params: {},
      distributions: {},
      intermediateValues: new Map(),
      lastStep: null,
      userAttrs: { ...userAttrs },
      systemAttrs: { [FIXED_PARAMS_KEY]: { ...params } },
    });
    return number;
  }

  /** Starts a trial: the oldest WAITING one if any, else a new one. */
  ask(): Trial {
    if (this.stopped) {
      throw new KaleidoError('ERR_STUDY_STOPPED', `study '${this.name}' is stopped`, {
        details: { study: this.name },
      });
    }
    const waiting = this.trials.find((t) => t.state === TrialState.WAITING);
    const number = waiting?.number ?? this.trials.length;
    // The sampler may refuse (exhausted grid) before anything changes.
    const attrs = this.sampler.beforeTrial?.(this, number) ?? {};
    let record: TrialRecord;
    if (waiting) {
      record = waiting;
      record.state = TrialState.RUNNING;
    } else {
      record = {
        number,
        state: TrialState.RUNNING,
        value: null,
        params: {},
        distributions: {},
        intermediateValues: new Map(),
        lastStep: null,
        userAttrs: {},
        systemAttrs: {},
      };
      this.trials.push(record);
    }
    Object.assign(record.systemAttrs, attrs);
    return new Trial(this, number);
  }

  /** Finishes a RUNNING trial. A NaN value fails the trial (Optuna's rule); ±Infinity is kept. */
  tell(trialNumber: number, outcome: TellOutcome): FrozenTrial {
    const t = this.runningRecord(trialNumber, 'tell');
    const o = typeof outcome === 'number' ? { state: TrialState.COMPLETE, value: outcome } : outcome;
    switch (o.state) {
      case TrialState.COMPLETE: {
        if (typeof o.value !== 'number') {
          throw new KaleidoError('ERR_VALIDATION', 'a COMPLETE trial needs a numeric value', {
            details: { field: 'value', value: o.value },
          });
        }
        if (Number.isNaN(o.value)) {
          t.state = TrialState.FAIL;
          t.systemAttrs['fail_reason'] = 'the objective value is NaN';
        } else {
          t.state = TrialState.COMPLETE;
          t.value = o.value;
        }
        break;
      }
      case TrialState.PRUNED: {
        t.state = TrialState.PRUNED;
        const last = t.lastStep === null ? undefined : t.intermediateValues.get(t.lastStep);
        t.value = last !== undefined && !Number.isNaN(last) ? last : null;
        break;
      }
      case TrialState.FAIL:
        t.state = TrialState.FAIL;
        if (o.reason !== undefined) t.systemAttrs['fail_reason'] = o.reason;
        break;
      default:
        throw new KaleidoError('ERR_VALIDATION', 'tell needs a value or a COMPLETE/PRUNED/FAIL state', {
          details: { field: 'state', value: (o as { state?: unknown }).state },
        });
    }
    return t;
  }

  private record(trialNumber: number): TrialRecord {
    const t = Number.isInteger(trialNumber) ? this.trials[trialNumber] : undefined;
    if (!t) {
      throw new KaleidoError('ERR_NOT_FOUND', `trial ${trialNumber} does not exist in study '${this.name}'`, {
        details: { study: this.name, trial: trialNumber },
      });
    }
    return t;
  }

  private runningRecord(trialNumber: number, action: string): TrialRecord {
    const t = this.record(trialNumber);
    if (t.state !== TrialState.RUNNING) {
      throw new KaleidoError(
        'ERR_TRIAL_NOT_RUNNING',
        `cannot ${action} trial ${trialNumber}: it is ${t.state}`,
        {
          details: { study: this.name, trial: trialNumber, state: t.state },
        },
      );
    }
    return t;
  }

  /** @internal Trial handles call this; it is the one place parameters are chosen. */
  suggest(trialNumber: number, name: string, distribution: Distribution): ParamValue {
    const t = this.runningRecord(trialNumber, 'suggest into');
    if (typeof name !== 'string' || name.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'a parameter name must be a non-empty string', {
        details: { field: 'name' },
      });
    }
    const previous = t.distributions[name];
    if (previous !== undefined) {
      // Optuna returns the first value when a trial suggests the same parameter again.
      if (!distributionsEqual(previous, distribution)) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `parameter '${name}' was already suggested with another distribution`,
          {
            details: { param: name, previous, requested: distribution },
          },
        );
      }
      return t.params[name] as ParamValue;
    }
    this.checkKind(name, distribution);
    let value: ParamValue;
    const fixed = (t.systemAttrs[FIXED_PARAMS_KEY] as Record<string, ParamValue> | undefined)?.[name];
    if (fixed !== undefined && contains(distribution, fixed)) value = fixed;
    else if (isSingle(distribution))
      value = toExternal(distribution, distribution.type === 'categorical' ? 0 : distribution.low);
    else value = this.sampler.sampleIndependent(this, t, name, distribution);
    if (!contains(distribution, value)) {
      throw new KaleidoError(
        'ERR_INTERNAL',
        `sampler returned a value outside the distribution of '${name}'`,
        {
          details: { param: name, value, distribution },
        },
      );
    }
    t.params[name] = value;
    t.distributions[name] = distribution;
    return value;
  }

  private checkKind(name: string, distribution: Distribution): void {
    const known = this.paramKinds.get(name);
    if (known === undefined) {
      this.paramKinds.set(name, distribution);
      return;
    }
    // Optuna's check_distribution_compatibility: same kind; categorical choices must match; numeric ranges may change.
    const compatible =
      known.type === distribution.type &&
      (known.type !== 'categorical' || distributionsEqual(known, distribution)) &&
      (known.type === 'categorical' ||
        (known as { log: boolean }).log === (distribution as { log: boolean }).log);
    if (!compatible) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `parameter '${name}' is used with incompatible distributions in this study`,
        {
          details: { param: name, previous: known, requested: distribution },
        },
      );
    }
  }

  /** @internal */
  report(trialNumber: number, step: number, value: number): void {
    const t = this.runningRecord(trialNumber, 'report to');
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new KaleidoError('ERR_VALIDATION', 'a report step must be a non-negative integer', {
        details: { field: 'step', value: step },
      });
    }
    if (typeof value !== 'number') {
      throw new KaleidoError('ERR_VALIDATION', 'an intermediate value must be a number', {
        details: { field: 'value', value },
      });
    }
    // Optuna keeps the first value reported for a step and ignores repeats.
    if (t.intermediateValues.has(step)) return;
    t.intermediateValues.set(step, value);
    if (t.lastStep === null || step > t.lastStep) t.lastStep = step;
  }

  /** @internal */
  shouldPrune(trialNumber: number): boolean {
    const t = this.runningRecord(trialNumber, 'prune');
    return this.pruner.prune({
      study: this,
      trial: t,
      setTrialSystemAttr: (key, value) => {
        t.systemAttrs[key] = value;
      },
      setStudySystemAttr: (key, value) => {
        this.systemAttrsMap[key] = value;
      },
    });
  }

  /** @internal */
  setTrialUserAttr(trialNumber: number, key: string, value: JsonValue): void {
    this.record(trialNumber).userAttrs[key] = value;
  }

  toJSON(): StudyJSON {
    return {
      format: STUDY_FORMAT,
      name: this.name,
      direction: this.direction,
      sampler: structuredCloneJson(this.sampler.spec),
      pruner: structuredCloneJson(this.pruner.spec),
      stopped: this.stopped,
      userAttrs: structuredCloneJson(this.userAttrsMap),
      systemAttrs: structuredCloneJson(this.systemAttrsMap),
      trials: this.trials.map((t) => ({
        number: t.number,
        state: t.state,
        value: t.value === null ? null : encodeNumber(t.value),
        params: { ...t.params },
        distributions: { ...t.distributions },
        intermediateValues: [...t.intermediateValues].map(
          ([s, v]) => [s, encodeNumber(v)] as [number, JsonNumber],
        ),
        userAttrs: structuredCloneJson(t.userAttrs),
        systemAttrs: structuredCloneJson(t.systemAttrs),
      })),
    };
  }

  /**
   * Rebuilds a study from `toJSON()` output (validated). The sampler and pruner are rebuilt from
   * their specs unless given (e.g. a custom sampler that is not in the registry).
   */
  static fromJSON(raw: unknown, overrides: { sampler?: Sampler; pruner?: Pruner } = {}): Study {
    const bad = (message: string, details: Record<string, unknown> = {}): KaleidoError =>
      new KaleidoError('ERR_VALIDATION', `invalid study JSON: ${message}`, { details });
    if (typeof raw !== 'object' || raw === null) throw bad('not an object');
    const j = raw as Partial<StudyJSON>;
    if (j.format !== STUDY_FORMAT) throw bad('unknown format', { format: j.format });
    if (!Array.isArray(j.trials)) throw bad('trials must be an array');
    const study = new Study({
      name: typeof j.name === 'string' ? j.name : 'study',
      direction: j.direction as StudyDirection,
      sampler: overrides.sampler ?? samplerFromSpec(j.sampler),
      pruner: overrides.pruner ?? prunerFromSpec(j.pruner),
    });
    study.stopped = j.stopped === true;
    Object.assign(study.userAttrsMap, structuredCloneJson(j.userAttrs ?? {}));
    Object.assign(study.systemAttrsMap, structuredCloneJson(j.systemAttrs ?? {}));
    j.trials.forEach((rt, index) => {
      if (typeof rt !== 'object' || rt === null || rt.number !== index) {
        throw bad('trials must be numbered 0, 1, 2 … in order', { index });
      }
      if (!Object.values(TrialState).includes(rt.state))
        throw bad('unknown trial state', { index, state: rt.state });
      const distributions: Record<string, Distribution> = {};
      const params: Record<string, ParamValue> = {};
      for (const [name, d] of Object.entries(rt.distributions ?? {})) {
        const dist = parseDistribution(d);
        const value = (rt.params ?? {})[name];
        if (value === undefined || !contains(dist, value))
          throw bad('a parameter value is outside its distribution', { index, param: name });
        distributions[name] = dist;
        params[name] = value;
        study.checkKind(name, dist);
      }
      const intermediateValues = new Map<number, number>();
      let lastStep: number | null = null;
      for (const pair of rt.intermediateValues ?? []) {
        const [step, v] = pair;
        if (!Number.isSafeInteger(step) || step < 0)
          throw bad('an intermediate step is not a non-negative integer', { index });
        intermediateValues.set(step, decodeNumber(v, 'intermediate value'));
        if (lastStep === null || step > lastStep) lastStep = step;
      }
      study.trials.push({
        number: index,
        state: rt.state,
        value: rt.value === null || rt.value === undefined ? null : decodeNumber(rt.value, 'value'),
        params,
        distributions,
        intermediateValues,
        lastStep,
        userAttrs: structuredCloneJson(rt.userAttrs ?? {}),
        systemAttrs: structuredCloneJson(rt.systemAttrs ?? {}),
      });
    });
    return study;
  }
}

/** Deep copy of JSON-compatible data (structuredClone would also copy non-JSON values silently). */
function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A handle on one RUNNING trial; it forwards to the study, which owns the state. */
export class Trial {
  constructor(
    private readonly study: Study,
    readonly number: number,
  ) {}

  get state(): TrialState {
    return this.study.getTrial(this.number).state;
  }

  get params(): Readonly<Record<string, ParamValue>> {
    return this.study.getTrial(this.number).params;
  }

  get distributions(): Readonly<Record<string, Distribution>> {
    return this.study.getTrial(this.number).distributions;
  }

  /** A float in [low, high]; `log` samples in log space, `step` restricts to low + k·step. */
  suggestFloat(
    name: string,
    low: number,
    high: number,
    options: { log?: boolean; step?: number | null } = {},
  ): number {
    return this.study.suggest(this.number, name, floatDistribution(low, high, options)) as number;
  }

  /** An integer in [low, high] (inclusive), optionally log-scaled (step 1) or on a step grid. */
  suggestInt(
    name: string,
    low: number,
    high: number,
    options: { log?: boolean; step?: number } = {},
  ): number {
    return this.study.suggest(this.number, name, intDistribution(low, high, options)) as number;
  }

  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.study.suggest(this.number, name, categoricalDistribution(choices)) as T;
  }

  /** Records an intermediate objective value at `step` (the first report of a step wins). */
  report(step: number, value: number): void {
    this.study.report(this.number, step, value);
  }

  /** Asks the study's pruner whether to stop this trial now. */
  shouldPrune(): boolean {
    return this.study.shouldPrune(this.number);
  }

  setUserAttr(key: string, value: JsonValue): void {
    this.study.setTrialUserAttr(this.number, key, value);
  }
}
