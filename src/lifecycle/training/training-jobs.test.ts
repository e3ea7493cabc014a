import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeadPublisher, PublishTarget, TrainingJobRecord } from '../../core/ports/training-jobs.js';
import { makeMoons } from '../../core/train/features.js';
import { trainHead } from '../../core/train/trainer.js';
import type { TrainConfig, TrainedHead, TrainingData } from '../../core/train/types.js';
import { MemoryArtifactStore } from '../datasets/testkit.js';
import { InMemoryTrainingJobStore } from './memory-job-store.js';
import { TrainingJobs, type TrainingJobEvent, type TrainingJobsOptions } from './training-jobs.js';
import { startTrainingWorker } from './worker-entry.js';

const moons = makeMoons(400, { noise: 0.15, extraNoiseDims: 3, seed: 21 });
const data: TrainingData = { classes: ['upper', 'lower'], dim: moons.dim, train: { x: moons.x, y: moons.y } };
const config: Partial<TrainConfig> = {
  kind: 'mlp',
  hiddenUnits: [16],
  epochs: 10,
  batchSize: 16,
  learningRate: 0.01,
  seed: 5,
  // Patience longer than the run: every run trains exactly `epochs` epochs.
  earlyStopping: { patience: 100, minDelta: 0 },
};

const bits = (head: TrainedHead): number[][] =>
  head.layers
    .flatMap((l) => [l.weight, l.bias])
    .map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

const reference = trainHead(data, config);

const open: TrainingJobs[] = [];
function service(options: Partial<TrainingJobsOptions> = {}): {
  jobs: TrainingJobs;
  events: TrainingJobEvent[];
  store: InMemoryTrainingJobStore;
  artifacts: MemoryArtifactStore;
} {
  const store = (options.store as InMemoryTrainingJobStore | undefined) ?? new InMemoryTrainingJobStore();
  const artifacts = (options.artifacts as MemoryArtifactStore | undefined) ?? new MemoryArtifactStore();
  let n = 0;
  const jobs = new TrainingJobs({ newId: () => `job-${++n}`, ...options, store, artifacts });
  const events: TrainingJobEvent[] = [];
  jobs.on((e) => events.push(e));
  open.push(jobs);
  return { jobs, events, store, artifacts };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
});

/** Resolves on the first event matching `predicate`. */
function next(jobs: TrainingJobs, predicate: (e: TrainingJobEvent) => boolean): Promise<TrainingJobEvent> {
  return new Promise((resolve) => {
    const off = jobs.on((e) => {
      if (predicate(e)) {
        off();
        resolve(e);
      }
    });
  });
}

describe('TrainingJobs', () => {
  it('runs queued jobs one at a time in workers: queued → running → succeeded, with per-epoch progress', async () => {
    const published: PublishTarget[] = [];
    const publisher: HeadPublisher = {
      publish: async (head, target) => {
        published.push(target);
        expect(head.classes).toEqual(['upper', 'lower']);
        return { modelName: target.modelName, version: 1, sha256: 'f'.repeat(64), location: 'memory' };
      },
    };
    const { jobs, events } = service({ publisher });
    const a = await jobs.submit({ data, config, publish: { modelName: 'moons' }, description: 'first' });
    const b = await jobs.submit({ data, config: { ...config, kind: 'logistic', hiddenUnits: [] } });
    expect(a.state).toBe('queued');
    const [doneA, doneB] = await Promise.all([jobs.wait(a.id), jobs.wait(b.id)]);
    expect(doneA.state).toBe('succeeded');
    expect(doneB.state).toBe('succeeded');
    expect(doneA.attempts).toBe(1);
    expect(doneA.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(doneA.result).toMatchObject({
      epochs: 10,
      stopReason: 'max-epochs',
      model: { modelName: 'moons', version: 1 },
    });
    expect(published).toEqual([{ modelName: 'moons' }]);
    // The worker's weights are the in-thread trainer's, bit for bit.
    expect(bits(await jobs.head(a.id))).toEqual(bits(reference));
    // Event order for job a, and never two jobs running at once (maxConcurrent 1).
    const forA = events.filter((e) => e.jobId === a.id).map((e) => e.type);
    expect(forA[0]).toBe('job-queued');
    expect(forA[1]).toBe('job-started');
    expect(forA.filter((t) => t === 'job-epoch')).toHaveLength(10);
    expect(forA.at(-1)).toBe('job-succeeded');
    let live = 0;
    let most = 0;
    for (const e of events) {
      if (e.type === 'job-started') most = Math.max(most, ++live);
      if (e.type === 'job-succeeded') live--;
    }
    expect(most).toBe(1);
    const epoch = events.find((e) => e.type === 'job-epoch');
    expect(epoch).toMatchObject({ maxEpochs: 10, metrics: { epoch: 1, valLoss: expect.any(Number) } });
  });

  it('cancels a running job (terminating its worker) and a queued one; finished jobs cannot be cancelled', async () => {
    const { jobs } = service();
    const running = await jobs.submit({ data, config: { ...config, epochs: 1000 } });
    const queued = await jobs.submit({ data, config });
    await next(jobs, (e) => e.type === 'job-epoch' && e.jobId === running.id && e.metrics.epoch === 2);
    const cancelled = await jobs.cancel(running.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.history.length).toBeLessThan(1000);
    // The queued job may have started once the slot freed; either way it can be cancelled.
    expect((await jobs.cancel(queued.id)).state).toBe('cancelled');
    await expect(jobs.cancel(running.id)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(jobs.head(running.id)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(jobs.get('nope')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('a worker killed mid-run is restarted from the last checkpoint and ends with identical weights', async () => {
    const workers: Worker[] = [];
    const { jobs, events } = service({
      createWorker: (d) => {
        const w = startTrainingWorker(d);
        workers.push(w);
        return w;
      },
    });
    const killed = next(jobs, (e) => e.type === 'job-epoch' && e.metrics.epoch === 3).then(() =>
      workers[0]?.terminate(),
    );
    const job = await jobs.submit({ data, config });
    await killed;
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(events.some((e) => e.type === 'job-retrying')).toBe(true);
    const restarts = events.filter((e) => e.type === 'job-started');
    expect(restarts.map((e) => (e as { resumedFromEpoch: number }).resumedFromEpoch)).toEqual([0, 3]);
    expect(done.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(bits(await jobs.head(job.id))).toEqual(bits(reference));
  });

  it('resumes after a process restart: recover() requeues running jobs from their checkpoints', async () => {
    const store = new InMemoryTrainingJobStore();
    const artifacts = new MemoryArtifactStore();
    const first = service({ store, artifacts });
    const job = await first.jobs.submit({ data, config });
    await next(first.jobs, (e) => e.type === 'job-epoch' && e.metrics.epoch === 4);
    await first.jobs.close(); // as a crash would: the job stays "running"
    const left: TrainingJobRecord = (await store.get(job.id))!;
    expect(left.state).toBe('running');
    expect(left.checkpointKey).not.toBeNull();
    await expect(first.jobs.submit({ data, config })).rejects.toMatchObject({ code: 'ERR_SHUTTING_DOWN' });

    const second = service({ store, artifacts });
    expect(await second.jobs.recover()).toBe(1);
    const done = await second.jobs.wait(job.id);
    expect(done.state).toBe('succeeded');
    const started = second.events.find((e) => e.type === 'job-started') as { resumedFromEpoch: number };
    expect(started.resumedFromEpoch).toBeGreaterThanOrEqual(4);
    expect(bits(await second.jobs.head(job.id))).toEqual(bits(reference));
  });

  it('a job the trainer refuses fails once with the trainer’s error (no retries)', async () => {
    const { jobs } = service();
    const tiny: TrainingData = {
      classes: ['a', 'b'],
      dim: 1,
      train: { x: Float32Array.of(0, 1, 2), y: Int32Array.of(0, 1, 0) },
    };
    const job = await jobs.submit({ data: tiny, config: { earlyStopping: { patience: 2, minDelta: 0 } } });
    const done = await jobs.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toEqual({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/at least 4 training rows/),
    });
    await expect(jobs.submit({ data, config: { epochs: 0 } })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(jobs.submit({ data, publish: { modelName: 'x' } })).rejects.toMatchObject({
      code: 'ERR_BAD_CONFIG',
    });
  });
});
