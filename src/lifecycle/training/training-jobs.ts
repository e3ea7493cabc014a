/**
 * Training as jobs: queued, run in worker threads with bounded concurrency, progress per epoch,
 * cancellable, and resumable after a crash with bit-identical results.
 *
 * - Never blocks inference: training runs in `worker_threads` Workers; the main thread only moves
 *   bytes to and from the stores. `maxConcurrent` (default 1) bounds the CPU share: each job is
 *   one thread, so at most that many cores train while the rest serve.
 * - Durable progress: after every epoch the worker's checkpoint is written to the artifact store,
 *   then the job record (history, checkpointKey) is updated, then the worker is acknowledged.
 * - Crashes: a worker that dies without finishing is restarted from the last checkpoint (up to
 *   `maxAttempts` starts). After a process restart, `recover()` requeues jobs that were running;
 *   they continue from their checkpoints. Because a checkpoint is the trainer's entire state,
 *   the final weights equal those of an uninterrupted run.
 * - Data: the caller's TrainingData is stored content-addressed (training/data/sha256/<hex>), so a
 *   job record stays small and a resumed job reads exactly the same bytes.
 * - Media features in the background (`submitFeaturizing`): a job on an image/audio/video data
 *   set is stored at once in state `featurizing`; the `prepare` hook computes its TrainingData
 *   (cached per data set version and chunk by MediaFeatures) with progress in `featurization`, then
 *   the job is queued. Cancel aborts it; close() interrupts it and recover() resumes it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { ErrorCatalog, KaleidoError, isKaleidoError, type ErrorCode } from '../../core/errors.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import { servingModelName } from '../../core/security/tenancy.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import {
  TrainingJobState,
  isFinishedJobState,
  type HeadPublisher,
  type PublishTarget,
  type TrainingJobRecord,
  type TrainingJobResult,
  type TrainingJobSpec,
  type TrainingJobStore,
} from '../../core/ports/training-jobs.js';
import { decodeHead, encodeTrainingData } from '../../core/train/codec.js';
import {
  resolveTrainConfig,
  type EpochMetrics,
  type TrainConfig,
  type TrainedHead,
  type TrainingData,
} from '../../core/train/types.js';
import type { FromTrainingWorker, ToTrainingWorker, TrainingWorkerData } from './protocol.js';
import { startTrainingWorker } from './worker-entry.js';

export type TrainingJobEvent =
  | { readonly type: 'job-queued'; readonly jobId: string }
  | {
      /** Background featurisation progress of a `featurizing` job (files done of total). */
      readonly type: 'job-featurizing';
      readonly jobId: string;
      readonly done: number;
      readonly total: number;
    }
  | {
      readonly type: 'job-started';
      readonly jobId: string;
      readonly attempt: number;
      readonly resumedFromEpoch: number;
    }
  | {
      readonly type: 'job-epoch';
      readonly jobId: string;
      readonly metrics: EpochMetrics;
      readonly maxEpochs: number;
    }
  | {
      readonly type: 'job-retrying';
      readonly jobId: string;
      readonly attempt: number;
      readonly reason: string;
    }
  | { readonly type: 'job-succeeded'; readonly jobId: string; readonly result: TrainingJobResult }
  | { readonly type: 'job-failed'; readonly jobId: string; readonly error: { code: string; message: string } }
  | { readonly type: 'job-cancelled'; readonly jobId: string };

export interface SubmitTrainingJob {
  readonly data: TrainingData;
  readonly config?: Partial<TrainConfig>;
  /** Export the trained head to this model when the job succeeds (needs a publisher). */
  readonly publish?: PublishTarget;
  readonly description?: string;
  /**
   * The owner (default: the system tenant). A tenant's published model is served under its
   * tenant-qualified name (core/security/tenancy.ts `servingModelName`).
   */
  readonly tenantId?: string;
}

/** A job whose TrainingData is computed in the background (see the module comment). */
export interface SubmitFeaturizingJob extends Omit<SubmitTrainingJob, 'data'> {
  readonly source: NonNullable<TrainingJobSpec['source']>;
  /** The featuriser id (as in the feature cache key) and the number of files, for progress. */
  readonly featurizer: string;
  readonly total: number;
}

/** Computes a featurising job's TrainingData (wired to the data set store and MediaFeatures). */
export type PrepareTrainingData = (
  job: TrainingJobRecord,
  options: {
    readonly onProgress: (done: number, total: number) => void;
    readonly signal: { readonly aborted: boolean };
  },
) => Promise<TrainingData>;

export interface TrainingJobsOptions {
  /** Computes the data of jobs submitted with `submitFeaturizing`; without it they are refused. */
  readonly prepare?: PrepareTrainingData;
  readonly store: TrainingJobStore;
  readonly artifacts: ArtifactStore;
  readonly publisher?: HeadPublisher;
  /** Jobs training at the same time (each one worker thread). Default 1. */
  readonly maxConcurrent?: number;
  /** Worker starts per job before it fails (a crash restarts from the checkpoint). Default 3. */
  readonly maxAttempts?: number;
  /** Wall clock, ms since the epoch. */
  readonly now?: () => number;
  readonly newId?: () => string;
  /** Starts a worker; replaceable so tests can reach the thread (e.g. to kill it). */
  readonly createWorker?: (data: TrainingWorkerData) => Worker;
}

interface Running {
  readonly worker: Worker;
  /** Settles when the thread has exited. */
  readonly exited: Promise<void>;
  cancelRequested: boolean;
  /** Messages are handled one at a time, in order. */
  chain: Promise<void>;
  finished: boolean;
}

const dataKey = (sha: string): string => `training/data/sha256/${sha}`;
const checkpointKey = (id: string): string => `training/jobs/${id}/checkpoint.bin`;
const headKey = (id: string): string => `training/jobs/${id}/head.bin`;

export class TrainingJobs {
  private readonly store: TrainingJobStore;
  private readonly artifacts: ArtifactStore;
  private readonly publisher: HeadPublisher | undefined;
  private readonly prepareData: PrepareTrainingData | undefined;
  private readonly maxConcurrent: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly createWorker: (data: TrainingWorkerData) => Worker;
  private readonly running = new Map<string, Running>();
  private readonly starting = new Set<string>();
  /** Featurising jobs of this process: their abort signal and background task. */
  private readonly preparing = new Map<string, { signal: { aborted: boolean }; task: Promise<void> }>();
  private readonly listeners = new Set<(e: TrainingJobEvent) => void>();
  private readonly waiters = new Map<string, Array<(job: TrainingJobRecord) => void>>();
  private pumping: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: TrainingJobsOptions) {
    this.store = options.store;
    this.artifacts = options.artifacts;
    this.publisher = options.publisher;
    this.prepareData = options.prepare;
    this.maxConcurrent = options.maxConcurrent ?? 1;
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isSafeInteger(this.maxConcurrent) || this.maxConcurrent < 1) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'maxConcurrent must be a positive integer', {
        details: { field: 'maxConcurrent' },
      });
    }
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'maxAttempts must be a positive integer', {
        details: { field: 'maxAttempts' },
      });
    }
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
    this.createWorker = options.createWorker ?? ((d) => startTrainingWorker(d));
  }

  /** Subscribes to job events; returns the unsubscribe function. */
  on(listener: (event: TrainingJobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates, stores the data, queues the job and returns its record (state queued). */
  async submit(request: SubmitTrainingJob): Promise<TrainingJobRecord> {
    this.checkOpen();
    const config = resolveTrainConfig(request.config);
    if (request.publish !== undefined && this.publisher === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'publishing needs a model publisher; none is configured', {
        details: { field: 'publish' },
      });
    }
    const tenantId = request.tenantId ?? SYSTEM_TENANT;
    const publish =
      request.publish === undefined
        ? undefined
        : { ...request.publish, modelName: servingModelName(tenantId, request.publish.modelName) };
    const bytes = encodeTrainingData(request.data);
    const key = dataKey(createHash('sha256').update(bytes).digest('hex'));
    if ((await this.artifacts.stat(key)) === undefined) await this.artifacts.put(key, bytes);
    const job: TrainingJobRecord = {
      id: this.newId(),
      tenantId,
      state: TrainingJobState.QUEUED,
      spec: {
        dataKey: key,
        config,
        ...(publish === undefined ? {} : { publish }),
        ...(request.description === undefined ? {} : { description: request.description }),
      },
      createdAt: this.now(),
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      history: [],
      checkpointKey: null,
      result: null,
      error: null,
    };
    await this.store.insert(job);
    this.emit({ type: 'job-queued', jobId: job.id });
    this.pump();
    return job;
  }

  /** With `tenantId`, another tenant's job is not found (exactly like a missing one). */
  async get(id: string, tenantId?: string): Promise<TrainingJobRecord> {
    const job = await this.store.get(id, tenantId);
    if (job === undefined)
      throw new KaleidoError('ERR_NOT_FOUND', `no training job ${id}`, { details: { id } });
    return job;
  }

  /** Jobs, optionally of some states and of one tenant (without `tenantId`: every tenant's). */
  list(filter?: {
    readonly states?: readonly TrainingJobState[];
    readonly tenantId?: string;
  }): Promise<TrainingJobRecord[]> {
    return this.store.list(filter);
  }

  /**
   * Stores a job in state `featurizing` at once and computes its data in the background (the
   * `prepare` hook); it is queued when the data is ready, or fails with the featurisation's error.
   */
  async submitFeaturizing(request: SubmitFeaturizingJob): Promise<TrainingJobRecord> {
    this.checkOpen();
    if (this.prepareData === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'background featurisation is not configured', {
        details: { field: 'featurizer' },
      });
    }
    const config = resolveTrainConfig(request.config);
    if (request.publish !== undefined && this.publisher === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'publishing needs a model publisher; none is configured', {
        details: { field: 'publish' },
      });
    }
    const tenantId = request.tenantId ?? SYSTEM_TENANT;
    const publish =
      request.publish === undefined
        ? undefined
        : { ...request.publish, modelName: servingModelName(tenantId, request.publish.modelName) };
    const now = this.now();
    const job: TrainingJobRecord = {
      id: this.newId(),
      tenantId,
      state: TrainingJobState.FEATURIZING,
      spec: {
        dataKey: '',
        source: request.source,
        config,
        ...(publish === undefined ? {} : { publish }),
        ...(request.description === undefined ? {} : { description: request.description }),
      },
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      history: [],
      checkpointKey: null,
      result: null,
      error: null,
      dataKey: null,
      featurization: {
        featurizer: request.featurizer,
        done: 0,
        total: request.total,
        startedAt: now,
        finishedAt: null,
      },
    };
    await this.store.insert(job);
    this.featurize(job);
    return job;
  }

  /** The background featurisation of a `featurizing` job (see submitFeaturizing). */
  private featurize(job: TrainingJobRecord): void {
    const prepare = this.prepareData;
    if (prepare === undefined || this.preparing.has(job.id)) return;
    const signal = { aborted: false };
    const id = job.id;
    const base = job.featurization ?? {
      featurizer: 'unknown',
      done: 0,
      total: 0,
      startedAt: this.now(),
      finishedAt: null,
    };
    let writes: Promise<unknown> = Promise.resolve();
    let last = -1;
    const onProgress = (done: number, total: number): void => {
      if (done === last) return;
      last = done;
      this.emit({ type: 'job-featurizing', jobId: id, done, total });
      writes = writes
        .then(() =>
          this.store.update(
            id,
            { featurization: { ...base, done, total, finishedAt: null } },
            TrainingJobState.FEATURIZING,
          ),
        )
        .catch(() => undefined); // cancelled meanwhile: the state check refused the write
    };
    const task = (async () => {
      try {
        const data = await prepare(job, { onProgress, signal });
        await writes;
        if (this.closed || signal.aborted) return;
        const dataKey = await this.storeData(data);
        await this.store.update(
          id,
          {
            state: TrainingJobState.QUEUED,
            dataKey,
            featurization: { ...base, done: base.total, finishedAt: this.now() },
          },
          TrainingJobState.FEATURIZING,
        );
        this.emit({ type: 'job-queued', jobId: id });
        this.pump();
      } catch (e) {
        await writes;
        // Closing: left `featurizing` for recover(); cancelled: cancel() recorded it.
        if (this.closed || signal.aborted) return;
        await this.failJob(id, e).catch(() => undefined);
      }
    })().finally(() => this.preparing.delete(id));
    this.preparing.set(id, { signal, task });
  }

  private async storeData(data: TrainingData): Promise<string> {
    const bytes = encodeTrainingData(data);
    const key = dataKey(createHash('sha256').update(bytes).digest('hex'));
    if ((await this.artifacts.stat(key)) === undefined) await this.artifacts.put(key, bytes);
    return key;
  }

  /** Resolves with the record once the job is succeeded, failed or cancelled. */
  wait(id: string): Promise<TrainingJobRecord> {
    return new Promise((resolve, reject) => {
      // Register first, then look: a job that finishes in between still resolves the waiter.
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
      const forget = (): void => {
        const rest = (this.waiters.get(id) ?? []).filter((w) => w !== resolve);
        if (rest.length > 0) this.waiters.set(id, rest);
        else this.waiters.delete(id);
      };
      this.get(id).then(
        (job) => {
          if (!isFinishedJobState(job.state)) return;
          forget();
          resolve(job);
        },
        (e: unknown) => {
          forget();
          reject(e);
        },
      );
    });
  }

  /** The trained head of a succeeded job. */
  async head(id: string): Promise<TrainedHead> {
    const job = await this.get(id);
    if (job.result === null) {
      throw new KaleidoError(
        'ERR_INVALID_STATE',
        `training job ${id} has no trained head (it is ${job.state})`,
        {
          details: { id, state: job.state },
        },
      );
    }
    return decodeHead(await this.artifacts.get(job.result.headKey));
  }

  /** Cancels a queued or running job (a running worker is terminated). ERR_INVALID_STATE when finished. */
  async cancel(id: string, tenantId?: string): Promise<TrainingJobRecord> {
    const job = await this.get(id, tenantId);
    if (isFinishedJobState(job.state)) {
      throw new KaleidoError('ERR_INVALID_STATE', `training job ${id} is already ${job.state}`, {
        details: { id, state: job.state },
      });
    }
    const prep = this.preparing.get(id);
    if (prep !== undefined || job.state === TrainingJobState.FEATURIZING) {
      if (prep !== undefined) prep.signal.aborted = true;
      const cancelled = await this.finish(id, TrainingJobState.FEATURIZING, {
        state: TrainingJobState.CANCELLED,
      });
      this.emit({ type: 'job-cancelled', jobId: id });
      return cancelled;
    }
    const run = this.running.get(id);
    if (run !== undefined) {
      run.cancelRequested = true;
      await run.worker.terminate();
      // The exit handler records the cancellation (or the success that raced it).
      return this.wait(id);
    }
    const cancelled = await this.finish(id, job.state, { state: TrainingJobState.CANCELLED });
    this.emit({ type: 'job-cancelled', jobId: id });
    return cancelled;
  }

  /**
   * After a restart: jobs left running by a previous process go back to the queue (they resume
   * from their last checkpoint), and queued jobs are scheduled. Returns how many were requeued.
   */
  async recover(): Promise<number> {
    this.checkOpen();
    let requeued = 0;
    for (const job of await this.store.list({ states: [TrainingJobState.RUNNING] })) {
      if (this.running.has(job.id) || this.starting.has(job.id)) continue;
      await this.store.update(job.id, { state: TrainingJobState.QUEUED }, TrainingJobState.RUNNING);
      requeued++;
    }
    // Jobs interrupted while featurising continue (finished chunks come from the feature cache).
    for (const job of await this.store.list({ states: [TrainingJobState.FEATURIZING] })) {
      this.featurize(job);
    }
    this.pump();
    return requeued;
  }

  /**
   * Stops: no new jobs start, running workers are terminated, and their jobs stay "running" in the
   * store, exactly as after a crash, so the next process's recover() resumes them.
   */
  async close(): Promise<void> {
    this.closed = true;
    const preps = [...this.preparing.values()];
    for (const p of preps) p.signal.aborted = true;
    await Promise.all(preps.map((p) => p.task));
    await this.pumping;
    const runs = [...this.running.values()];
    await Promise.all(runs.map((r) => r.worker.terminate()));
    await Promise.all(runs.map((r) => r.exited));
    // Read each chain after the exit: the exit handler extended it.
    await Promise.all(runs.map((r) => r.chain));
  }

  private checkOpen(): void {
    if (this.closed) throw new KaleidoError('ERR_SHUTTING_DOWN', 'the training service is closed');
  }

  private emit(event: TrainingJobEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must not break training bookkeeping.
      }
    }
  }

  /** Starts queued jobs while there is capacity (serialised, so capacity is never overshot). */
  private pump(): void {
    this.pumping = this.pumping
      .then(async () => {
        while (!this.closed && this.running.size + this.starting.size < this.maxConcurrent) {
          const next = (await this.store.list({ states: [TrainingJobState.QUEUED] })).find(
            (j) => !this.running.has(j.id) && !this.starting.has(j.id),
          );
          if (next === undefined) return;
          this.starting.add(next.id);
          try {
            await this.startAttempt(next);
          } catch (e) {
            await this.failJob(next.id, e);
          } finally {
            this.starting.delete(next.id);
          }
        }
      })
      .catch(() => undefined);
  }

  private async startAttempt(queued: TrainingJobRecord): Promise<void> {
    const attempt = queued.attempts + 1;
    const job = await this.store.update(
      queued.id,
      { state: TrainingJobState.RUNNING, attempts: attempt, startedAt: queued.startedAt ?? this.now() },
      TrainingJobState.QUEUED,
    );
    const data = await this.artifacts.get(job.dataKey ?? job.spec.dataKey);
    const checkpoint = job.checkpointKey === null ? null : await this.artifacts.get(job.checkpointKey);
    const worker = this.createWorker({ data, config: job.spec.config, checkpoint });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const run: Running = {
      worker,
      exited,
      cancelRequested: false,
      chain: Promise.resolve(),
      finished: false,
    };
    this.running.set(job.id, run);
    const enqueue = (fn: () => Promise<void>): void => {
      run.chain = run.chain.then(fn).catch(async (e: unknown) => {
        run.finished = true;
        await worker.terminate();
        await this.failJob(job.id, e);
      });
    };
    worker.on('message', (m: FromTrainingWorker) => enqueue(() => this.onMessage(job, attempt, run, m)));
    worker.on('error', (e: Error) =>
      enqueue(async () => this.onExit(job.id, attempt, run, `worker error: ${e.message}`)),
    );
    worker.on('exit', (code) => {
      enqueue(async () => this.onExit(job.id, attempt, run, `worker exited with code ${code}`));
      run.chain = run.chain.finally(() => {
        this.running.delete(job.id);
        this.pump();
      });
    });
  }

  private async onMessage(
    job: TrainingJobRecord,
    attempt: number,
    run: Running,
    m: FromTrainingWorker,
  ): Promise<void> {
    if (run.finished || run.cancelRequested || this.closed) return;
    switch (m.type) {
      case 'started':
        this.emit({ type: 'job-started', jobId: job.id, attempt, resumedFromEpoch: m.resumedFromEpoch });
        return;
      case 'epoch': {
        const key = checkpointKey(job.id);
        await this.artifacts.put(key, m.checkpoint);
        const current = await this.get(job.id);
        // The record's history ends at the last durable checkpoint; a resumed worker re-reports
        // nothing before it, so appending keeps one entry per epoch.
        await this.store.update(job.id, {
          history: [...current.history.filter((h) => h.epoch < m.metrics.epoch), m.metrics],
          checkpointKey: key,
        });
        this.emit({
          type: 'job-epoch',
          jobId: job.id,
          metrics: m.metrics,
          maxEpochs: job.spec.config.epochs,
        });
        const ack: ToTrainingWorker = { type: 'ack', epoch: m.metrics.epoch };
        run.worker.postMessage(ack);
        return;
      }
      case 'done': {
        run.finished = true;
        const bytes = m.head;
        await this.artifacts.put(headKey(job.id), bytes);
        const head = decodeHead(bytes);
        const model =
          job.spec.publish && this.publisher ? await this.publisher.publish(head, job.spec.publish) : null;
        const best = head.training.history.find((h) => h.epoch === head.training.bestEpoch) ?? null;
        const result: TrainingJobResult = {
          headKey: headKey(job.id),
          epochs: head.training.epochs,
          bestEpoch: head.training.bestEpoch,
          stopReason: head.training.stopReason,
          metrics: best,
          model,
        };
        await this.finish(job.id, TrainingJobState.RUNNING, { state: TrainingJobState.SUCCEEDED, result });
        this.emit({ type: 'job-succeeded', jobId: job.id, result });
        await run.worker.terminate();
        return;
      }
      case 'failed':
        run.finished = true;
        // The trainer refused the data or config: deterministic, so retrying would fail again.
        await this.failJob(job.id, new KaleidoError(asErrorCode(m.code), m.message));
        await run.worker.terminate();
        return;
    }
  }

  private async onExit(id: string, attempt: number, run: Running, reason: string): Promise<void> {
    if (run.finished) return;
    run.finished = true;
    if (run.cancelRequested) {
      await this.finish(id, TrainingJobState.RUNNING, { state: TrainingJobState.CANCELLED });
      this.emit({ type: 'job-cancelled', jobId: id });
      return;
    }
    // Closing: leave the job "running" for the next process's recover(), as a crash would.
    if (this.closed) return;
    if (attempt < this.maxAttempts) {
      await this.store.update(id, { state: TrainingJobState.QUEUED }, TrainingJobState.RUNNING);
      this.emit({ type: 'job-retrying', jobId: id, attempt, reason });
      return;
    }
    await this.failJob(
      id,
      new KaleidoError('ERR_INTERNAL', `training worker died ${attempt} times; last: ${reason}`),
    );
  }

  private async failJob(id: string, e: unknown): Promise<void> {
    const error = isKaleidoError(e)
      ? { code: e.code, message: e.message }
      : { code: 'ERR_INTERNAL', message: `training failed: ${(e as Error)?.message ?? String(e)}` };
    const job = await this.store.get(id);
    if (job === undefined || isFinishedJobState(job.state)) return;
    await this.finish(id, job.state, { state: TrainingJobState.FAILED, error });
    this.emit({ type: 'job-failed', jobId: id, error });
  }

  private async finish(
    id: string,
    from: TrainingJobState,
    patch: Pick<TrainingJobRecord, 'state'> & Partial<TrainingJobRecord>,
  ): Promise<TrainingJobRecord> {
    const job = await this.store.update(id, { ...patch, finishedAt: this.now() }, from);
    for (const resolve of this.waiters.get(id) ?? []) resolve(job);
    this.waiters.delete(id);
    return job;
  }
}

function asErrorCode(code: string): ErrorCode {
  return Object.hasOwn(ErrorCatalog, code) ? (code as ErrorCode) : 'ERR_INTERNAL';
}
