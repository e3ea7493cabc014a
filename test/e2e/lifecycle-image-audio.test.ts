/**
 * The model lifecycle for images and audio, end to end on a real server: custom classifier heads
 * on frozen features.
 *
 * - Images: a seeded "document / meme / photo" set (scripts/media-datasets.ts, 40 JPEGs per class)
 *   uploaded as a zip with a folder per class → a 20-trial study over MobileNetV2 embeddings
 *   (`image-embedding`, 1280-d, computed once in a worker thread and cached, in the background
 *   of the study: it is created at once in state `featurizing`) → the best head
 *   evaluated on the test split, exported to ONNX, registered with its model card, aliased
 *   `champion` and served over OIP.
 * - Audio: a seeded "machine noise: normal / bearing fault / imbalance" set (40 WAVs per class) →
 *   the same story over `log-mel-stats` features (116-d, ffmpeg-decoded 16 kHz mono).
 *
 * Both champions are then asked over OIP about files that are not in the data sets (new seeds),
 * featurised by the same code the study used. The accuracy floors (0.7 on the test split, 0.6 on 15 new
 * files; with 3 classes chance is 0.33) fail when a featuriser is broken (constant, random or misaligned features).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaFeaturizerSpec } from '../../src/lifecycle/datasets/media-features.js';
import {
  AUDIO_CLASSES,
  IMAGE_CLASSES,
  audioDataset,
  imageDataset,
  renderImage,
  storedZip,
  synthMachine,
  wav,
} from '../../scripts/media-datasets.js';
import { clientMediaFeatures, jsonCaller, type Json } from '../helpers/lifecycle-http.js';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';

const TINY_JSONL = Array.from({ length: 20 }, (_, i) =>
  JSON.stringify({ text: `row ${i}`, label: i % 2 === 0 ? 'x' : 'y' }),
).join('\n');

let server: TestServer;
let dataDir: string;
const scratch = mkdtempSync(join(tmpdir(), 'kaleido-e2e-media-'));
// The client side of serving: the same featurisers, in this process.
const clientFeatures = clientMediaFeatures(scratch);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kaleido-e2e-media-data-'));
  server = await startTestServer({
    startupModels: [],
    overrides: { 'data.dir': dataDir, 'analysis.modalities': 'text' },
  });
});

afterAll(async () => {
  await server?.close().catch(() => undefined);
  await clientFeatures.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const call = jsonCaller(() => server.httpUrl);

/** Polls until the study has ended (it is `featurizing`, then `running` before that). */
async function waitForStudy(name: string, timeoutMs: number): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const study = (await call('GET', `/v1/studies/${name}`)).json;
    if (study.state === 'completed' || study.state === 'failed') return study;
    if (Date.now() > until) throw new Error(`study ${name} still running: ${JSON.stringify(study.counts)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const studySpec = (name: string, dataset: string, featurizer: Json): Json => ({
  name,
  metric: 'valAccuracy',
  nTrials: 20,
  concurrency: 2,
  sampler: { type: 'tpe', seed: 11, nStartupTrials: 8 },
  pruner: { type: 'median', nStartupTrials: 5, nWarmupSteps: 3 },
  dataset: { id: dataset },
  featurizer,
  training: { epochs: 12, batchSize: 16, earlyStopping: null },
  searchSpace: {
    model: { type: 'categorical', choices: ['logistic', 'mlp'] },
    lr: { type: 'float', low: 0.001, high: 0.1, log: true },
    l2: { type: 'float', low: 0.00001, high: 0.01, log: true },
    hidden: { type: 'int', low: 8, high: 64, log: true },
  },
  modelName: name,
});

/**
 * Upload → 20-trial study → champion; checks the evaluation report, the registered version and the
 * feature cache, and returns the study.
 */
async function runStory(options: {
  dataset: string;
  files: Array<[string, Uint8Array]>;
  classes: readonly string[];
  featurizer: MediaFeaturizerSpec;
  dim: number;
}): Promise<Json> {
  const { dataset, files, classes, featurizer, dim } = options;
  const started = Date.now();
  const up = await call(
    'POST',
    `/v1/datasets?name=${dataset}&format=zip&splitSeed=5&validationFraction=0.2&testFraction=0.25`,
    storedZip(files),
    'application/zip',
  );
  expect(up.status).toBe(201);
  expect(up.json).toMatchObject({ rowCount: files.length, classes: [...classes], rejectedRows: [] });

  const posted = Date.now();
  const created = await call('POST', '/v1/studies', studySpec(dataset, dataset, featurizer));
  expect(created.status).toBe(201);
  const createMs = Date.now() - posted;
  // The media features are computed in the background, not inside the request.
  expect(created.json.state).toBe('featurizing');
  expect(created.json.featurization).toMatchObject({ done: 0, total: files.length });
  const study = await waitForStudy(dataset, 540_000);
  expect(study.error).toBeNull();
  expect(study.state).toBe('completed');
  expect(study.spec.featurizer).toEqual(featurizer);
  expect(study.trials).toHaveLength(20);
  expect(study.counts.complete + study.counts.pruned + study.counts.fail).toBe(20);
  expect(study.counts.fail).toBe(0);

  // The evaluation report on the held-out test split (25 %, stratified).
  const ev = study.result.evaluation;
  expect(ev).toMatchObject({ split: 'test', classes: [...classes] });
  expect(ev.rows).toBe(
    Object.values(up.json.split.counts.test as Record<string, number>).reduce((a, b) => a + b, 0),
  );
  // Three classes: chance is 0.33; constant, random or misaligned features stay near it.
  expect(ev.accuracy).toBeGreaterThan(0.7);
  expect(ev.macroF1).toBeGreaterThan(0.7);
  expect(ev.confusionMatrix.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(ev.rows);
  expect(study.result.model).toMatchObject({ modelName: dataset, alias: 'champion', served: true });

  // Registered with the embedding signature, test metrics and a model card naming the featuriser.
  const mv = (await call('GET', `/api/2.0/mlflow/registered-models/alias?name=${dataset}&alias=champion`))
    .json.model_version;
  expect(mv.signature.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, dim] }]);
  expect(mv.metrics_snapshot.test_accuracy).toBe(ev.accuracy);
  expect(mv.model_card.markdown).toContain(
    featurizer.type === 'image-embedding' ? 'MobileNetV2' : 'log-mel-stats',
  );

  console.log(
    `${dataset}: ${files.length} files; POST /v1/studies ${createMs} ms, features ${study.featurization.finishedAt - study.featurization.startedAt} ms, study total ${Date.now() - started} ms; ` +
      `test accuracy ${ev.accuracy.toFixed(4)}, macro F1 ${ev.macroF1.toFixed(4)} on ${ev.rows} rows; ` +
      `best ${JSON.stringify(study.bestTrial.params)}; complete ${study.counts.complete}, pruned ${study.counts.pruned}`,
  );

  // The features were computed once for the data set version and kept as an artifact (sealed like
  // the data set itself when encryption at rest is on, so only its presence is checked here).
  const featuresDir = join(dataDir, 'artifacts', 'datasets', 'blobs', 'features');
  const pattern =
    featurizer.type === 'image-embedding'
      ? /^image-embedding\..*\.f32$/
      : /^audio-features\.log-mel-stats\..*\.f32$/;
  const holders = readdirSync(featuresDir).filter((d) =>
    readdirSync(join(featuresDir, d)).some((f) => pattern.test(f)),
  );
  expect(holders).toHaveLength(1);
  const cached = readdirSync(join(featuresDir, holders[0] as string)).sort();
  expect(cached).toHaveLength(2);
  expect(cached[0]).toMatch(pattern);
  expect(cached[1]).toBe(`${cached[0]}.json`);
  return study;
}

/** Asks the champion over OIP about new files, featurised client-side exactly as in training. */
async function askChampion(
  model: string,
  featurizer: MediaFeaturizerSpec,
  files: Uint8Array[],
  labels: readonly number[],
  classCount: number,
): Promise<number> {
  const x = await clientFeatures.featurizeFiles(featurizer, files);
  const dim = x.length / files.length;
  const answer = await call('POST', `/v2/models/${model}@champion/infer`, {
    inputs: [{ name: 'features', datatype: 'FP32', shape: [files.length, dim], data: Array.from(x) }],
  });
  expect(answer.status).toBe(200);
  const out = answer.json.outputs[0];
  expect(out).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [files.length, classCount] });
  let correct = 0;
  for (let i = 0; i < files.length; i++) {
    const p = (out.data as number[]).slice(i * classCount, (i + 1) * classCount);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    if (p.indexOf(Math.max(...p)) === labels[i]) correct++;
  }
  console.log(`${model}@champion over OIP: ${correct}/${files.length} new files right`);
  return correct / files.length;
}

describe('e2e: image and audio data sets → 20-trial studies on frozen features → champions over OIP', () => {
  it('images: MobileNetV2 embeddings (image-embedding), document / meme / photo', async () => {
    await runStory({
      dataset: 'media-images',
      files: await imageDataset(40, 1),
      classes: IMAGE_CLASSES,
      featurizer: { type: 'image-embedding', model: 'mobilenet_v2' },
      dim: 1280,
    });
    // Unseen images (seed 2): classes in IMAGE_CLASSES order = the served label order (sorted).
    const files: Uint8Array[] = [];
    const labels: number[] = [];
    for (const [c, kind] of IMAGE_CLASSES.entries()) {
      for (let i = 0; i < 5; i++) {
        files.push(await renderImage(kind, 2 * 1_000_003 + c * 10_007 + 500 + i));
        labels.push(c);
      }
    }
    expect(
      await askChampion('media-images', { type: 'image-embedding', model: 'mobilenet_v2' }, files, labels, 3),
    ).toBeGreaterThanOrEqual(0.6);
  }, 600_000);

  it('audio: log-mel-stats features (audio-features), normal / bearing fault / imbalance', async () => {
    await runStory({
      dataset: 'machine-noise',
      files: audioDataset(40, 1),
      classes: AUDIO_CLASSES,
      featurizer: { type: 'audio-features', method: 'log-mel-stats' },
      dim: 116,
    });
    const files: Uint8Array[] = [];
    const labels: number[] = [];
    for (const [c, kind] of AUDIO_CLASSES.entries()) {
      for (let i = 0; i < 5; i++) {
        files.push(wav(synthMachine(kind, 2 * 1_000_003 + c * 10_007 + 500 + i)));
        labels.push(c);
      }
    }
    expect(
      await askChampion(
        'machine-noise',
        { type: 'audio-features', method: 'log-mel-stats' },
        files,
        labels,
        3,
      ),
    ).toBeGreaterThanOrEqual(0.6);
  }, 600_000);

  it('refuses a media featuriser on a data set without files, and unknown featuriser settings', async () => {
    const featureMatrices = (): number => {
      const dir = join(dataDir, 'artifacts', 'datasets', 'blobs', 'features');
      return existsSync(dir) ? readdirSync(dir).length : 0;
    };
    const before = featureMatrices();
    const up = await call('POST', '/v1/datasets?name=tiny-text', TINY_JSONL, 'application/x-ndjson');
    expect(up.status).toBe(201);
    const noFiles = await call(
      'POST',
      '/v1/studies',
      studySpec('bad-1', 'tiny-text', { type: 'image-embedding' }),
    );
    expect(noFiles.status).toBe(400);
    expect(noFiles.json.error.message).toContain('needs a data set of files');
    const badModel = await call(
      'POST',
      '/v1/studies',
      studySpec('bad-2', 'media-images', { type: 'image-embedding', model: 'resnet' }),
    );
    expect(badModel.status).toBe(400);
    expect(badModel.json.error.details.field).toBe('featurizer.model');
    const badMethod = await call(
      'POST',
      '/v1/studies',
      studySpec('bad-3', 'machine-noise', { type: 'audio-features', method: 'mfcc' }),
    );
    expect(badMethod.status).toBe(400);
    // Nothing was featurised for the refused studies.
    expect(featureMatrices()).toBe(before);
  });
});
