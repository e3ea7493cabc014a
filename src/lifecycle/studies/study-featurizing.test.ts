/**
 * Background featurisation of studies and training jobs on media data sets: the study is stored at once in state
 * `featurizing` with its progress, trials start when the features are ready, a failure is recorded
 * with its error code, `stop` cancels it, and a restart resumes it from the finished chunks.
 * Real parts: ffmpeg decoding, log-mel-stats, training jobs in worker threads, in-memory stores.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegDecoder } from '../../adapters/media-ffmpeg/index.js';
import type { AudioDecoder } from '../../core/ports/audio.js';
import { audioDataset, wav } from '../../../scripts/media-datasets.js';
import { MediaFeatures } from '../datasets/media-features.js';
import { ArtifactDatasetStore } from '../datasets/store.js';
import { MemoryArtifactStore } from '../datasets/testkit.js';
import { InMemoryTrainingJobStore } from '../training/memory-job-store.js';
import { TrainingJobs } from '../training/training-jobs.js';
import { InMemoryStudyStore } from './memory-study-store.js';
import { StudyRunner, type StudyEvent } from './study-runner.js';
import { datasetJobPreparer, submitDatasetJob } from './training-set.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface World {
  artifacts: MemoryArtifactStore;
  datasets: ArtifactDatasetStore;
  jobStore: InMemoryTrainingJobStore;
  studyStore: InMemoryStudyStore;
}

async function world(perClass: number): Promise<World> {
  const artifacts = new MemoryArtifactStore();
  const datasets = new ArtifactDatasetStore({ artifacts });
  await datasets.register({
    name: 'noise',
    source: { format: 'files', files: audioDataset(perClass, 3).map(([path, data]) => ({ path, data })) },
    split: { seed: 1, validationFraction: 0.25, testFraction: 0.25 },
  });
  return {
    artifacts,
    datasets,
    jobStore: new InMemoryTrainingJobStore(),
    studyStore: new InMemoryStudyStore(),
  };
}

/** The real ffmpeg decoder, counting decodes. */
function countingDecoder(): { decoder: AudioDecoder; calls: () => number } {
  const real = new FfmpegDecoder();
  let n = 0;
  return {
    decoder: {
      name: real.name,
      get version() {
        return real.version;
      },
      init: () => real.init(),
      status: () => real.status(),
      probe: (input, options) => real.probe(input, options),
      decode: (input, options) => {
        n++;
        return real.decode(input, options);
      },
      close: () => real.close(),
    },
    calls: () => n,
  };
}

function runner(w: World, decoder: AudioDecoder): { studies: StudyRunner; close: () => Promise<void> } {
  const jobs = new TrainingJobs({ store: w.jobStore, artifacts: w.artifacts, maxConcurrent: 2 });
  const studies = new StudyRunner({
    store: w.studyStore,
    jobs,
    datasets: w.datasets,
    mediaFeatures: new MediaFeatures({ artifacts: w.artifacts, datasets: w.datasets, audio: { decoder } }),
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await studies.close();
    await jobs.close();
  };
  closers.push(close);
  return { studies, close };
}

const spec = (name: string) => ({
  name,
  metric: 'valAccuracy',
  nTrials: 3,
  concurrency: 1,
  sampler: { type: 'random', seed: 3 },
  dataset: { id: 'noise' },
  featurizer: { type: 'audio-features' },
  training: { epochs: 3, batchSize: 16, earlyStopping: null },
  searchSpace: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  modelName: name,
});

describe('StudyRunner: media features in the background', () => {
  it('creates the study at once in state featurizing, reports progress, then runs the trials', async () => {
    const w = await world(4);
    const { decoder, calls } = countingDecoder();
    const { studies } = runner(w, decoder);
    const events: StudyEvent[] = [];
    studies.on((e) => events.push(e));
    const created = await studies.create(spec('bg'));
    // Nothing decoded inside create: the view is the featurizing study with its total.
    expect(created.state).toBe('featurizing');
    expect(created.featurization).toMatchObject({ done: 0, total: 12, finishedAt: null });
    expect(created.featurization?.featurizer).toMatch(/^audio-features\.log-mel-stats\./);
    expect(created.counts.running).toBe(0);
    const done = await studies.wait(created.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(calls()).toBe(12);
    const view = await studies.get(created.id);
    expect(view.featurization).toMatchObject({ done: 12, total: 12 });
    expect(view.featurization?.finishedAt).toBeGreaterThanOrEqual(view.featurization?.startedAt as number);
    expect(view.trials).toHaveLength(3);
    const progress = events.filter((e) => e.type === 'study-featurizing');
    expect(progress.at(-1)).toMatchObject({ done: 12, total: 12 });
    // The first trial started only after the features were ready.
    const firstTrial = events.findIndex((e) => e.type === 'trial-started');
    const ready = events.findIndex((e) => e.type === 'study-featurizing' && e.done === 12);
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(firstTrial).toBeGreaterThan(ready);
  }, 60_000);

  it('records a featurisation failure on the study with its error code and the file', async () => {
    const w = await world(3);
    await w.datasets.register({
      name: 'broken',
      source: {
        format: 'files',
        files: [
          ...audioDataset(2, 5).map(([path, data]) => ({ path, data })),
          { path: 'normal/zz-bad.wav', data: new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4, 87, 65, 86, 69]) },
          { path: 'normal/zz-ok.wav', data: wav(new Float32Array(1600).fill(0.1)) },
        ],
      },
      split: { seed: 1, validationFraction: 0.25, testFraction: 0.25 },
    });
    const { studies } = runner(w, new FfmpegDecoder());
    const created = await studies.create({ ...spec('broken'), dataset: { id: 'broken' } });
    expect(created.state).toBe('featurizing');
    const failed = await studies.wait(created.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toMatch(/^ERR_/);
    expect(failed.error?.message).toContain('normal/zz-bad.wav');
  }, 60_000);

  it('stop while featurizing cancels the study (no trial ran)', async () => {
    const w = await world(14);
    const { studies } = runner(w, new FfmpegDecoder());
    const created = await studies.create(spec('stopped'));
    const stopped = await studies.stop(created.id);
    expect(stopped.stopped).toBe(true);
    const done = await studies.wait(created.id);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('ERR_CANCELLED');
    expect(done.study.trials).toHaveLength(0);
  }, 60_000);

  it('a restart during featurisation resumes it from the finished chunks', async () => {
    const w = await world(14); // 42 files: chunks of 32 and 10
    const first = countingDecoder();
    const a = runner(w, first.decoder);
    const firstChunk = new Promise<void>((resolve) => {
      a.studies.on((e) => {
        if (e.type === 'study-featurizing' && e.done > 0) resolve();
      });
    });
    const created = await a.studies.create(spec('resumed'));
    await firstChunk;
    await a.close();
    const stored = await w.studyStore.get(created.id);
    expect(stored?.state).toBe('featurizing');
    expect(stored?.featurization?.done).toBe(32);
    expect(first.calls()).toBe(32);

    const second = countingDecoder();
    const b = runner(w, second.decoder);
    expect(await b.studies.recover()).toBe(1);
    const done = await b.studies.wait(created.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    // Only the unfinished chunk was decoded again.
    expect(second.calls()).toBe(10);
    expect(done.featurization).toMatchObject({ done: 42, total: 42 });
    expect(done.featurization?.startedAt).toBe(stored?.featurization?.startedAt);
  }, 90_000);
});

describe('TrainingJobs: media features in the background (POST /v1/training-jobs)', () => {
  function jobService(w: World, decoder: AudioDecoder): { jobs: TrainingJobs; media: MediaFeatures } {
    const media = new MediaFeatures({ artifacts: w.artifacts, datasets: w.datasets, audio: { decoder } });
    const jobs = new TrainingJobs({
      store: w.jobStore,
      artifacts: w.artifacts,
      prepare: datasetJobPreparer(w.datasets, media),
    });
    closers.push(() => jobs.close());
    return { jobs, media };
  }
  const request = {
    dataset: { id: 'noise' },
    featurizer: { type: 'audio-features', method: 'log-mel-stats' } as const,
    config: { epochs: 3, batchSize: 16 },
  };

  it('returns the job at once in state featurizing, then queues and trains it', async () => {
    const w = await world(4);
    const { decoder, calls } = countingDecoder();
    const { jobs, media } = jobService(w, decoder);
    const job = await submitDatasetJob({ datasets: w.datasets, jobs, media }, request);
    expect(job.state).toBe('featurizing');
    expect(job.featurization).toMatchObject({ done: 0, total: 12, finishedAt: null });
    expect(job.spec.source).toEqual({
      dataset: { id: 'noise', version: 1 },
      featurizer: { type: 'audio-features', method: 'log-mel-stats' },
    });
    const done = await jobs.wait(job.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(calls()).toBe(12);
    expect(done.featurization).toMatchObject({ done: 12, total: 12 });
    expect(done.dataKey).toMatch(/^training\/data\//);
    const head = await jobs.head(job.id);
    expect(head.inputDim).toBe(116);
  }, 60_000);

  it('cancels a featurizing job, and resumes one interrupted by a restart', async () => {
    const w = await world(14);
    const a = jobService(w, new FfmpegDecoder());
    const cancelled = await submitDatasetJob({ datasets: w.datasets, jobs: a.jobs, media: a.media }, request);
    const c = await a.jobs.cancel(cancelled.id);
    expect(c.state).toBe('cancelled');

    const firstChunk = new Promise<void>((resolve) => {
      a.jobs.on((e) => {
        if (e.type === 'job-featurizing' && e.done > 0) resolve();
      });
    });
    const job = await submitDatasetJob({ datasets: w.datasets, jobs: a.jobs, media: a.media }, request);
    await firstChunk;
    await a.jobs.close();
    expect((await w.jobStore.get(job.id))?.state).toBe('featurizing');
    expect((await w.jobStore.get(cancelled.id))?.state).toBe('cancelled');

    const second = countingDecoder();
    const b = jobService(w, second.decoder);
    await b.jobs.recover();
    const done = await b.jobs.wait(job.id);
    expect(done.state).toBe('succeeded');
    // Only the unfinished chunk (10 of 42 files) was decoded again.
    expect(second.calls()).toBe(10);
    expect((await w.jobStore.get(cancelled.id))?.state).toBe('cancelled');
  }, 90_000);
});
