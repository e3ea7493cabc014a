/**
 * The model lifecycle end to end on a real server (startKaleido, the production composition root):
 *
 * 1. the UCI "Sentiment Labelled Sentences" (3,003 Amazon/IMDb/Yelp sentences from the `sentiment`
 *    package's fixtures) uploaded as JSONL → a 20-trial study (TPE, median pruner, logistic vs MLP
 *    over a hashed bag of words) followed over Server-Sent Events → the best trial evaluated on the
 *    test split, exported to ONNX, registered with its model card, aliased `champion` and served:
 *    `sentiment@champion` answers OIP inference with class probabilities for featurised text;
 * 2. a second study, interrupted by stopping the server after some trials, resumes on a new server
 *    over the same data directory and completes with exactly its 20 trials: none lost, none trained
 *    twice; the new server serves both champions.
 *
 * Trials are kept tiny (3 epochs, 256 hashed features, ≤ 16 hidden units) so the file runs in well
 * under a minute on two cores.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedBagOfWords } from '../../src/core/train/features.js';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of wire JSON in assertions
type Json = Record<string, any>;

const DIMENSIONS = 256;
const fixtures = join(
  dirname(createRequire(import.meta.url).resolve('sentiment/package.json')),
  'test',
  'fixtures',
);

function uciSentimentJsonl(): string {
  const lines: string[] = [];
  for (const source of ['amazon', 'imdb', 'yelp']) {
    const rows = JSON.parse(readFileSync(join(fixtures, `${source}.json`), 'utf8')) as Array<{
      text: string;
      class: number;
    }>;
    for (const r of rows)
      lines.push(JSON.stringify({ text: r.text, label: r.class === 1 ? 'positive' : 'negative', source }));
  }
  return lines.join('\n');
}

const dataDirs: string[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

async function serve(dataDir: string, startupModels = ['add_sub_fp32']): Promise<TestServer> {
  const server = await startTestServer({ startupModels, overrides: { 'data.dir': dataDir } });
  servers.push(server);
  return server;
}

async function stop(server: TestServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

async function call(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
) {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { 'content-type': contentType },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Reads a study's event stream until `until` says so (or the server ends it); returns the events. */
async function studyEvents(
  server: TestServer,
  id: string,
  until: (events: Array<[string, Json]>) => boolean,
): Promise<Array<[string, Json]>> {
  const abort = new AbortController();
  const res = await fetch(`${server.httpUrl}/v1/studies/${id}/events`, { signal: abort.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: Array<[string, Json]> = [];
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push([event, JSON.parse(data) as Json]);
        if (until(events)) return events;
      }
    }
  } finally {
    abort.abort();
  }
}

const studySpec = (name: string, overrides: Json = {}): Json => ({
  name,
  metric: 'valAccuracy',
  nTrials: 20,
  concurrency: 2,
  sampler: { type: 'tpe', seed: 7, nStartupTrials: 8 },
  pruner: { type: 'median', nStartupTrials: 4, nWarmupSteps: 1 },
  dataset: { id: 'uci-sentiment' },
  featurizer: { type: 'hashed-bow', dimensions: DIMENSIONS },
  training: { epochs: 3, batchSize: 64, earlyStopping: null },
  searchSpace: {
    model: { type: 'categorical', choices: ['logistic', 'mlp'] },
    lr: { type: 'float', low: 0.003, high: 0.3, log: true },
    hidden: { type: 'int', low: 4, high: 16 },
  },
  modelName: name,
  ...overrides,
});

async function upload(server: TestServer): Promise<Json> {
  const up = await call(
    server,
    'POST',
    '/v1/datasets?name=uci-sentiment&splitSeed=7&validationFraction=0.15&testFraction=0.15',
    uciSentimentJsonl(),
    'application/x-ndjson',
  );
  expect(up.status).toBe(201);
  return up.json;
}

async function infer(
  server: TestServer,
  model: string,
  texts: string[],
): Promise<{ status: number; json: Json }> {
  const x = hashedBagOfWords(texts, { dimensions: DIMENSIONS });
  return call(server, 'POST', `/v2/models/${model}/infer`, {
    inputs: [{ name: 'features', datatype: 'FP32', shape: [texts.length, DIMENSIONS], data: Array.from(x) }],
  });
}

describe('e2e: data set → study → champion served over OIP → restart', () => {
  // One data directory for the whole story; the second test stops this server and starts another.
  let server: TestServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kaleido-e2e-lifecycle-'));
    dataDirs.push(dataDir);
    server = await serve(dataDir);
  });

  it('searches 20 trials, registers and serves the best with its evaluation report', async () => {
    const dataset = await upload(server);
    expect(dataset).toMatchObject({ rowCount: 3003, classes: ['negative', 'positive'], rejectedRows: [] });

    const created = await call(server, 'POST', '/v1/studies', studySpec('sentiment'));
    expect(created.status).toBe(201);
    const events = await studyEvents(server, created.json['id'], (e) => e.at(-1)?.[0] === 'study-completed');
    expect(events[0]?.[0]).toBe('snapshot');
    expect(events.at(-1)?.[0]).toBe('study-completed');
    expect(events.filter(([e]) => e === 'trial-finished')).toHaveLength(20);

    const study = (await call(server, 'GET', '/v1/studies/sentiment')).json;
    expect(study.state).toBe('completed');
    expect(study.trials).toHaveLength(20);
    expect(study.trials.map((t: Json) => t.number)).toEqual([...Array(20).keys()]);
    expect(study.counts.running).toBe(0);
    expect(study.counts.complete + study.counts.pruned + study.counts.fail).toBe(20);
    // The pruner waits for 4 complete trials before it judges any; a pruned trial's value is its
    // last reported one (Optuna's rule).
    expect(study.counts.complete).toBeGreaterThanOrEqual(4);
    for (const t of study.trials.filter((x: Json) => x.state === 'PRUNED')) {
      expect(t.value).toBe(t.intermediateValues.at(-1)[1]);
    }
    const values = study.trials.filter((t: Json) => t.state === 'COMPLETE').map((t: Json) => t.value);
    expect(study.bestTrial.value).toBe(Math.max(...values));
    expect(Object.keys(study.importance ?? {})).toEqual(expect.arrayContaining(['lr', 'model']));

    // Evaluation on the held-out test split (15 % of 3,003, stratified).
    const ev = study.result.evaluation;
    expect(ev).toMatchObject({ split: 'test', classes: ['negative', 'positive'] });
    expect(ev.rows).toBeGreaterThan(440);
    // Tiny trials (3 epochs on 256 hashed features) land near 0.70 accuracy, against 0.78–0.82 for
    // full-sized bag-of-words models (sentiment.test.ts); the floors catch a broken pipeline (0.5).
    expect(ev.accuracy).toBeGreaterThan(0.65);
    expect(ev.rocAuc).toBeGreaterThan(0.7);
    // The figure docs/lifecycle.md's per-modality table quotes.
    console.log(
      `text study: test accuracy ${ev.accuracy.toFixed(3)}, macro-F1 ${ev.macroF1?.toFixed(3)}, ROC-AUC ${ev.rocAuc.toFixed(3)} on ${ev.rows} rows; ` +
        `trials ${study.counts.complete} complete / ${study.counts.pruned} pruned`,
    );
    expect(ev.confusionMatrix.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(ev.rows);
    expect(study.result.model).toMatchObject({
      modelName: 'sentiment',
      registeredVersion: '1',
      alias: 'champion',
      served: true,
    });

    // Registered with signature, metrics, sha256 (of the served file) and a model card.
    const byAlias = await call(
      server,
      'GET',
      '/api/2.0/mlflow/registered-models/alias?name=sentiment&alias=champion',
    );
    const mv = byAlias.json.model_version;
    expect(mv.version).toBe('1');
    expect(mv.sha256).toBe(
      createHash('sha256').update(readFileSync(study.result.model.location)).digest('hex'),
    );
    expect(mv.signature.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, DIMENSIONS] }]);
    expect(mv.metrics_snapshot.test_accuracy).toBe(ev.accuracy);
    expect(mv.model_card.markdown).toContain('# Model card: sentiment');
    expect(mv.model_card.evaluation.accuracy).toBe(ev.accuracy);
    expect(mv.run_id).toBe(study.bestTrial.runId);

    // Served by alias over OIP: probabilities per class, rows summing to one, sensible answers.
    const answer = await infer(server, 'sentiment@champion', [
      'I love it, great product, works perfectly',
      'terrible, broke after a day, a waste of money',
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json.model_version).toBe('1');
    const out = answer.json.outputs[0];
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2] });
    const [n0, p0, n1, p1] = out.data as number[];
    expect((n0 as number) + (p0 as number)).toBeCloseTo(1, 5);
    expect((n1 as number) + (p1 as number)).toBeCloseTo(1, 5);
    expect(p0).toBeGreaterThan(0.5);
    expect(n1).toBeGreaterThan(0.5);

    // Every trial was one training job; the tracked runs are there too.
    const jobs = (await call(server, 'GET', '/v1/training-jobs')).json.jobs as Json[];
    expect(jobs.filter((j) => String(j.spec.description).startsWith(`study ${study.id} `))).toHaveLength(20);
    const experiment = await call(
      server,
      'GET',
      '/api/2.0/mlflow/experiments/get-by-name?experiment_name=kaleido-study-sentiment',
    );
    const runs = await call(server, 'POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experiment.json.experiment.experiment_id],
    });
    expect(runs.json.runs).toHaveLength(21);

    // The registry's SHA-256 is checked at every load: a model file swapped on disk is refused,
    // the version already serving keeps serving, and the original file loads again.
    const versionDir = join(dataDir, 'models', 'sentiment', '1');
    const onnxName = readdirSync(versionDir).find((f) => f.endsWith('.onnx'));
    expect(onnxName).toBeDefined();
    const onnxPath = join(versionDir, onnxName as string);
    const original = readFileSync(onnxPath);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    writeFileSync(onnxPath, tampered);
    try {
      const refused = await call(server, 'POST', '/v2/repository/models/sentiment/load', {});
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(refused.json)).toMatch(/SHA-256/);
      expect((await infer(server, 'sentiment@champion', ['fine'])).status).toBe(200);
    } finally {
      writeFileSync(onnxPath, original);
    }
    expect((await call(server, 'POST', '/v2/repository/models/sentiment/load', {})).status).toBe(200);
  });

  it('resumes a study after a server restart mid-study: 20 trials, none lost or duplicated', async () => {
    const first = server;
    const spec = studySpec('restartable', {
      concurrency: 1,
      sampler: { type: 'tpe', seed: 3, nStartupTrials: 6 },
    });
    const created = await call(first, 'POST', '/v1/studies', spec);
    expect(created.status).toBe(201);
    const id = created.json['id'] as string;
    await studyEvents(first, id, (e) => e.filter(([name]) => name === 'trial-finished').length >= 6);
    const before = (await call(first, 'GET', `/v1/studies/${id}`)).json;
    await stop(first);
    const finishedBefore = (before.trials as Json[]).filter((t) => t.state !== 'RUNNING');
    expect(finishedBefore.length).toBeGreaterThanOrEqual(6);
    expect(finishedBefore.length).toBeLessThan(20);

    // The trained model from the first study is in the data directory's repository: load it at start.
    const second = await serve(dataDir, ['add_sub_fp32', 'sentiment']);
    const afterRestart = (await call(second, 'GET', `/v1/studies/${id}`)).json;
    if (afterRestart.state === 'running') {
      await studyEvents(
        second,
        id,
        (e) => e.at(-1)?.[0] === 'study-completed' || e.at(-1)?.[0] === 'study-failed',
      );
    }
    const study = (await call(second, 'GET', `/v1/studies/restartable`)).json;
    expect(study.state).toBe('completed');
    expect(study.trials.map((t: Json) => t.number)).toEqual([...Array(20).keys()]);
    expect(study.trials.every((t: Json) => t.state !== 'RUNNING')).toBe(true);
    // What was told before the restart is unchanged.
    for (const t of finishedBefore) {
      const now = study.trials[t.number];
      expect({ state: now.state, value: now.value, params: now.params }).toEqual({
        state: t.state,
        value: t.value,
        params: t.params,
      });
    }
    // One job per trial, each trial's job found again rather than submitted twice.
    const jobs = ((await call(second, 'GET', '/v1/training-jobs')).json.jobs as Json[]).filter((j) =>
      String(j.spec.description).startsWith(`study ${id} `),
    );
    expect(jobs).toHaveLength(20);
    expect(new Set(jobs.map((j) => j.spec.description)).size).toBe(20);
    for (const t of study.trials as Json[]) expect(jobs.some((j) => j.id === t.jobId)).toBe(true);

    // The new server serves the champion the resumed study produced, and still the first one.
    const answer = await infer(second, 'restartable@champion', ['what a wonderful, lovely film']);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.outputs[0].shape).toEqual([1, 2]);
    const first1 = await infer(second, 'sentiment@champion', ['awful']);
    expect(first1.json).toMatchObject({ model_version: '1' });
  });
});
