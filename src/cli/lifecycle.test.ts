/**
 * The lifecycle commands against a real HTTP server (the lifecycle and MLflow routes over the real
 * services), with their output captured; plus the SSE parser and the progress bar on known input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteLifecycleStores } from '../adapters/store-sqlite/index.js';
import type { LifecycleStores } from '../core/ports/lifecycle-store.js';
import { ArtifactDatasetStore } from '../lifecycle/datasets/store.js';
import { MemoryArtifactStore } from '../lifecycle/datasets/testkit.js';
import { RegistryService } from '../lifecycle/registry.js';
import { InMemoryStudyStore } from '../lifecycle/studies/memory-study-store.js';
import { StudyRunner } from '../lifecycle/studies/study-runner.js';
import { TrackingService } from '../lifecycle/tracking.js';
import { InMemoryTrainingJobStore } from '../lifecycle/training/memory-job-store.js';
import { TrainingJobs } from '../lifecycle/training/training-jobs.js';
import { FfmpegDecoder } from '../adapters/media-ffmpeg/index.js';
import { MediaFeatures } from '../lifecycle/datasets/media-features.js';
import { datasetJobPreparer } from '../lifecycle/studies/training-set.js';
import { audioDataset, storedZip } from '../../scripts/media-datasets.js';
import { sendError } from '../server/errors.js';
import { registerLifecycleRoutes } from '../server/routes/lifecycle.js';
import { registerMlflowRoutes } from '../server/routes/mlflow.js';
import { lifecycleCommands, renderProgressBar, setLifecycleOutput, SseParser } from './lifecycle.js';

let app: FastifyInstance;
let url: string;
let stores: LifecycleStores;
let jobs: TrainingJobs;
let studies: StudyRunner;
const dir = mkdtempSync(join(tmpdir(), 'kaleido-cli-lifecycle-'));

beforeAll(async () => {
  stores = createSqliteLifecycleStores({ path: ':memory:' });
  await stores.migrate();
  const tracking = new TrackingService(stores.tracking);
  const registry = new RegistryService(stores.registry, { tracking: stores.tracking });
  const artifacts = new MemoryArtifactStore();
  const datasets = new ArtifactDatasetStore({ artifacts });
  // Audio features (ffmpeg) for the media commands, computed in the background of jobs and studies.
  const media = new MediaFeatures({ artifacts, datasets, audio: { decoder: new FfmpegDecoder() } });
  jobs = new TrainingJobs({
    store: new InMemoryTrainingJobStore(),
    artifacts,
    maxConcurrent: 2,
    prepare: datasetJobPreparer(datasets, media),
  });
  studies = new StudyRunner({
    store: new InMemoryStudyStore(),
    jobs,
    datasets,
    tracking,
    mediaFeatures: media,
  });
  app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  await registerLifecycleRoutes(app, {
    datasets,
    jobs,
    studies,
    media,
    maxUploadBytes: 1 << 20,
    maxJsonDepth: 32,
  });
  await registerMlflowRoutes(app, { tracking, registry });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await studies.close();
  await jobs.close();
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `kaleido <args…> --url <server>` and returns what it printed. */
async function kaleido(...args: string[]): Promise<string> {
  let text = '';
  const previous = setLifecycleOutput({ write: (t) => void (text += t), isTTY: false });
  try {
    const program = new Command().exitOverride();
    for (const c of lifecycleCommands()) program.addCommand(c);
    await program.parseAsync(['node', 'kaleido', ...args, '--url', url]);
  } finally {
    setLifecycleOutput(previous);
  }
  return text;
}

function reviews(): string {
  const good = ['great', 'lovely', 'excellent', 'superb'];
  const bad = ['awful', 'terrible', 'broken', 'horrible'];
  const lines: string[] = [];
  for (let i = 0; i < 80; i++) {
    const positive = i % 2 === 0;
    const w = positive ? good : bad;
    lines.push(
      JSON.stringify({ text: `it was ${w[i % 4]} and ${w[(i + 1) % 4]}`, label: positive ? 'pos' : 'neg' }),
    );
  }
  return lines.join('\n');
}

describe('SSE parser and progress bar', () => {
  it('parses events split across chunks and skips comments', () => {
    const p = new SseParser();
    expect(p.push(': keep-alive\n\nevent: job-ep')).toEqual([]);
    expect(p.push('och\ndata: {"a":1}\n\nevent: x\r\ndata: 2\r\n')).toEqual([
      { event: 'job-epoch', data: '{"a":1}' },
    ]);
    expect(p.push('\r\ndata: plain\n\n')).toEqual([
      { event: 'x', data: '2' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('draws a fixed-width bar', () => {
    expect(renderProgressBar(0, 4, 8)).toBe('[........] 0/4');
    expect(renderProgressBar(2, 4, 8)).toBe('[####....] 2/4');
    expect(renderProgressBar(9, 12, 4)).toBe('[###.]  9/12');
    expect(renderProgressBar(7, 4, 8)).toBe('[########] 4/4');
  });
});

describe('kaleido dataset | train | jobs | study | runs | registry', () => {
  it('uploads, lists and shows a data set', async () => {
    const file = join(dir, 'reviews.jsonl');
    writeFileSync(file, reviews());
    expect(await kaleido('dataset', 'upload', file, '--test-fraction', '0.25')).toBe(
      'reviews@1: 80 rows, classes {"neg":40,"pos":40}\n',
    );
    const list = await kaleido('dataset', 'list');
    expect(list.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+ROWS\s+CLASSES/);
    expect(list).toMatch(/reviews\s+1\s+80\s+neg:40 pos:40/);
    const show = await kaleido('dataset', 'show', 'reviews');
    expect(show).toContain('label: label  text: text');
    expect(show).toMatch(/neg\s+40\s+\d+\s+\d+\s+10/);
    await expect(kaleido('dataset', 'show', 'missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(kaleido('dataset', 'upload', join(dir, 'x.txt'))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });

  it('trains with a progress bar fed by the job events', async () => {
    const text = await kaleido(
      'train',
      'reviews',
      '--featurizer',
      'hashed-bow:64',
      '--epochs',
      '4',
      '--lr',
      '0.1',
      '--no-early-stopping',
    );
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^job [0-9a-f-]{36}: dataset reviews@1 \(hashed-bow 64\)$/);
    expect(lines.some((l) => /^epoch \[#{24}\] 4\/4 {2}loss /.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('epoch ['))).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/^succeeded: 4 epochs \(kept epoch 4, max-epochs\)/);
    const listed = await kaleido('jobs', 'list', '--state', 'succeeded');
    expect(listed).toMatch(/succeeded\s+4\/4\s+logistic/);
  });

  it('trains on a media data set: a features bar while the job featurises in the background, then epochs', async () => {
    const zip = join(dir, 'noise.zip');
    writeFileSync(zip, storedZip(audioDataset(4, 2)));
    expect(await kaleido('dataset', 'upload', zip, '--name', 'noise')).toMatch(/^noise@1: 12 rows/);
    const text = await kaleido(
      'train',
      'noise',
      '--featurizer',
      'audio-features',
      '--epochs',
      '3',
      '--no-early-stopping',
    );
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^job [0-9a-f-]{36}: dataset noise@1 \(audio-features log-mel-stats\)$/);
    expect(lines.some((l) => /^features \[#+\.*\] \d+\/12$/.test(l))).toBe(true);
    expect(lines.some((l) => /^epoch \[#{24}\] 3\/3 {2}loss /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^succeeded: 3 epochs/);
    await expect(kaleido('train', 'noise', '--featurizer', 'video-features')).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
  }, 60_000);

  it('creates a study from YAML, follows it, then shows it and its tracked runs', async () => {
    const spec = join(dir, 'study.yaml');
    writeFileSync(
      spec,
      [
        'name: cli-study',
        'metric: valAccuracy',
        'nTrials: 3',
        'sampler: { type: random, seed: 1 }',
        'dataset: { id: reviews }',
        'featurizer: { type: hashed-bow, dimensions: 32 }',
        'training: { epochs: 2, earlyStopping: null }',
        'searchSpace:',
        '  lr: { type: float, low: 0.01, high: 0.3, log: true }',
      ].join('\n'),
    );
    const text = await kaleido('study', 'create', spec, '--wait');
    expect(text).toMatch(/trials \[#{24}\] 3\/3 {2}best \d/);
    expect(text).toMatch(/study cli-study \([0-9a-f-]{36}\): completed/);
    expect(text).toContain('trials 3/3: 3 complete, 0 pruned, 0 failed, 0 running  (valAccuracy, maximize)');
    expect(text).toMatch(/evaluation \(test, 20 rows\): accuracy /);
    expect(await kaleido('study', 'list')).toMatch(/cli-study\s+completed\s+3\/3/);
    const show = await kaleido('study', 'show', 'cli-study');
    expect(show).toMatch(/TRIAL\s+STATE\s+VALUE\s+EPOCHS\s+PARAMS/);
    expect(show).toMatch(/\n0\s+COMPLETE\s+\S+\s+2\s+lr=0\.\d{4}/);
    const runs = await kaleido('runs', 'list', '--experiment', 'kaleido-study-cli-study');
    expect(runs.trim().split('\n')).toHaveLength(5); // header + the study's run + 3 trials
    expect(runs).toMatch(/cli-study-trial-2\s+kaleido-study-cli-study\s+FINISHED/);
    await expect(kaleido('study', 'stop', 'cli-study')).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  it('lists registered models and versions, and reads and moves aliases', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${url}/api/2.0/mlflow/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await post('registered-models/create', { name: 'sentiment' });
    for (let i = 0; i < 2; i++)
      await post('model-versions/create', { name: 'sentiment', source: `file:/m/${i}` });
    expect(await kaleido('registry', 'alias', 'sentiment', 'champion', '2')).toBe(
      'sentiment@champion → version 2\n',
    );
    expect(await kaleido('registry', 'alias', 'sentiment', 'champion')).toBe(
      'sentiment@champion → version 2\n',
    );
    expect(await kaleido('registry', 'models')).toMatch(/sentiment\s+champion→2/);
    const versions = await kaleido('registry', 'versions', 'sentiment');
    expect(
      versions
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['2', '1']);
    expect(await kaleido('registry', 'alias', 'sentiment', 'champion', '--delete')).toBe(
      'sentiment@champion removed\n',
    );
    await expect(kaleido('registry', 'alias', 'sentiment', 'champion')).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });
});
