/**
 * The study runner: hyperparameter search over training jobs, durable across restarts.
 *
 * For each study it asks trials (core/hpo Study), samples their parameters, and trains each as a
 * TrainingJobs job (worker threads). Every epoch's validation metric is reported to the trial and
 * the pruner is asked; a pruned trial is told PRUNED and its job cancelled. A finished job is told
 * (COMPLETE with the metric of its kept epoch, or FAIL). At most `concurrency` trials run at once.
 * After the last trial: the best trial's head is evaluated on the test split, exported through the
 * HeadPublisher into the model repository, registered (signature, metrics, sha256, model card),
 * loaded for serving and given the study's alias (default `champion`).
 *
 * Durability: the study JSON (Study.toJSON) is written to the StudyStore after every ask, prune and
 * tell, and a trial is written *before* its job is submitted. The job's description names the
 * trial, so after a crash between the submit and the next write the job is found again instead of
 * being submitted twice. `recover()` reloads unfinished studies: running trials re-attach to their
 * jobs (which resume from their checkpoints), epochs trained while nobody listened are reported
 * and checked by the pruner as they would have been, and the search continues. Samplers derive
 * their randomness from (seed, trial number, parameter) and the history only, and checkpoints
 * make resumed training bit-identical, so with `concurrency: 1` a resumed study ends exactly as an
 * uninterrupted one; with more, the outcome depends on the order in which trials finish, as any
 * parallel asynchronous search does.
 *
 * Every change to one study runs on that study's own promise chain, so events (epochs, job ends,
 * API calls) never interleave half-way.
 *
 * Media featurisers (image, audio, video) are not computed inside `create`: the study is stored at
 * once in state `featurizing` after the cheap checks (data set, version, featuriser, split), the
 * feature matrix is computed in the background with its progress (files done of total) written to
 * the record, and the first trials are asked when it is ready. A failure fails the study with its
 * error code; a restart resumes the featurisation (finished chunks are cached by MediaFeatures);
 * `stop` during it cancels the study (no trial ran); `close` interrupts it, to be resumed.
 */
import { randomUUID } from 'node:crypto';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { ParamValue } from '../../core/hpo/distributions.js';
import { paramImportances } from '../../core/hpo/importance.js';
import { prunerFromSpec, samplerFromSpec } from '../../core/hpo/registry.js';
import { Study, Trial } from '../../core/hpo/study.js';
import { TrialState, type FrozenTrial, type JsonValue } from '../../core/hpo/types.js';
import type { DatasetStore } from '../../core/ports/dataset-store.js';
import type { ModelSignature } from '../../core/ports/registry-store.js';
import {
  StudyState,
  isFinishedStudyState,
  type StudyFeaturization,
  type StudyRecord,
  type StudySpec,
  type StudyStore,
} from '../../core/ports/study-store.js';
import {
  isFinishedJobState,
  type HeadPublisher,
  type PublishedModel,
  type TrainingJobRecord,
} from '../../core/ports/training-jobs.js';
import type { EpochMetrics, TrainedHead } from '../../core/train/types.js';
import type { RegistryService } from '../registry.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import { servingModelName } from '../../core/security/tenancy.js';
import type { TrackingService } from '../tracking.js';
import type { TrainingJobEvent, TrainingJobs } from '../training/training-jobs.js';
import { evaluateHead, evaluationMetrics, modelCard, type EvaluationReport } from './evaluation.js';
import { fairnessMetrics, fairnessOfHead, fairnessTags, type FairnessRecord } from '../fairness.js';
import { checkTrialConfigs, parseStudySpec, suggestTrialParams, trialConfig } from './spec.js';
import { isMediaFeaturizer, type MediaFeatures } from '../datasets/media-features.js';
import { FEATURIZER_TAG, servingRecord } from '../classify.js';
import {
  featurizeTrainingSet,
  featurizesInBackground,
  loadTrainingSet,
  resolveTrainingSet,
  type TrainingSet,
} from './training-set.js';

export type StudyEvent =
  | { readonly type: 'study-created'; readonly studyId: string; readonly name: string }
  | {
      /** Background featurisation progress (files done of total); `done === total` when ready. */
      readonly type: 'study-featurizing';
      readonly studyId: string;
      readonly done: number;
      readonly total: number;
    }
  | {
      readonly type: 'trial-started';
      readonly studyId: string;
      readonly trial: number;
      readonly params: Readonly<Record<string, ParamValue>>;
      readonly jobId: string;
    }
  | {
      readonly type: 'trial-epoch';
      readonly studyId: string;
      readonly trial: number;
      readonly epoch: number;
      readonly maxEpochs: number;
      readonly value: number | null;
    }
  | {
      readonly type: 'trial-finished';
      readonly studyId: string;
      readonly trial: number;
      readonly state: TrialState;
      readonly value: number | null;
    }
  | { readonly type: 'study-finalizing'; readonly studyId: string; readonly step: string }
  | { readonly type: 'study-completed'; readonly studyId: string; readonly result: Record<string, JsonValue> }
  | {
      readonly type: 'study-failed';
      readonly studyId: string;
      readonly error: { code: string; message: string };
    };

export interface StudyRunnerOptions {
  readonly store: StudyStore;
  readonly jobs: TrainingJobs;
  readonly datasets: DatasetStore;
  /** Exports the best head into the model repository; without it a study ends after evaluation. */
  readonly publisher?: HeadPublisher;
  /** Registers the exported model and sets the alias (needs `publisher`). */
  readonly registry?: RegistryService;
  /** Records the study and each trial as MLflow-style runs (params, per-epoch metrics, status). */
  readonly tracking?: TrackingService;
  /** The OIP signature of an exported head (the exporter knows its tensor names). */
  readonly modelSignature?: (head: TrainedHead) => ModelSignature;
  /** Loads (or reloads) a published model for serving. */
  readonly loadModel?: (modelName: string) => Promise<void>;
  /** Image and audio featurisers (cached per data set version); without them those specs fail. */
  readonly mediaFeatures?: MediaFeatures;
  /** Reports errors that do not fail a study (a listener that throws, a cancel that lost a race). */
  readonly onError?: (error: unknown, context: Record<string, unknown>) => void;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/** One trial as the API shows it. */
export interface TrialView {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly intermediateValues: ReadonlyArray<readonly [number, number]>;
  readonly jobId: string | null;
  readonly runId: string | null;
  readonly failReason: string | null;
}

export interface StudyView {
  readonly id: string;
  readonly name: string;
  readonly state: StudyState;
  readonly spec: StudySpec;
  readonly stopped: boolean;
  readonly counts: Readonly<Record<'running' | 'complete' | 'pruned' | 'fail', number>>;
  readonly bestTrial: TrialView | null;
  /** First-order parameter importance over the complete trials (null with fewer than two). */
  readonly importance: Readonly<Record<string, number>> | null;
  readonly runId: string | null;
  readonly result: Readonly<Record<string, JsonValue>> | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Background featurisation of media features: progress while `featurizing`, then what it took. */
  readonly featurization: StudyFeaturization | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
  /** Present on `get`, left out of `list`. */
  readonly trials?: readonly TrialView[];
}

interface Active {
  record: StudyRecord;
  readonly study: Study;
  readonly spec: StudySpec;
  /** Featurised data, loaded once per process (lazily: a resumed study may need it only to finish). */
  set: Promise<TrainingSet> | undefined;
  chain: Promise<void>;
  /** Aborts a background featurisation (by `stop`, or by `close` to resume it after a restart). */
  readonly abort: { aborted: boolean };
  stopRequested: boolean;
}

/** The fairness step's result (study `result.fairness`). */
interface StudyFairness {
  readonly reports: FairnessRecord[];
  readonly errors: Array<{ attribute: string; message: string }>;
}

const JOB_ATTR = 'jobId';
const RUN_ATTR = 'runId';
const FAIL_REASON = 'fail_reason';
const STUDY_EXPERIMENT_PREFIX = 'kaleido-study-';

/** The description of a trial's job: how a job submitted just before a crash is found again. */
export const trialJobDescription = (studyId: string, trial: number): string =>
  `study ${studyId} trial ${trial}`;

const strAttr = (t: FrozenTrial, key: string): string | null => {
  const v = t.userAttrs[key];
  return typeof v === 'string' ? v : null;
};

function trialView(t: FrozenTrial): TrialView {
  const reason = t.systemAttrs[FAIL_REASON];
  return {
    number: t.number,
    state: t.state,
    value: t.value,
    params: t.params,
    intermediateValues: [...t.intermediateValues].sort((a, b) => a[0] - b[0]),
    jobId: strAttr(t, JOB_ATTR),
    runId: strAttr(t, RUN_ATTR),
    failReason: typeof reason === 'string' ? reason : null,
  };
}

function importanceOf(study: Study): Record<string, number> | null {
  if (study.getTrials([TrialState.COMPLETE]).length < 2) return null;
  try {
    return paramImportances(study);
  } catch {
    // Fewer than two finite values, or no parameter shared by every complete trial.
    return null;
  }
}

const errorOf = (e: unknown): { code: string; message: string } =>
  isKaleidoError(e)
    ? { code: e.code, message: e.message }
    : { code: 'ERR_INTERNAL', message: `study failed: ${(e as Error)?.message ?? String(e)}` };

export class StudyRunner {
  private readonly store: StudyStore;
  private readonly jobs: TrainingJobs;
  private readonly datasets: DatasetStore;
  private readonly options: StudyRunnerOptions;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly active = new Map<string, Active>();
  /** jobId → the study and trial it trains. */
  private readonly jobIndex = new Map<string, { active: Active; trial: number }>();
  private readonly listeners = new Set<(e: StudyEvent) => void>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(options: StudyRunnerOptions) {
    this.options = options;
    this.store = options.store;
    this.jobs = options.jobs;
    this.datasets = options.datasets;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
    if (options.registry !== undefined && options.publisher === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'registering study results needs a model publisher', {
        details: { field: 'publisher' },
      });
    }
    this.unsubscribe = this.jobs.on((e) => this.onJobEvent(e));
  }

  /** Subscribes to study events; returns the unsubscribe function. */
  on(listener: (event: StudyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates the spec, pins the data set version, stores the study and starts its trials. */
  async create(raw: unknown, tenantId: string = SYSTEM_TENANT): Promise<StudyView> {
    this.checkOpen();
    const input = parseStudySpec(raw);
    // The served name must be valid before anything runs (a tenant's is tenant-qualified).
    servingModelName(tenantId, input.modelName);
    if ((await this.store.getByName(input.name, tenantId)) !== undefined) {
      throw new KaleidoError('ERR_ALREADY_EXISTS', `a study named "${input.name}" already exists`, {
        details: { name: input.name },
      });
    }
    // The data set, its version and the featuriser are checked before anything is stored.
    const resolved = await resolveTrainingSet(
      this.datasets.forTenant(tenantId),
      input.dataset,
      input.featurizer,
      this.options.mediaFeatures,
    );
    const spec: StudySpec = {
      ...input,
      dataset: { id: resolved.version.name, version: resolved.version.version },
      featurizer: resolved.featurizer,
    };
    checkTrialConfigs(spec);
    const base = trialConfig(spec, {});
    if (resolved.split.validation.length === 0 && base.earlyStopping === null) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `data set ${resolved.version.name}@${resolved.version.version} has no validation rows and early stopping is off, so no trial could report ${spec.metric}`,
        { details: { field: 'training.earlyStopping' } },
      );
    }
    // Text and tabular features are computed here (milliseconds); media features in the background.
    const background = featurizesInBackground(spec.featurizer);
    const set = background ? undefined : await featurizeTrainingSet(resolved);
    const study = new Study({
      name: spec.name,
      direction: spec.direction,
      sampler: samplerFromSpec(spec.sampler),
      pruner: prunerFromSpec(spec.pruner),
    });
    const id = this.newId();
    const now = this.now();
    const runId = await this.startStudyRun(id, spec, tenantId);
    const record: StudyRecord = {
      id,
      tenantId,
      name: spec.name,
      state: background ? StudyState.FEATURIZING : StudyState.RUNNING,
      spec,
      study: study.toJSON(),
      runId,
      result: null,
      error: null,
      featurization: background
        ? {
            featurizer: this.featurizerIdOf(spec),
            done: 0,
            total: resolved.rows.length,
            startedAt: now,
            finishedAt: null,
          }
        : null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await this.store.insert(record);
    const active: Active = {
      record,
      study,
      spec,
      set: set === undefined ? undefined : Promise.resolve(set),
      chain: Promise.resolve(),
      abort: { aborted: false },
      stopRequested: false,
    };
    this.active.set(id, active);
    this.emit({ type: 'study-created', studyId: id, name: spec.name });
    this.enqueue(active, () => (background ? this.featurize(active) : this.schedule(active)));
    return this.view(record, true);
  }

  /** A study by id or by name, with its trials. */
  async get(idOrName: string, tenantId?: string): Promise<StudyView> {
    return this.view(await this.find(idOrName, tenantId), true);
  }

  /** Studies, optionally of one state set and one tenant (without `tenantId`: every tenant's). */
  async list(filter?: {
    readonly states?: readonly StudyState[];
    readonly tenantId?: string;
  }): Promise<StudyView[]> {
    return (await this.store.list(filter)).map((r) => this.view(r, false));
  }

  /** Asks no more trials; running ones finish, then the study completes with the best so far. */
  async stop(idOrName: string, tenantId?: string): Promise<StudyView> {
    const record = await this.find(idOrName, tenantId);
    const active = this.active.get(record.id);
    if (isFinishedStudyState(record.state) || active === undefined) {
      throw new KaleidoError('ERR_INVALID_STATE', `study ${record.name} is ${record.state}`, {
        details: { id: record.id, state: record.state },
      });
    }
    if (active.record.state === StudyState.FEATURIZING) {
      // Not on the chain (the featurisation holds it): it stops at its next chunk and the study
      // fails with ERR_CANCELLED, since no trial ran.
      active.stopRequested = true;
      active.abort.aborted = true;
      active.study.stop();
      return this.view(active.record, true);
    }
    await this.run(active, async () => {
      active.study.stop();
      await this.persist(active);
      await this.schedule(active);
    });
    return this.view(active.record, true);
  }

  /** Resolves with the record once the study is completed or failed. */
  wait(idOrName: string): Promise<StudyRecord> {
    return new Promise((resolve, reject) => {
      let id: string | undefined;
      // Studies that ended while the lookup below was in flight (before `id` was known).
      const endedMeanwhile = new Set<string>();
      const settle = (studyId: string): void => {
        off();
        this.store.get(studyId).then((r) => resolve(r as StudyRecord), reject);
      };
      const off = this.on((e) => {
        if (e.type !== 'study-completed' && e.type !== 'study-failed') return;
        if (id === undefined) endedMeanwhile.add(e.studyId);
        else if (e.studyId === id) settle(id);
      });
      this.find(idOrName).then(
        (record) => {
          id = record.id;
          if (isFinishedStudyState(record.state)) {
            off();
            resolve(record);
          } else if (endedMeanwhile.has(record.id)) settle(record.id);
        },
        (e: unknown) => {
          off();
          reject(e);
        },
      );
    });
  }

  /**
   * After a restart: reloads unfinished studies, re-attaches running trials to their jobs (and
   * reports the epochs they trained meanwhile), then recovers the training jobs themselves
   * (TrainingJobs.recover: running jobs resume from their checkpoints) and continues every study.
   * Returns how many studies were resumed.
   */
  async recover(): Promise<number> {
    this.checkOpen();
    const resumed: Active[] = [];
    for (const record of await this.store.list({
      states: [StudyState.RUNNING, StudyState.FEATURIZING],
    })) {
      if (this.active.has(record.id)) continue;
      try {
        const study = Study.fromJSON(record.study);
        const active: Active = {
          record,
          study,
          spec: record.spec,
          set: undefined,
          chain: Promise.resolve(),
          abort: { aborted: false },
          stopRequested: false,
        };
        this.active.set(record.id, active);
        resumed.push(active);
      } catch (e) {
        await this.store.update(record.id, {
          state: StudyState.FAILED,
          error: errorOf(e),
          updatedAt: this.now(),
          finishedAt: this.now(),
        });
      }
    }
    // Re-attach before the jobs resume, so no epoch they report is missed.
    await Promise.all(resumed.map((a) => this.run(a, () => this.reattach(a)).catch(() => undefined)));
    await this.jobs.recover();
    for (const a of resumed) {
      // A study interrupted while featurising continues it (finished chunks come from the cache).
      this.enqueue(a, () =>
        a.record.state === StudyState.FEATURIZING ? this.featurize(a) : this.schedule(a),
      );
    }
    return resumed.length;
  }

  /**
   * Stops driving studies: nothing new is asked or told. Running trials' jobs are left to
   * TrainingJobs.close() (close the runner first), and everything resumes with `recover()`.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    // Background featurisations stop at their next chunk; recover() resumes them.
    for (const a of this.active.values()) a.abort.aborted = true;
    await Promise.all([...this.active.values()].map((a) => a.chain));
  }

  // ---- internals ------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new KaleidoError('ERR_SHUTTING_DOWN', 'the study runner is closed');
  }

  private emit(event: StudyEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.options.onError?.(e, { event: event.type });
      }
    }
  }

  /** With `tenantId`, another tenant's study is not found (exactly like a missing one). */
  private async find(idOrName: string, tenantId?: string): Promise<StudyRecord> {
    const record =
      (await this.store.get(idOrName, tenantId)) ??
      (await this.store.getByName(idOrName, tenantId ?? SYSTEM_TENANT));
    if (record === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `no study ${idOrName}`, {
        details: { resource: 'study', id: idOrName },
      });
    }
    // The in-memory record of an active study is never older than the stored one.
    return this.active.get(record.id)?.record ?? record;
  }

  private view(record: StudyRecord, withTrials: boolean): StudyView {
    const active = this.active.get(record.id);
    const study = active?.study ?? Study.fromJSON(record.study);
    const trials = study.getTrials();
    const count = (s: TrialState): number => trials.filter((t) => t.state === s).length;
    const best = study.bestTrial;
    return {
      id: record.id,
      name: record.name,
      state: record.state,
      spec: record.spec,
      stopped: study.isStopped,
      counts: {
        running: count(TrialState.RUNNING),
        complete: count(TrialState.COMPLETE),
        pruned: count(TrialState.PRUNED),
        fail: count(TrialState.FAIL),
      },
      bestTrial: best === undefined ? null : trialView(best),
      importance: importanceOf(study),
      runId: record.runId,
      result: record.result,
      error: record.error,
      featurization: record.featurization ?? null,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      finishedAt: record.finishedAt,
      ...(withTrials ? { trials: trials.map(trialView) } : {}),
    };
  }

  /** Runs `fn` on the study's chain and resolves with it (API calls that must see the result). */
  private run(active: Active, fn: () => Promise<void>): Promise<void> {
    const next = active.chain.then(fn);
    active.chain = next.catch((e: unknown) => this.failStudy(active, e));
    return next;
  }

  /** Queues `fn` on the study's chain; a failure fails the study (unless the runner is closing). */
  private enqueue(active: Active, fn: () => Promise<void>): void {
    active.chain = active.chain.then(fn).catch((e: unknown) => this.failStudy(active, e));
  }

  private isLive(active: Active): boolean {
    return (
      !this.closed &&
      this.active.get(active.record.id) === active &&
      active.record.state === StudyState.RUNNING
    );
  }

  private async persist(active: Active, patch: Partial<StudyRecord> = {}): Promise<void> {
    active.record = await this.store.update(active.record.id, {
      study: active.study.toJSON(),
      updatedAt: this.now(),
      ...patch,
    });
  }

  /** The study's tenant: its data sets, experiments and registered models are that tenant's. */
  private tenantOf(active: Active): string {
    return active.record.tenantId ?? SYSTEM_TENANT;
  }

  private trackingFor(tenantId: string): TrackingService | undefined {
    return this.options.tracking?.forTenant(tenantId);
  }

  private trainingSet(active: Active): Promise<TrainingSet> {
    active.set ??= loadTrainingSet(
      this.datasets.forTenant(this.tenantOf(active)),
      active.spec.dataset,
      active.spec.featurizer,
      this.options.mediaFeatures,
    );
    return active.set;
  }

  private featurizerIdOf(spec: StudySpec): string {
    const media = this.options.mediaFeatures;
    return media !== undefined && isMediaFeaturizer(spec.featurizer)
      ? media.featurizerId(spec.featurizer)
      : spec.featurizer.type;
  }

  /**
   * The background featurisation of a `featurizing` study: computes (or reads) the feature matrix
   * with its progress written to the record, then starts the trials.
   */
  private async featurize(active: Active): Promise<void> {
    if (this.closed || this.active.get(active.record.id) !== active) return;
    if (active.record.state !== StudyState.FEATURIZING) return;
    const id = active.record.id;
    const started = active.record.featurization ?? null;
    const base = {
      featurizer: started?.featurizer ?? this.featurizerIdOf(active.spec),
      startedAt: started?.startedAt ?? this.now(),
      finishedAt: null,
    };
    // Progress writes are serialised and never block the featurisation.
    let writes: Promise<void> = Promise.resolve();
    let last = -1;
    const progress = (done: number, total: number): void => {
      if (done === last) return;
      last = done;
      this.emit({ type: 'study-featurizing', studyId: id, done, total });
      writes = writes
        .then(async () => {
          if (this.active.get(id) !== active || active.record.state !== StudyState.FEATURIZING) return;
          active.record = await this.store.update(
            id,
            { featurization: { ...base, done, total }, updatedAt: this.now() },
            StudyState.FEATURIZING,
          );
        })
        .catch((e: unknown) => this.options.onError?.(e, { studyId: id, action: 'featurization progress' }));
    };
    let set: TrainingSet;
    let total = 0;
    try {
      const resolved = await resolveTrainingSet(
        this.datasets.forTenant(this.tenantOf(active)),
        active.spec.dataset,
        active.spec.featurizer,
        this.options.mediaFeatures,
      );
      total = resolved.rows.length;
      set = await featurizeTrainingSet(resolved, this.options.mediaFeatures, {
        signal: active.abort,
        onProgress: progress,
      });
    } catch (e) {
      await writes;
      if (active.stopRequested && isKaleidoError(e) && e.code === 'ERR_CANCELLED') {
        throw new KaleidoError(
          'ERR_CANCELLED',
          `study ${active.spec.name} was stopped while its features were computed; no trial ran`,
          { details: { id } },
        );
      }
      // Closing: left `featurizing`, recover() resumes it.
      if (this.closed) return;
      throw e;
    }
    await writes;
    if (active.stopRequested) {
      throw new KaleidoError(
        'ERR_CANCELLED',
        `study ${active.spec.name} was stopped while its features were computed; no trial ran`,
        { details: { id } },
      );
    }
    if (this.closed) return; // resumed (from the cache) by recover()
    active.set = Promise.resolve(set);
    await this.persist(active, {
      state: StudyState.RUNNING,
      featurization: { ...base, done: total, total, finishedAt: this.now() },
    });
    this.emit({ type: 'study-featurizing', studyId: id, done: total, total });
    await this.schedule(active);
  }

  /** Asks and starts trials up to the concurrency; finishes the study when nothing is left to run. */
  private async schedule(active: Active): Promise<void> {
    if (!this.isLive(active)) return;
    const { study, spec } = active;
    let running = study.getTrials([TrialState.RUNNING]).length;
    while (!study.isStopped && study.getTrials().length < spec.nTrials && running < spec.concurrency) {
      let trial: Trial;
      try {
        trial = study.ask();
      } catch (e) {
        // An exhausted grid stops the study (Optuna's GridSampler does the same).
        if (isKaleidoError(e) && e.code === 'ERR_STUDY_STOPPED') {
          study.stop();
          break;
        }
        throw e;
      }
      suggestTrialParams(trial, spec);
      // The trial is durable before its job exists (see the module comment on crashes).
      await this.persist(active);
      await this.startTrial(active, trial.number, false);
      running++;
    }
    if (running === 0 && (study.isStopped || study.getTrials().length >= spec.nTrials)) {
      await this.finalize(active);
    }
  }

  /** Submits (or, when recovering, finds) the trial's job and starts following it. */
  private async startTrial(active: Active, number: number, recovering: boolean): Promise<void> {
    const { study, spec } = active;
    const trial = new Trial(study, number);
    const description = trialJobDescription(active.record.id, number);
    let jobId: string | undefined;
    if (recovering) jobId = (await this.jobs.list()).find((j) => j.spec.description === description)?.id;
    if (jobId === undefined) {
      const set = await this.trainingSet(active);
      jobId = (
        await this.jobs.submit({
          data: set.data,
          config: trialConfig(spec, trial.params),
          description,
          tenantId: this.tenantOf(active),
        })
      ).id;
    }
    trial.setUserAttr(JOB_ATTR, jobId);
    const runId = await this.startTrialRun(active, study.getTrial(number));
    if (runId !== null) trial.setUserAttr(RUN_ATTR, runId);
    await this.persist(active);
    this.follow(active, number, jobId);
    this.emit({
      type: 'trial-started',
      studyId: active.record.id,
      trial: number,
      params: trial.params,
      jobId,
    });
  }

  private follow(active: Active, trial: number, jobId: string): void {
    this.jobIndex.set(jobId, { active, trial });
    this.jobs.wait(jobId).then(
      (job) => this.enqueue(active, () => this.onJobFinished(active, trial, job)),
      (e: unknown) => this.enqueue(active, () => Promise.reject(e)),
    );
  }

  private onJobEvent(e: TrainingJobEvent): void {
    if (e.type !== 'job-epoch') return;
    const entry = this.jobIndex.get(e.jobId);
    if (entry === undefined) return;
    const { active, trial } = entry;
    this.enqueue(active, () => this.onEpoch(active, trial, e.metrics, e.maxEpochs));
  }

  private async onEpoch(
    active: Active,
    number: number,
    metrics: EpochMetrics,
    maxEpochs: number,
  ): Promise<void> {
    if (!this.isLive(active)) return;
    const t = active.study.getTrial(number);
    if (t.state !== TrialState.RUNNING) return;
    const value = metrics[active.spec.metric];
    this.emit({
      type: 'trial-epoch',
      studyId: active.record.id,
      trial: number,
      epoch: metrics.epoch,
      maxEpochs,
      value,
    });
    await this.logEpoch(active, t, metrics);
    if (await this.reportAndPrune(active, number, metrics)) await this.schedule(active);
  }

  /** Reports one epoch's metric; prunes (tell PRUNED, cancel the job) when the pruner says so. */
  private async reportAndPrune(active: Active, number: number, metrics: EpochMetrics): Promise<boolean> {
    const value = metrics[active.spec.metric];
    if (value === null) return false;
    const trial = new Trial(active.study, number);
    trial.report(metrics.epoch, value);
    if (!trial.shouldPrune()) return false;
    const t = active.study.tell(number, { state: 'PRUNED' });
    await this.persist(active);
    await this.endTrialRun(active, t, 'KILLED');
    this.emit({
      type: 'trial-finished',
      studyId: active.record.id,
      trial: number,
      state: t.state,
      value: t.value,
    });
    const jobId = strAttr(t, JOB_ATTR);
    if (jobId !== null) this.cancelQuietly(jobId);
    return true;
  }

  private cancelQuietly(jobId: string): void {
    this.jobIndex.delete(jobId);
    this.jobs.cancel(jobId).catch((e: unknown) => {
      // The job finished in the meantime: nothing to cancel.
      if (!(isKaleidoError(e) && (e.code === 'ERR_INVALID_STATE' || e.code === 'ERR_SHUTTING_DOWN'))) {
        this.options.onError?.(e, { jobId, action: 'cancel pruned trial' });
      }
    });
  }

  private async onJobFinished(active: Active, number: number, job: TrainingJobRecord): Promise<void> {
    this.jobIndex.delete(job.id);
    if (!this.isLive(active)) return;
    const { study, spec } = active;
    if (study.getTrial(number).state !== TrialState.RUNNING) return;
    // Epochs the trial has not heard of (a resumed job): recorded, not pruned — the job is done.
    const trial = new Trial(study, number);
    for (const h of job.history) {
      const v = h[spec.metric];
      if (v !== null && !study.getTrial(number).intermediateValues.has(h.epoch)) trial.report(h.epoch, v);
    }
    let t: FrozenTrial;
    if (job.state === 'succeeded') {
      const value = job.result?.metrics?.[spec.metric] ?? null;
      t =
        value === null
          ? study.tell(number, { state: 'FAIL', reason: `the training job reported no ${spec.metric}` })
          : study.tell(number, value);
    } else if (job.state === 'failed') {
      t = study.tell(number, {
        state: 'FAIL',
        reason: `training job ${job.id} failed: ${job.error?.code ?? 'ERR_INTERNAL'}: ${job.error?.message ?? ''}`,
      });
    } else {
      t = study.tell(number, { state: 'FAIL', reason: `training job ${job.id} was cancelled` });
    }
    await this.persist(active);
    await this.endTrialRun(active, t, t.state === TrialState.COMPLETE ? 'FINISHED' : 'FAILED');
    this.emit({
      type: 'trial-finished',
      studyId: active.record.id,
      trial: number,
      state: t.state,
      value: t.value,
    });
    await this.schedule(active);
  }

  /** Recovery of one study: running trials follow their jobs again; stray jobs of finished trials stop. */
  private async reattach(active: Active): Promise<void> {
    const { study } = active;
    for (const t of study.getTrials()) {
      const jobId = strAttr(t, JOB_ATTR);
      if (t.state !== TrialState.RUNNING) {
        // Pruned (or told) just before the crash, while its job still ran: stop the job.
        if (jobId !== null) {
          const job = await this.jobs.get(jobId).catch(() => undefined);
          if (job !== undefined && !isFinishedJobState(job.state)) this.cancelQuietly(jobId);
        }
        continue;
      }
      const job = jobId === null ? undefined : await this.jobs.get(jobId).catch(() => undefined);
      if (job === undefined) {
        await this.startTrial(active, t.number, true);
        continue;
      }
      // Epochs trained after the last write: report them and ask the pruner, as live.
      let pruned = false;
      for (const h of job.history) {
        if (study.getTrial(t.number).intermediateValues.has(h.epoch)) continue;
        if (await this.reportAndPrune(active, t.number, h)) {
          pruned = true;
          break;
        }
      }
      if (pruned) continue;
      this.follow(active, t.number, job.id);
    }
    await this.persist(active);
  }

  // ---- the end of a study -------------------------------------------------------------------------

  private step(active: Active, name: string): void {
    this.emit({ type: 'study-finalizing', studyId: active.record.id, step: name });
  }

  /**
   * Evaluate → export → register → serve → alias, each step recorded in `result` as it is done, so
   * a restart in the middle continues with the next step instead of repeating the ones done.
   */
  private async finalize(active: Active): Promise<void> {
    const { study, spec, record } = active;
    const best = study.bestTrial;
    if (best === undefined) {
      throw new KaleidoError('ERR_INVALID_STATE', `study ${spec.name} ended without a complete trial`, {
        details: { id: record.id, trials: study.getTrials().length },
      });
    }
    const jobId = strAttr(best, JOB_ATTR);
    if (jobId === null)
      throw new KaleidoError('ERR_INTERNAL', `the best trial ${best.number} has no training job`);
    const result: Record<string, JsonValue> = { ...(record.result ?? {}) };
    const importance = importanceOf(study);
    result['bestTrial'] = {
      number: best.number,
      value: best.value,
      params: best.params as Record<string, JsonValue>,
      jobId,
      runId: strAttr(best, RUN_ATTR),
    };
    result['importance'] = importance;
    const head = await this.jobs.head(jobId);

    if (result['evaluation'] === undefined) {
      this.step(active, 'evaluate');
      const set = await this.trainingSet(active);
      const useTest = set.test.y.length > 0;
      const rows = useTest ? set.test : set.data.validation;
      if (rows === undefined || rows.y.length === 0) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `data set ${spec.dataset.id}@${spec.dataset.version} has no test or validation rows to evaluate on`,
        );
      }
      result['evaluation'] = evaluateHead(
        head,
        rows,
        useTest ? 'test' : 'validation',
      ) as unknown as JsonValue;
      await this.persist(active, { result });
    }
    const evaluation = result['evaluation'] as unknown as EvaluationReport;
    // Fairness across the data set's sensitive attributes, on the same rows (lifecycle/fairness.ts).
    if (result['fairness'] === undefined) {
      this.step(active, 'fairness');
      const set = await this.trainingSet(active);
      const rows = evaluation.split === 'test' ? set.test : set.data.validation;
      result['fairness'] = (await fairnessOfHead({
        datasets: this.datasets.forTenant(this.tenantOf(active)),
        dataset: set.version,
        head,
        x: rows?.x ?? new Float32Array(),
        split: evaluation.split,
        featurizer: spec.featurizer,
        ...(spec.fairness?.thresholds === undefined ? {} : { thresholds: spec.fairness.thresholds }),
        ...(spec.fairness?.positiveLabel === undefined ? {} : { positiveLabel: spec.fairness.positiveLabel }),
        evaluatedAt: this.now(),
      })) as unknown as JsonValue;
      await this.persist(active, { result });
    }
    const fairness = result['fairness'] as unknown as StudyFairness;

    const publisher = this.options.publisher;
    if (publisher !== undefined && result['model'] === undefined) {
      this.step(active, 'export');
      const published = await publisher.publish(head, {
        modelName: servingModelName(this.tenantOf(active), spec.modelName),
      });
      result['model'] = { ...published, registeredVersion: null, alias: null, served: false };
      await this.persist(active, { result });
    }
    const registry = this.options.registry?.forTenant(this.tenantOf(active));
    const served = servingModelName(this.tenantOf(active), spec.modelName);
    if (registry !== undefined && result['model'] !== undefined) {
      const model = { ...(result['model'] as Record<string, JsonValue>) };
      if (model['registeredVersion'] === null) {
        this.step(active, 'register');
        const version = await this.register(
          active,
          head,
          model as unknown as PublishedModel,
          evaluation,
          best,
          importance,
          fairness,
        );
        model['registeredVersion'] = version.registered;
        model['version'] = version.published.version;
        model['location'] = version.published.location;
        result['model'] = model;
        await this.persist(active, { result });
      }
      if (model['served'] !== true && this.options.loadModel !== undefined) {
        this.step(active, 'serve');
        await this.options.loadModel(served);
        model['served'] = true;
        result['model'] = model;
        await this.persist(active, { result });
      }
      if (model['alias'] === null) {
        this.step(active, 'alias');
        await registry.setAlias(spec.modelName, spec.alias, model['registeredVersion'], 'study-runner');
        model['alias'] = spec.alias;
        result['model'] = model;
        await this.persist(active, { result });
      }
    } else if (result['model'] !== undefined && this.options.loadModel !== undefined) {
      const model = { ...(result['model'] as Record<string, JsonValue>) };
      if (model['served'] !== true) {
        this.step(active, 'serve');
        await this.options.loadModel(served);
        model['served'] = true;
        result['model'] = model;
      }
    }
    const now = this.now();
    await this.persist(active, { state: StudyState.COMPLETED, result, updatedAt: now, finishedAt: now });
    await this.endStudyRun(active, evaluation, best, 'FINISHED');
    this.active.delete(record.id);
    this.emit({ type: 'study-completed', studyId: record.id, result });
  }

  /**
   * Registers the published model. The repository version must equal the registry's version
   * number (serving resolves `model@alias` to that number); when the registry assigned another
   * number (versions deleted there), the head is published again under it — the export is
   * deterministic, so the recorded sha256 stays true, and that is checked.
   */
  private async register(
    active: Active,
    head: TrainedHead,
    published: PublishedModel,
    evaluation: EvaluationReport,
    best: FrozenTrial,
    importance: Record<string, number> | null,
    fairness: StudyFairness,
  ): Promise<{ registered: string; published: PublishedModel }> {
    const registry = (this.options.registry as RegistryService).forTenant(this.tenantOf(active));
    const { spec, study, record } = active;
    const set = await this.trainingSet(active);
    try {
      await registry.getRegisteredModel(spec.modelName);
    } catch (e) {
      if (!(isKaleidoError(e) && e.code === 'ERR_NOT_FOUND')) throw e;
      await registry
        .createRegisteredModel({
          name: spec.modelName,
          description: `Classifier produced by Kaleido studies on data set ${spec.dataset.id}.`,
        })
        .catch((err: unknown) => {
          // Created concurrently by another writer: fine.
          if (!(isKaleidoError(err) && err.code === 'ERR_ALREADY_EXISTS')) throw err;
        });
    }
    const signature = this.options.modelSignature?.(head) ?? null;
    const trials = study.getTrials();
    const card = modelCard({
      modelName: spec.modelName,
      head,
      featurizer: spec.featurizer,
      dataset: {
        id: set.version.name,
        version: set.version.version,
        sha256: set.version.sha256,
        rows: set.version.rowCount,
        classBalance: set.version.classBalance,
      },
      study: {
        id: record.id,
        name: spec.name,
        metric: spec.metric,
        direction: spec.direction,
        trials: trials.length,
        completed: trials.filter((t) => t.state === TrialState.COMPLETE).length,
        pruned: trials.filter((t) => t.state === TrialState.PRUNED).length,
        failed: trials.filter((t) => t.state === TrialState.FAIL).length,
        bestTrial: best.number,
        bestValue: best.value as number,
        params: best.params as Record<string, JsonValue>,
        importance,
      },
      evaluation,
      fairness,
      signature,
      trainingJobId: strAttr(best, JOB_ATTR) ?? '',
      createdAt: this.now(),
      // What POST /v1/classify needs to featurise raw content for this version (lifecycle/classify.ts).
      serving: servingRecord({
        featurizer: spec.featurizer,
        schema: set.version.schema,
        ...(this.options.mediaFeatures === undefined ? {} : { media: this.options.mediaFeatures }),
        ...(signature?.inputs[0] === undefined ? {} : { inputName: signature.inputs[0].name }),
        ...(signature?.outputs[0] === undefined ? {} : { outputName: signature.outputs[0].name }),
      }) as unknown as Record<string, JsonValue>,
    });
    const runId = strAttr(best, RUN_ATTR);
    const version = await registry.createModelVersion({
      name: spec.modelName,
      source: published.location,
      ...(runId === null ? {} : { runId }),
      description: `Best trial ${best.number} of study ${spec.name} (${spec.metric} ${best.value}).`,
      userId: 'study-runner',
      ...(signature === null ? {} : { signature }),
      metrics: {
        ...evaluationMetrics(evaluation),
        ...(fairness.reports.length === 0 ? {} : fairnessMetrics(fairness.reports)),
      },
      sha256: published.sha256,
      modelCard: card,
      tags: [
        { key: 'kaleido.study', value: spec.name },
        { key: 'kaleido.study.trial', value: String(best.number) },
        { key: 'kaleido.dataset.version', value: `${spec.dataset.id}@${spec.dataset.version}` },
        { key: FEATURIZER_TAG, value: spec.featurizer.type },
        ...(fairness.reports.length === 0 ? [] : fairnessTags(fairness.reports)),
      ],
    });
    if (version.version === String(published.version)) return { registered: version.version, published };
    const again = await (this.options.publisher as HeadPublisher).publish(head, {
      modelName: servingModelName(this.tenantOf(active), spec.modelName),
      version: Number(version.version),
    });
    if (again.sha256 !== published.sha256) {
      throw new KaleidoError(
        'ERR_INTERNAL',
        'republishing the head under the registry version changed its bytes',
        {
          details: { first: published.sha256, second: again.sha256 },
        },
      );
    }
    return { registered: version.version, published: again };
  }

  private async failStudy(active: Active, e: unknown): Promise<void> {
    // Closing (or a job service that closed first) is not the study's failure: recover() continues it.
    if (this.closed || (isKaleidoError(e) && e.code === 'ERR_SHUTTING_DOWN')) return;
    if (this.active.get(active.record.id) !== active) return;
    this.active.delete(active.record.id);
    const error = errorOf(e);
    this.options.onError?.(e, { studyId: active.record.id });
    try {
      const now = this.now();
      active.record = await this.store.update(active.record.id, {
        state: StudyState.FAILED,
        study: active.study.toJSON(),
        error,
        updatedAt: now,
        finishedAt: now,
      });
      const tracking = this.trackingFor(this.tenantOf(active));
      if (active.record.runId !== null && tracking !== undefined) {
        await tracking.updateRun(active.record.runId, { status: 'FAILED' });
      }
    } catch (storeError) {
      this.options.onError?.(storeError, { studyId: active.record.id, action: 'record failure' });
    }
    // Running trials' jobs would train for nothing now.
    for (const t of active.study.getTrials([TrialState.RUNNING])) {
      const jobId = strAttr(t, JOB_ATTR);
      if (jobId !== null) this.cancelQuietly(jobId);
    }
    this.emit({ type: 'study-failed', studyId: active.record.id, error });
  }

  // ---- tracking ---------------------------------------------------------------------------------

  private async startStudyRun(id: string, spec: StudySpec, tenantId: string): Promise<string | null> {
    const tracking = this.trackingFor(tenantId);
    if (tracking === undefined) return null;
    const experimentName = `${STUDY_EXPERIMENT_PREFIX}${spec.name}`;
    const experiment = await tracking.getExperimentByName(experimentName).catch(async (e: unknown) => {
      if (!(isKaleidoError(e) && e.code === 'ERR_NOT_FOUND')) throw e;
      return tracking.createExperiment({ name: experimentName });
    });
    const run = await tracking.createRun({
      experimentId: experiment.experimentId,
      runName: spec.name,
      userId: 'study-runner',
      tags: [{ key: 'kaleido.study.id', value: id }],
      lineage: { datasetVersion: `${spec.dataset.id}@${spec.dataset.version}`, parentStudy: spec.name },
    });
    await tracking.logBatch(run.info.runId, {
      params: [
        { key: 'metric', value: spec.metric },
        { key: 'direction', value: spec.direction },
        { key: 'n_trials', value: String(spec.nTrials) },
        { key: 'concurrency', value: String(spec.concurrency) },
        { key: 'sampler', value: JSON.stringify(spec.sampler) },
        { key: 'pruner', value: JSON.stringify(spec.pruner) },
        { key: 'search_space', value: JSON.stringify(spec.searchSpace) },
        { key: 'featurizer', value: JSON.stringify(spec.featurizer) },
      ],
    });
    return run.info.runId;
  }

  private async startTrialRun(active: Active, t: FrozenTrial): Promise<string | null> {
    const tracking = this.trackingFor(this.tenantOf(active));
    const parent = active.record.runId;
    if (tracking === undefined || parent === null) return null;
    const existing = strAttr(t, RUN_ATTR);
    if (existing !== null) return existing;
    const parentRun = await tracking.getRun(parent);
    const { spec } = active;
    const run = await tracking.createRun({
      experimentId: parentRun.info.experimentId,
      runName: `${spec.name}-trial-${t.number}`,
      userId: 'study-runner',
      tags: [{ key: 'kaleido.study.trial', value: String(t.number) }],
      lineage: {
        datasetVersion: `${spec.dataset.id}@${spec.dataset.version}`,
        parentStudy: spec.name,
        parentRunId: parent,
      },
    });
    const config = trialConfig(spec, t.params);
    await tracking.logBatch(run.info.runId, {
      params: [
        ...Object.entries(t.params).map(([key, value]) => ({ key, value: String(value) })),
        { key: 'kind', value: config.kind },
        { key: 'hidden_units', value: config.hiddenUnits.join(',') || 'none' },
        { key: 'learning_rate', value: String(config.learningRate) },
        { key: 'epochs', value: String(config.epochs) },
        { key: 'batch_size', value: String(config.batchSize) },
      ].filter((p, i, all) => all.findIndex((q) => q.key === p.key) === i),
    });
    return run.info.runId;
  }

  private async logEpoch(active: Active, t: FrozenTrial, m: EpochMetrics): Promise<void> {
    const tracking = this.trackingFor(this.tenantOf(active));
    const runId = strAttr(t, RUN_ATTR);
    if (tracking === undefined || runId === null) return;
    const timestamp = this.now();
    const pairs: Array<[string, number | null]> = [
      ['train_loss', m.trainLoss],
      ['val_loss', m.valLoss],
      ['val_accuracy', m.valAccuracy],
      ['val_macro_f1', m.valMacroF1],
    ];
    // Tracking keeps finite values only; a diverged loss is visible in the job's history instead.
    const metrics = pairs.flatMap(([key, value]) =>
      value !== null && Number.isFinite(value) ? [{ key, value, step: m.epoch, timestamp }] : [],
    );
    if (metrics.length > 0) await tracking.logBatch(runId, { metrics });
  }

  private async endTrialRun(
    active: Active,
    t: FrozenTrial,
    status: 'FINISHED' | 'FAILED' | 'KILLED',
  ): Promise<void> {
    const tracking = this.trackingFor(this.tenantOf(active));
    const runId = strAttr(t, RUN_ATTR);
    if (tracking === undefined || runId === null) return;
    if (t.value !== null && Number.isFinite(t.value)) {
      await tracking.logBatch(runId, {
        metrics: [{ key: 'objective', value: t.value, step: t.lastStep ?? 0 }],
      });
    }
    await tracking.updateRun(runId, { status });
  }

  private async endStudyRun(
    active: Active,
    evaluation: EvaluationReport,
    best: FrozenTrial,
    status: 'FINISHED',
  ): Promise<void> {
    const tracking = this.trackingFor(this.tenantOf(active));
    const runId = active.record.runId;
    if (tracking === undefined || runId === null) return;
    const metrics = Object.entries(evaluationMetrics(evaluation)).map(([key, value]) => ({
      key,
      value,
      step: 0,
    }));
    if (best.value !== null && Number.isFinite(best.value)) {
      metrics.push({ key: 'best_objective', value: best.value, step: best.number });
    }
    await tracking.logBatch(runId, {
      metrics,
      tags: [{ key: 'kaleido.study.best_trial', value: String(best.number) }],
    });
    await tracking.updateRun(runId, { status });
  }
}
