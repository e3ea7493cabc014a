/**
 * The study runner with real parts: training jobs in worker threads, the data set store over an
 * in-memory artifact store, the ONNX publisher into a temporary repository, and the registry and
 * tracking services on an in-memory SQLite database. The data is "two moons" (not linearly
 * separable: logistic regression tops out near 0.87, an MLP goes higher).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  HEAD_INPUT_NAME,
  HEAD_OUTPUT_NAME,
  OnnxRepositoryPublisher,
} from '../../adapters/onnx-export/index.js';
import { createSqliteLifecycleStores } from '../../adapters/store-sqlite/index.js';
import type { LifecycleStores } from '../../core/ports/lifecycle-store.js';
import type { ModelSignature } from '../../core/ports/registry-store.js';
import { makeMoons } from '../../core/train/features.js';
import type { TrainedHead } from '../../core/train/types.js';
import { ArtifactDatasetStore } from '../datasets/store.js';
import { MemoryArtifactStore } from '../datasets/testkit.js';
import { RegistryService } from '../registry.js';
import { TrackingService } from '../tracking.js';
import { InMemoryTrainingJobStore } from '../training/memory-job-store.js';
import { TrainingJobs } from '../training/training-jobs.js';
import { InMemoryStudyStore } from './memory-study-store.js';
import { StudyRunner, type StudyEvent, type TrialView } from './study-runner.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of result JSON in assertions
type Json = Record<string, any>;

const repoDir = mkdtempSync(join(tmpdir(), 'kaleido-studies-'));
afterAll(() => rmSync(repoDir, { recursive: true, force: true }));

const signatureOf = (head: TrainedHead): ModelSignature => ({
  inputs: [{ name: HEAD_INPUT_NAME, datatype: 'FP32', shape: [-1, head.inputDim] }],
  outputs: [{ name: HEAD_OUTPUT_NAME, datatype: 'FP32', shape: [-1, head.classes.length] }],
});

function moonsJsonl(rows: number): Uint8Array {
  const m = makeMoons(rows, { noise: 0.15, extraNoiseDims: 2, seed: 4 });
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const x = Array.from(m.x.subarray(i * m.dim, (i + 1) * m.dim), (v) => Math.round(v * 1e4) / 1e4);
    lines.push(JSON.stringify({ x, label: m.y[i] === 0 ? 'upper' : 'lower' }));
  }
  return new TextEncoder().encode(lines.join('\n'));
}

interface World {
  artifacts: MemoryArtifactStore;
  datasets: ArtifactDatasetStore;
  jobStore: InMemoryTrainingJobStore;
  studyStore: InMemoryStudyStore;
  lifecycle: LifecycleStores;
  loaded: string[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function world(): Promise<World> {
  const artifacts = new MemoryArtifactStore();
  const datasets = new ArtifactDatasetStore({ artifacts });
  await datasets.register({
    name: 'moons',
    source: { format: 'jsonl', content: moonsJsonl(400) },
    split: { seed: 1, validationFraction: 0.2, testFraction: 0.2 },
  });
  const lifecycle = createSqliteLifecycleStores({ path: ':memory:' });
  await lifecycle.migrate();
  closers.push(() => lifecycle.close());
  return {
    artifacts,
    datasets,
    jobStore: new InMemoryTrainingJobStore(),
    studyStore: new InMemoryStudyStore(),
    lifecycle,
    loaded: [],
  };
}

/** A runner (and its job service) over the world's stores: a "process". */
function runner(
  w: World,
  repository = repoDir,
): { studies: StudyRunner; jobs: TrainingJobs; close: () => Promise<void> } {
  const jobs = new TrainingJobs({ store: w.jobStore, artifacts: w.artifacts, maxConcurrent: 2 });
  const tracking = new TrackingService(w.lifecycle.tracking);
  const studies = new StudyRunner({
    store: w.studyStore,
    jobs,
    datasets: w.datasets,
    publisher: new OnnxRepositoryPublisher({ repositoryDir: repository }),
    registry: new RegistryService(w.lifecycle.registry, { tracking: w.lifecycle.tracking }),
    tracking,
    modelSignature: signatureOf,
    loadModel: async (name) => {
      w.loaded.push(name);
    },
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await studies.close();
    await jobs.close();
  };
  closers.push(close);
  return { studies, jobs, close };
}

const baseSpec = {
  metric: 'valAccuracy',
  dataset: { id: 'moons' },
  featurizer: { type: 'tabular' },
  training: { epochs: 4, batchSize: 32, earlyStopping: null },
};

const outcome = (trials: readonly TrialView[]) =>
  trials.map((t) => ({ number: t.number, state: t.state, value: t.value, params: t.params }));

describe('StudyRunner', () => {
  it('runs trials in parallel, then evaluates, exports, registers, serves and aliases the best', async () => {
    const w = await world();
    const { studies } = runner(w);
    const events: StudyEvent[] = [];
    studies.on((e) => events.push(e));
    let maxRunning = 0;
    studies.on(() => {
      void studies.get('moons-search').then((v) => (maxRunning = Math.max(maxRunning, v.counts.running)));
    });
    const created = await studies.create({
      ...baseSpec,
      name: 'moons-search',
      modelName: 'moons-head',
      sampler: { type: 'random', seed: 11 },
      pruner: { type: 'nop' },
      nTrials: 6,
      concurrency: 2,
      searchSpace: {
        model: { type: 'categorical', choices: ['logistic', 'mlp'] },
        lr: { type: 'float', low: 0.003, high: 0.1, log: true },
        hidden: { type: 'int', low: 4, high: 16 },
      },
    });
    expect(created.state).toBe('running');
    expect(created.spec.dataset).toEqual({ id: 'moons', version: 1 });
    expect(created.spec.direction).toBe('maximize');

    const done = await studies.wait('moons-search');
    expect(done.state).toBe('completed');
    const view = await studies.get(created.id);
    const trials = view.trials ?? [];
    expect(trials).toHaveLength(6);
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(maxRunning).toBe(2);
    // Conditional parameters: only mlp trials carry a hidden width.
    for (const t of trials) expect('hidden' in t.params).toBe(t.params['model'] === 'mlp');
    // Every epoch was reported, and the value is the kept (best-validation-loss) epoch's accuracy.
    for (const t of trials) expect(t.intermediateValues.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    const bestValue = Math.max(...trials.map((t) => t.value as number));
    expect(view.bestTrial?.value).toBe(bestValue);
    expect(view.importance).not.toBeNull();

    const result = view.result as Json;
    expect(result['bestTrial'].number).toBe(view.bestTrial?.number);
    const ev = result['evaluation'];
    expect(ev.split).toBe('test');
    expect(ev.rows).toBe(80);
    expect(ev.accuracy).toBeGreaterThan(0.8);
    expect(ev.confusionMatrix.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(80);
    expect(ev.rocAuc).toBeGreaterThan(0.85);
    expect(ev.perClass.map((c: { label: string }) => c.label)).toEqual(['lower', 'upper']);

    const model = result['model'];
    expect(model).toMatchObject({
      modelName: 'moons-head',
      version: 1,
      registeredVersion: '1',
      alias: 'champion',
      served: true,
    });
    expect(readFileSync(join(repoDir, 'moons-head', 'labels.txt'), 'utf8')).toBe('lower\nupper\n');
    expect(w.loaded).toEqual(['moons-head']);

    const registry = new RegistryService(w.lifecycle.registry);
    const version = await registry.getModelVersionByAlias('moons-head', 'champion');
    expect(version.version).toBe('1');
    expect(version.sha256).toBe(model.sha256);
    expect(version.signature?.inputs[0]).toEqual({ name: 'features', datatype: 'FP32', shape: [-1, 4] });
    expect(version.metrics['test_accuracy']).toBe(ev.accuracy);
    const card = version.modelCard as Json;
    expect(card['schema']).toBe('kaleido.model-card/v1');
    expect(card['markdown']).toContain('# Model card: moons-head');
    expect(card['markdown']).toContain(`| accuracy | ${ev.accuracy.toFixed(4)} |`);
    expect(version.runId).toBe(result['bestTrial'].runId);

    // Tracking: one parent run and one child run per trial, with per-epoch metrics.
    const tracking = new TrackingService(w.lifecycle.tracking);
    const experiment = await tracking.getExperimentByName('kaleido-study-moons-search');
    const runs = (await tracking.searchRuns({ experimentIds: [experiment.experimentId] })).runs;
    expect(runs).toHaveLength(7);
    const child = await tracking.getRun(trials[0]?.runId);
    expect(child.info.status).toBe('FINISHED');
    expect(child.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value).toBe(view.runId);
    expect((await tracking.getMetricHistory(child.info.runId, 'val_accuracy')).metrics).toHaveLength(4);

    expect(events.filter((e) => e.type === 'trial-finished')).toHaveLength(6);
    expect(events.at(-1)?.type).toBe('study-completed');
  });

  it('prunes trials whose intermediate values fall behind, cancelling their jobs', async () => {
    const w = await world();
    const { studies, jobs } = runner(w);
    const created = await studies.create({
      ...baseSpec,
      name: 'prune-me',
      sampler: { type: 'random', seed: 2 },
      pruner: { type: 'median', nStartupTrials: 1 },
      nTrials: 6,
      concurrency: 1,
      // A learning rate of 1e-6 leaves the head near its initial accuracy; 0.05 learns at once.
      searchSpace: { lr: { type: 'categorical', choices: [0.05, 0.000001] } },
      training: { epochs: 8, batchSize: 32, earlyStopping: null },
    });
    await studies.wait(created.id);
    const view = await studies.get(created.id);
    const trials = view.trials ?? [];
    const pruned = trials.filter((t) => t.state === 'PRUNED');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      expect(t.params['lr']).toBe(0.000001);
      expect(t.intermediateValues.length).toBeLessThan(8);
      expect(t.value).toBe(t.intermediateValues.at(-1)?.[1]);
      const job = await jobs.wait(t.jobId as string);
      expect(job.state).toBe('cancelled');
    }
    expect(view.bestTrial?.params['lr']).toBe(0.05);
    expect(view.state).toBe('completed');
  });

  it('resumes after a restart mid-study and ends exactly as an uninterrupted run', async () => {
    const spec = {
      ...baseSpec,
      sampler: { type: 'tpe', seed: 5, nStartupTrials: 2 },
      pruner: { type: 'median', nStartupTrials: 2 },
      nTrials: 5,
      concurrency: 1,
      searchSpace: {
        lr: { type: 'float', low: 0.001, high: 0.2, log: true },
        model: { type: 'categorical', choices: ['logistic', 'mlp'] },
        hidden: { type: 'int', low: 4, high: 12 },
      },
    };
    const w1 = await world();
    const first = runner(w1, mkdtempSync(join(repoDir, 'a-')));
    const reference = await first.studies.create({ ...spec, name: 'uninterrupted' });
    await first.studies.wait(reference.id);
    const expected = outcome((await first.studies.get(reference.id)).trials ?? []);

    const w2 = await world();
    const repository = mkdtempSync(join(repoDir, 'b-'));
    const a = runner(w2, repository);
    const twoDone = new Promise<void>((resolve) => {
      let n = 0;
      a.studies.on((e) => {
        if (e.type === 'trial-finished' && ++n === 2) resolve();
      });
    });
    // Stop while the third trial trains: its job is left "running" with a checkpoint.
    const thirdEpoch = new Promise<void>((resolve) => {
      a.studies.on((e) => {
        if (e.type === 'trial-epoch' && e.trial === 2 && e.epoch === 2) resolve();
      });
    });
    const created = await a.studies.create({ ...spec, name: 'interrupted' });
    await twoDone;
    await thirdEpoch;
    await a.close();
    const stored = await w2.studyStore.get(created.id);
    expect(stored?.state).toBe('running');
    expect(stored?.study.trials.length).toBe(3);
    expect(stored?.study.trials[2]?.state).toBe('RUNNING');

    const b = runner(w2, repository);
    expect(await b.studies.recover()).toBe(1);
    const done = await b.studies.wait(created.id);
    expect(done.state).toBe('completed');
    const resumed = (await b.studies.get(created.id)).trials ?? [];
    expect(outcome(resumed)).toEqual(expected);
    // One job per trial: nothing was submitted twice.
    const jobsOfStudy = (await w2.jobStore.list()).filter((j) =>
      j.spec.description?.startsWith(`study ${created.id} `),
    );
    expect(jobsOfStudy).toHaveLength(5);
    expect(new Set(jobsOfStudy.map((j) => j.spec.description)).size).toBe(5);
    expect(jobsOfStudy.find((j) => j.id === resumed[2]?.jobId)?.attempts).toBe(2);
  });

  it('refuses bad specifications before storing anything', async () => {
    const w = await world();
    const { studies } = runner(w);
    const ok = {
      ...baseSpec,
      name: 'x',
      nTrials: 2,
      searchSpace: { lr: { type: 'float', low: 0.01, high: 0.1 } },
    };
    await expect(
      studies.create({ ...ok, searchSpace: { dropout: { type: 'float', low: 0, high: 1 } } }),
    ).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      details: { field: 'searchSpace.dropout' },
    });
    await expect(studies.create({ ...ok, nTrials: 0 })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(studies.create({ ...ok, metric: 'accuracy' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(studies.create({ ...ok, sampler: { type: 'cma' } })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(studies.create({ ...ok, dataset: { id: 'nope' } })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await expect(
      studies.create({ ...ok, featurizer: { type: 'hashed-bow', dimensions: 64 } }),
    ).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(
      studies.create({
        ...ok,
        training: { epochs: 2, batchSize: 0 },
        searchSpace: { lr: ok.searchSpace.lr },
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', message: expect.stringContaining('batchSize') });
    await expect(studies.create({ ...ok, training: { optimizer: 'sgd' } })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      details: { field: 'training.optimizer' },
    });
    expect(await studies.list()).toEqual([]);
    await expect(studies.get('missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
