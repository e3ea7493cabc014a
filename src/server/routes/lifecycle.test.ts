/**
 * The lifecycle REST routes over real HTTP (Server-Sent Events need a socket): data set uploads
 * (raw and multipart), training jobs with their event stream, and studies, with the real services
 * behind them (worker-thread training, the data set store over an in-memory artifact store).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { ArtifactDatasetStore } from '../../lifecycle/datasets/store.js';
import { MemoryArtifactStore } from '../../lifecycle/datasets/testkit.js';
import { InMemoryStudyStore } from '../../lifecycle/studies/memory-study-store.js';
import { StudyRunner } from '../../lifecycle/studies/study-runner.js';
import { InMemoryTrainingJobStore } from '../../lifecycle/training/memory-job-store.js';
import { TrainingJobs } from '../../lifecycle/training/training-jobs.js';
import { sendError } from '../errors.js';
import { registerLifecycleRoutes } from './lifecycle.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of wire JSON in assertions
type Json = Record<string, any>;

let app: FastifyInstance;
let base: string;
let jobs: TrainingJobs;
let studies: StudyRunner;

/** A small two-class text set: the words decide the class, so a bag of words learns it at once. */
function reviewsJsonl(): string {
  const good = ['great', 'lovely', 'excellent', 'superb', 'wonderful', 'fine'];
  const bad = ['awful', 'terrible', 'broken', 'horrible', 'poor', 'dreadful'];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const positive = i % 2 === 0;
    const words = positive ? good : bad;
    const text = `the product was ${words[i % 6]} and ${words[(i + 2) % 6]} item ${i}`;
    lines.push(JSON.stringify({ text, label: positive ? 'positive' : 'negative' }));
  }
  return lines.join('\n');
}

beforeAll(async () => {
  const artifacts = new MemoryArtifactStore();
  const datasets = new ArtifactDatasetStore({ artifacts });
  jobs = new TrainingJobs({ store: new InMemoryTrainingJobStore(), artifacts, maxConcurrent: 2 });
  studies = new StudyRunner({ store: new InMemoryStudyStore(), jobs, datasets });
  app = Fastify();
  // As in buildApp: bodies reach routes as bytes, errors go through the one renderer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new KaleidoError('ERR_NOT_FOUND', `no route ${request.url}`)),
  );
  await registerLifecycleRoutes(app, {
    datasets,
    jobs,
    studies,
    maxUploadBytes: 1 << 20,
    maxJsonDepth: 32,
    heartbeatMs: 50,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await studies.close();
  await jobs.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

/** Reads a Server-Sent Events stream to its end: [event, data] pairs (comments skipped). */
async function readEvents(
  path: string,
): Promise<{ contentType: string | null; events: Array<[string, Json]> }> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  const events: Array<[string, Json]> = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => !l.startsWith(':') && l !== '');
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    if (event !== undefined && data !== undefined) events.push([event, JSON.parse(data) as Json]);
  }
  return { contentType: res.headers.get('content-type'), events };
}

describe('data sets', () => {
  it('uploads raw JSONL, lists and shows versions; identical content returns the same version', async () => {
    const up = await call('POST', '/v1/datasets?name=reviews&splitSeed=3&testFraction=0.2', reviewsJsonl(), {
      'content-type': 'application/x-ndjson',
    });
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({
      name: 'reviews',
      version: 1,
      format: 'jsonl',
      rowCount: 120,
      classes: ['negative', 'positive'],
      classBalance: { negative: 60, positive: 60 },
      rejectedRows: [],
    });
    expect(up.json['schema'].textField).toBe('text');
    expect(up.json['split'].counts.test).toEqual({ negative: 12, positive: 12 });
    const again = await call(
      'POST',
      '/v1/datasets?name=reviews&splitSeed=3&testFraction=0.2',
      reviewsJsonl(),
      {
        'content-type': 'application/x-ndjson',
      },
    );
    expect(again.status).toBe(200);
    expect(again.json['version']).toBe(1);

    const list = await call('GET', '/v1/datasets');
    expect(list.json['datasets']).toEqual([
      expect.objectContaining({ name: 'reviews', latestVersion: 1, versions: 1, rowCount: 120 }),
    ]);
    expect((await call('GET', '/v1/datasets/reviews')).json['versions']).toHaveLength(1);
    expect((await call('GET', '/v1/datasets/reviews/versions/latest')).json['sha256']).toBe(
      up.json['sha256'],
    );
    const missing = await call('GET', '/v1/datasets/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json['error']).toMatchObject({ code: 'ERR_NOT_FOUND', requestId: expect.any(String) });
  });

  it('uploads CSV as multipart with options as form fields; bad rows are listed with line numbers', async () => {
    const csv = 'a,b,label\n1,2,x\n3,4\n5,6,y\n7,8,x\n9,10,x\n11,12,y\n';
    const form = new FormData();
    form.set('name', 'tab');
    form.set('badRows', 'skip');
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'tab.csv');
    const res = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    const json = (await res.json()) as Json;
    expect(res.status).toBe(201);
    expect(json['format']).toBe('csv');
    expect(json['rowCount']).toBe(5);
    expect(json['rejectedRows']).toEqual([expect.objectContaining({ line: 3 })]);

    const strict = await call('POST', '/v1/datasets?name=tab2', csv, { 'content-type': 'text/csv' });
    expect(strict.status).toBe(400);
    expect(strict.json['error'].code).toBe('ERR_VALIDATION');
    expect(JSON.stringify(strict.json['error'].details)).toContain('"line":3');
  });

  it('refuses uploads it cannot read with clear errors', async () => {
    const noType = await call('POST', '/v1/datasets?name=x', 'a,b', {
      'content-type': 'application/octet-stream',
    });
    expect(noType.status).toBe(415);
    expect(noType.json['error'].code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    const noName = await call('POST', '/v1/datasets', 'a', { 'content-type': 'text/csv' });
    expect(noName.json['error']).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'name' } });
    const unknown = await call('POST', '/v1/datasets?name=x&colour=red', 'a', { 'content-type': 'text/csv' });
    expect(unknown.json['error'].details.field).toBe('query.colour');
    const badZip = await call('POST', '/v1/datasets?name=z', 'not a zip', {
      'content-type': 'application/zip',
    });
    expect(badZip.status).toBe(400);
    expect(badZip.json['error'].message).toContain('zip');
  });
});

describe('training jobs', () => {
  it('submits a job and streams its progress as Server-Sent Events until it succeeds', async () => {
    const created = await call('POST', '/v1/training-jobs', {
      dataset: { id: 'reviews' },
      featurizer: { type: 'hashed-bow', dimensions: 64 },
      config: { epochs: 5, learningRate: 0.1, earlyStopping: null, seed: 1 },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/training-jobs/${created.json['id']}`);
    expect(created.json['spec'].description).toBe('dataset reviews@1 (hashed-bow 64)');
    expect(created.json['progress']).toEqual({ epoch: 0, maxEpochs: 5 });
    const stream = await readEvents(`/v1/training-jobs/${created.json['id']}/events`);
    expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
    const names = stream.events.map(([e]) => e);
    expect(names[0]).toBe('snapshot');
    expect(names.at(-1)).toBe('job-succeeded');
    // Every epoch is seen once: in the snapshot's history or as an event.
    const snapshotEpochs = (stream.events[0]?.[1]['history'] as Json[]).map((h) => h['epoch']);
    const eventEpochs = stream.events.filter(([e]) => e === 'job-epoch').map(([, d]) => d['metrics'].epoch);
    expect([...new Set([...snapshotEpochs, ...eventEpochs])].sort()).toEqual([1, 2, 3, 4, 5]);

    const job = await call('GET', `/v1/training-jobs/${created.json['id']}`);
    expect(job.json['state']).toBe('succeeded');
    expect(job.json['result'].metrics.valAccuracy).toBeGreaterThan(0.9);
    expect(job.json['progress']).toEqual({ epoch: 5, maxEpochs: 5 });
    const cancel = await call('POST', `/v1/training-jobs/${created.json['id']}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.json['error'].code).toBe('ERR_INVALID_STATE');
    // A finished job's stream is its snapshot only.
    const after = await readEvents(`/v1/training-jobs/${created.json['id']}/events`);
    expect(after.events.map(([e]) => e)).toEqual(['snapshot']);

    const listed = await call('GET', '/v1/training-jobs?state=succeeded');
    expect(listed.json['jobs'].map((j: Json) => j['id'])).toContain(created.json['id']);
    expect((await call('GET', '/v1/training-jobs?state=done')).status).toBe(400);
    expect((await call('GET', '/v1/training-jobs/nope')).status).toBe(404);
    expect((await call('GET', '/v1/training-jobs/nope/events')).status).toBe(404);
  });

  it('cancels a running job', async () => {
    const created = await call('POST', '/v1/training-jobs', {
      dataset: { id: 'reviews' },
      config: { epochs: 100000, batchSize: 1, earlyStopping: null },
    });
    await new Promise<void>((resolve) => {
      const off = jobs.on((e) => {
        if (e.jobId === created.json['id'] && e.type === 'job-epoch') {
          off();
          resolve();
        }
      });
    });
    const cancelled = await call('POST', `/v1/training-jobs/${created.json['id']}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json['state']).toBe('cancelled');
  });

  it('validates the request', async () => {
    const bad = await call('POST', '/v1/training-jobs', {
      dataset: { id: 'reviews' },
      config: { optimizer: 'sgd' },
    });
    expect(bad.json['error']).toMatchObject({
      code: 'ERR_VALIDATION',
      details: { field: 'config.optimizer' },
    });
    const text = await call('POST', '/v1/training-jobs', 'x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const json = await call('POST', '/v1/training-jobs', '{"dataset":', {
      'content-type': 'application/json',
    });
    expect(json.json['error'].code).toBe('ERR_INVALID_JSON');
    const missing = await call('POST', '/v1/training-jobs', { dataset: { id: 'absent' } });
    expect(missing.status).toBe(404);
  });
});

describe('studies', () => {
  it('creates a study, streams its events until it completes, and shows trials, best trial and importance', async () => {
    const created = await call('POST', '/v1/studies', {
      name: 'reviews-search',
      metric: 'valAccuracy',
      sampler: { type: 'random', seed: 4 },
      pruner: { type: 'nop' },
      nTrials: 4,
      concurrency: 2,
      dataset: { id: 'reviews' },
      featurizer: { type: 'hashed-bow', dimensions: 64 },
      training: { epochs: 3, earlyStopping: null },
      searchSpace: {
        lr: { type: 'float', low: 0.01, high: 0.3, log: true },
        l2: { type: 'float', low: 0.00001, high: 0.001, log: true },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'reviews-search', state: 'running' });
    const stream = await readEvents('/v1/studies/reviews-search/events');
    const names = stream.events.map(([e]) => e);
    expect(names[0]).toBe('snapshot');
    expect(names.at(-1)).toBe('study-completed');
    expect(names).toContain('study-finalizing');

    const study = await call('GET', `/v1/studies/${created.json['id']}`);
    expect(study.json['state']).toBe('completed');
    expect(study.json['trials']).toHaveLength(4);
    expect(study.json['counts']).toEqual({ running: 0, complete: 4, pruned: 0, fail: 0 });
    expect(study.json['bestTrial'].value).toBe(
      Math.max(...study.json['trials'].map((t: Json) => t['value'])),
    );
    expect(Object.keys(study.json['importance']).sort()).toEqual(['l2', 'lr']);
    expect(study.json['result'].evaluation).toMatchObject({ split: 'test', rows: 24 });

    const list = await call('GET', '/v1/studies?state=completed');
    expect(list.json['studies'].map((s: Json) => s['name'])).toEqual(['reviews-search']);
    expect(list.json['studies'][0].trials).toBeUndefined();
    expect((await call('POST', '/v1/studies/reviews-search/stop')).status).toBe(409);
    const dup = await call('POST', '/v1/studies', { ...created.json['spec'], nTrials: 1 });
    expect(dup.status).toBe(409);
    expect(dup.json['error'].code).toBe('ERR_ALREADY_EXISTS');
  });

  it('stops a running study: no more trials, completes with the best so far', async () => {
    const created = await call('POST', '/v1/studies', {
      name: 'stopped',
      nTrials: 50,
      dataset: { id: 'reviews' },
      featurizer: { type: 'hashed-bow', dimensions: 32 },
      training: { epochs: 2 },
      searchSpace: { lr: { type: 'float', low: 0.01, high: 0.3 } },
    });
    expect(created.status).toBe(201);
    await new Promise<void>((resolve) => {
      const off = studies.on((e) => {
        if (e.studyId === created.json['id'] && e.type === 'trial-finished') {
          off();
          resolve();
        }
      });
    });
    const stopped = await call('POST', '/v1/studies/stopped/stop');
    expect(stopped.status).toBe(200);
    expect(stopped.json['stopped']).toBe(true);
    const done = await studies.wait(created.json['id']);
    expect(done.state).toBe('completed');
    const study = await call('GET', '/v1/studies/stopped');
    // The trial running when the stop came finishes; nothing new is asked after it.
    expect(study.json['trials'].length).toBeLessThanOrEqual(2);
    expect(study.json['trials'].every((t: Json) => t['state'] === 'COMPLETE')).toBe(true);
    expect(study.json['bestTrial']).not.toBeNull();
  });

  it('refuses bad specifications', async () => {
    const bad = await call('POST', '/v1/studies', { name: 'bad name!', nTrials: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'name' } });
    expect((await call('GET', '/v1/studies/nope')).status).toBe(404);
    expect((await call('GET', '/v1/studies/nope/events')).status).toBe(404);
  });
});
