/**
 * Raw content → the user's own classes in one call, end to end on a real server:
 *
 * - a text head (hashed bag of words) and an image head (MobileNetV2 embeddings) are trained by
 *   small studies (4 trials each), registered with their featuriser record and aliased `champion`;
 * - `POST /v1/classify/{model}@champion` with the raw sentence / JPEG answers the class of unseen
 *   inputs (new seeds) — the text head's scores must equal what OIP answers for features computed
 *   client-side with the training featuriser, so the server featurises exactly as training did;
 * - `/v1/analyze` with `classifiers` adds the text head's answer and skips the image head on text;
 * - the refusals: unknown model or alias (404), content of the wrong modality (415), a
 *   hand-registered version without a featuriser (409), bad bodies and options (400/415).
 *
 * The text set is generated here (three topics from seeded word lists); the images come from
 * scripts/media-datasets.ts (the generator the image lifecycle e2e uses).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { hashedBagOfWords } from '../../src/core/train/features.js';
import {
  IMAGE_CLASSES,
  imageDataset,
  renderImage,
  rng,
  storedZip,
  wav,
  synthMachine,
} from '../../scripts/media-datasets.js';
import { jsonCaller, type Json } from '../helpers/lifecycle-http.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';
import { call as securedCall, createKey, createTenant } from '../security/support.js';

const TOPICS = {
  cooking: ['oven', 'bake', 'flour', 'garlic', 'simmer', 'recipe', 'onion', 'butter', 'roast', 'sauce'],
  sports: ['goal', 'match', 'coach', 'league', 'score', 'striker', 'referee', 'season', 'team', 'penalty'],
  weather: ['rain', 'cloudy', 'forecast', 'storm', 'sunny', 'wind', 'humid', 'snow', 'thunder', 'degrees'],
} as const;
const TOPIC_NAMES = Object.keys(TOPICS) as Array<keyof typeof TOPICS>;
const FILLER = ['the', 'a', 'was', 'very', 'today', 'and', 'then', 'we', 'really', 'after', 'our', 'it'];

/** A seeded sentence about `topic`: four topic words among filler words. */
function sentence(topic: keyof typeof TOPICS, seed: number): string {
  const r = rng(seed);
  const pick = (words: readonly string[]): string => words[Math.floor(r() * words.length)] as string;
  const words: string[] = [];
  for (let i = 0; i < 9; i++) words.push(i % 2 === 1 ? pick(TOPICS[topic]) : pick(FILLER));
  return words.join(' ');
}

const DIMENSIONS = 256;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kaleido-e2e-classify-'));
  server = await startTestServer({
    startupModels: [],
    overrides: { 'data.dir': dataDir, 'analysis.modalities': 'text' },
  });
}, 120_000);

afterAll(async () => {
  await server?.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

const call = jsonCaller(() => server.httpUrl);

async function study(name: string, dataset: string, featurizer: Json): Promise<Json> {
  const created = await call('POST', '/v1/studies', {
    name,
    metric: 'valAccuracy',
    nTrials: 4,
    concurrency: 2,
    sampler: { type: 'random', seed: 7 },
    pruner: { type: 'nop' },
    dataset: { id: dataset },
    featurizer,
    training: { epochs: 15, batchSize: 16, earlyStopping: null },
    searchSpace: {
      model: { type: 'categorical', choices: ['logistic'] },
      lr: { type: 'float', low: 0.02, high: 0.1, log: true },
    },
    modelName: name,
  });
  expect(created.status).toBe(201);
  const until = Date.now() + 400_000;
  for (;;) {
    const s = (await call('GET', `/v1/studies/${name}`)).json;
    if (s.state === 'completed' || s.state === 'failed') {
      expect(s.error).toBeNull();
      expect(s.result.model).toMatchObject({ alias: 'champion', served: true });
      return s;
    }
    if (Date.now() > until) throw new Error(`study ${name} still ${s.state}`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

describe('e2e: POST /v1/classify — raw content through the user’s registered head', () => {
  it('text: a sentence in, its topic out, exactly as OIP on client-side features', async () => {
    const rows = TOPIC_NAMES.flatMap((t, c) =>
      Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: sentence(t, 1000 * c + i), label: t })),
    );
    const up = await call(
      'POST',
      '/v1/datasets?name=topics&splitSeed=3',
      rows.join('\n'),
      'application/x-ndjson',
    );
    expect(up.status).toBe(201);
    const featurizer = { type: 'hashed-bow', dimensions: DIMENSIONS, bigrams: false };
    await study('topics', 'topics', featurizer);

    // The version records how to featurise (model card `serving`, tag kaleido.featurizer).
    const mv = (await call('GET', '/api/2.0/mlflow/registered-models/alias?name=topics&alias=champion')).json
      .model_version;
    expect(mv.model_card.featurizer).toEqual(featurizer);
    expect(mv.model_card.serving).toMatchObject({
      schema: 'kaleido.serving/v1',
      featurizerId: `hashed-bow.fnv1a.${DIMENSIONS}`,
      modality: 'text',
      inputField: 'text',
      input: { name: 'features', datatype: 'FP32' },
      output: { name: 'probabilities' },
    });
    expect(mv.tags).toContainEqual({ key: 'kaleido.featurizer', value: 'hashed-bow' });

    let right = 0;
    let total = 0;
    const ms: number[] = [];
    for (const [c, topic] of TOPIC_NAMES.entries()) {
      for (let i = 0; i < 5; i++) {
        const text = sentence(topic, 900_000 + 100 * c + i);
        // JSON {text} and the raw text/plain body give the same answer.
        const a = await call('POST', '/v1/classify/topics@champion', { text });
        expect(a.status).toBe(200);
        const raw = await call('POST', '/v1/classify/topics@champion', text, 'text/plain; charset=utf-8');
        expect(raw.status).toBe(200);
        expect(raw.json.labels).toEqual(a.json.labels);
        expect(a.json).toMatchObject({
          model: 'topics',
          version: mv.version,
          modality: 'text',
          featurizer: { type: 'hashed-bow', id: `hashed-bow.fnv1a.${DIMENSIONS}`, modality: 'text' },
        });
        expect(a.json.labels.map((l: Json) => l.label).sort()).toEqual([...TOPIC_NAMES].sort());
        const scores = a.json.labels.map((l: Json) => l.score as number);
        expect(scores).toEqual([...scores].sort((x, y) => y - x));
        expect(scores.reduce((x: number, y: number) => x + y, 0)).toBeCloseTo(1, 4);
        expect(a.json.label).toBe(a.json.labels[0].label);
        expect(a.json.stages.map((s: Json) => s.name)).toEqual(['featurize', 'head']);
        expect(typeof a.json.durationMs).toBe('number');
        total++;
        ms.push(a.json.durationMs as number);
        if (a.json.label === topic) right++;

        if (i === 0) {
          // The same head over OIP, fed the training featuriser's output computed here.
          const x = hashedBagOfWords([text], { dimensions: DIMENSIONS });
          const oip = await call('POST', '/v2/models/topics@champion/infer', {
            inputs: [{ name: 'features', datatype: 'FP32', shape: [1, DIMENSIONS], data: Array.from(x) }],
          });
          expect(oip.status).toBe(200);
          const p = oip.json.outputs[0].data as number[];
          for (const l of a.json.labels as Json[]) {
            expect(l.score).toBeCloseTo(p[[...TOPIC_NAMES].sort().indexOf(l.label)] as number, 6);
          }
        }
      }
    }
    console.log(
      `topics@champion via /v1/classify: ${right}/${total} unseen sentences right, median ${median(ms)} ms`,
    );
    expect(right / total).toBeGreaterThanOrEqual(0.8);

    // Numeric version routes and the served name.
    const byVersion = await call('POST', `/v1/classify/topics/versions/${mv.version}`, {
      text: 'rain and storm',
    });
    expect(byVersion.status).toBe(200);
    const byAlias = await call('POST', '/v1/classify/topics/versions/champion', { text: 'rain and storm' });
    expect(byAlias.json.labels).toEqual(byVersion.json.labels);
    expect(byAlias.json.label).toBe('weather');

    // The served OpenAPI document describes the route and its answer.
    const spec = (await call('GET', '/v1/openapi.json')).json;
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/classify/{model}', '/v1/classify/{model}/versions/{version}']),
    );
    for (const key of spec.components.schemas.ClassifyResponse.required)
      expect(byAlias.json).toHaveProperty(key);
    expect(spec.paths['/v1/analyze'].post.parameters.map((p: Json) => p.name)).toContain('classifiers');
  }, 300_000);

  it('image: a JPEG in, its class out (MobileNetV2 embeddings rebuilt from the record)', async () => {
    const up = await call(
      'POST',
      '/v1/datasets?name=shapes&format=zip&splitSeed=5&validationFraction=0.2&testFraction=0.2',
      storedZip(await imageDataset(16, 1)),
      'application/zip',
    );
    expect(up.status).toBe(201);
    await study('shapes', 'shapes', { type: 'image-embedding', model: 'mobilenet_v2' });
    const mv = (await call('GET', '/api/2.0/mlflow/registered-models/alias?name=shapes&alias=champion')).json
      .model_version;
    expect(mv.model_card.serving).toMatchObject({ modality: 'image', inputField: 'file' });
    expect(mv.model_card.serving.featurizerId).toMatch(/^image-embedding\./);

    let right = 0;
    let total = 0;
    const ms: number[] = [];
    for (const [c, kind] of IMAGE_CLASSES.entries()) {
      for (let i = 0; i < 4; i++) {
        const jpeg = await renderImage(kind, 2 * 1_000_003 + c * 10_007 + 500 + i);
        // The content type is optional: the magic bytes decide.
        const a = await call(
          'POST',
          '/v1/classify/shapes@champion',
          jpeg,
          i % 2 === 0 ? 'image/jpeg' : 'application/octet-stream',
        );
        expect(a.status).toBe(200);
        expect(a.json).toMatchObject({
          model: 'shapes',
          modality: 'image',
          mime: 'image/jpeg',
          featurizer: { type: 'image-embedding', id: mv.model_card.serving.featurizerId },
        });
        expect(a.json.labels).toHaveLength(3);
        total++;
        ms.push(a.json.durationMs as number);
        if (a.json.label === kind) right++;
      }
    }
    console.log(
      `shapes@champion via /v1/classify: ${right}/${total} unseen images right, median ${median(ms)} ms`,
    );
    expect(right / total).toBeGreaterThanOrEqual(0.6);

    // Wrong modality for the head: 415 naming both sides.
    const textToImage = await call('POST', '/v1/classify/shapes@champion', { text: 'a photo' });
    expect(textToImage.status).toBe(415);
    expect(textToImage.json.error).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { modality: 'text', expected: 'image', featurizer: 'image-embedding' },
    });
    const audioToImage = await call(
      'POST',
      '/v1/classify/shapes@champion',
      wav(synthMachine('normal', 3)),
      'audio/wav',
    );
    expect(audioToImage.status).toBe(415);
    expect(audioToImage.json.error.details).toMatchObject({ modality: 'audio', expected: 'image' });
    const imageToText = await call(
      'POST',
      '/v1/classify/topics@champion',
      await renderImage('photo', 9),
      'image/jpeg',
    );
    expect(imageToText.status).toBe(415);
    expect(imageToText.json.error.details).toMatchObject({ modality: 'image', expected: 'text' });
  }, 400_000);

  it('/v1/analyze?classifiers= adds the matching heads and skips the others', async () => {
    const a = await call('POST', '/v1/analyze?tasks=language', {
      text: 'heavy rain and a storm in the forecast',
      classifiers: ['topics@champion', 'shapes@champion'],
    });
    expect(a.status).toBe(200);
    expect(a.json.results.language).toBeDefined();
    expect(a.json.results.classifiers['topics@champion']).toMatchObject({
      model: 'topics',
      label: 'weather',
      featurizer: { type: 'hashed-bow' },
    });
    expect(a.json.results.classifiers['shapes@champion']).toBeUndefined();
    expect(a.json.skipped['classifiers/shapes@champion']).toMatchObject({ status: 'skipped' });
    expect(a.json.stages.map((s: Json) => s.name)).toContain('classifier:topics@champion/head');

    const q = await call(
      'POST',
      '/v1/analyze?tasks=language&classifiers=topics@champion',
      'the striker scored a goal',
      'text/plain',
    );
    expect(q.status).toBe(200);
    expect(q.json.results.classifiers['topics@champion'].label).toBe('sports');

    const missing = await call('POST', '/v1/analyze?classifiers=nope@champion', { text: 'x' });
    expect(missing.status).toBe(404);
    const both = await call('POST', '/v1/analyze?classifiers=topics', { text: 'x', classifiers: 'topics' });
    expect(both.status).toBe(400);
  }, 60_000);

  it('kaleido classify: a file or --text from the command line', async () => {
    const cli = async (...args: string[]): Promise<string> => {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
        return true;
      });
      try {
        const program = buildCli().exitOverride();
        for (const c of program.commands) c.exitOverride();
        await program.parseAsync(['node', 'kaleido', ...args, '--url', server.httpUrl]);
      } finally {
        spy.mockRestore();
      }
      return out;
    };
    const text = await cli('classify', 'topics@champion', '--text', 'snow and wind in the forecast');
    expect(text.split('\n')[1]).toMatch(/^weather\s+0\.\d{4}$/);
    const file = join(dataDir, 'photo.jpg');
    writeFileSync(file, await renderImage('document', 424_242));
    const answer = JSON.parse(await cli('classify', 'shapes/versions/1', file, '--json')) as Json;
    expect(answer).toMatchObject({ model: 'shapes', version: '1', modality: 'image' });
    await expect(cli('classify', 'nope@champion', '--text', 'x')).rejects.toMatchObject({
      code: 'ERR_MODEL_NOT_FOUND',
    });
  }, 60_000);

  it('refusals: unknown model or alias, no featuriser recorded, bad bodies', async () => {
    const unknown = await call('POST', '/v1/classify/nope@champion', { text: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('ERR_MODEL_NOT_FOUND');
    const noAlias = await call('POST', '/v1/classify/topics@nosuch', { text: 'x' });
    expect(noAlias.status).toBe(404);
    expect(noAlias.json.error.code).toBe('ERR_VERSION_NOT_FOUND');

    // A hand-registered version (MLflow API) records no featuriser: 409, pointing at OIP.
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'hand' })).status).toBe(
      200,
    );
    expect(
      (
        await call('POST', '/api/2.0/mlflow/model-versions/create', {
          name: 'hand',
          source: 'models:/hand/1',
        })
      ).status,
    ).toBe(200);
    const hand = await call('POST', '/v1/classify/hand/versions/1', { text: 'x' });
    expect(hand.status).toBe(409);
    expect(hand.json.error.code).toBe('ERR_NOT_CLASSIFIABLE');

    const empty = await call(
      'POST',
      '/v1/classify/topics@champion',
      new Uint8Array(0),
      'application/octet-stream',
    );
    expect(empty.status).toBe(400);
    const blank = await call('POST', '/v1/classify/topics@champion', { text: '  ' });
    expect(blank.status).toBe(400);
    const field = await call('POST', '/v1/classify/topics@champion', { text: 'x', top: 1 });
    expect(field.status).toBe(400);
    expect(field.json.error.details.field).toBe('top');
    const junk = await call(
      'POST',
      '/v1/classify/topics@champion',
      new Uint8Array([0, 1, 2, 3, 255, 254]),
      'application/octet-stream',
    );
    expect(junk.status).toBe(415);
    const query = await call('POST', '/v1/classify/topics@champion?x=1', { text: 'x' });
    expect(query.status).toBe(400);
  }, 60_000);
});

describe('e2e: /v1/classify is tenant-aware and an inference permission', () => {
  let secured: TestServer;
  beforeAll(async () => {
    secured = await startTestServer({
      startupModels: [],
      auth: {},
      overrides: { 'analysis.modalities': 'text' },
    });
    await createTenant(secured.httpUrl, TEST_ADMIN_KEY, 'acme');
    await createTenant(secured.httpUrl, TEST_ADMIN_KEY, 'globex');
  }, 120_000);
  afterAll(async () => {
    await secured?.close().catch(() => undefined);
  });

  it("a tenant's head answers its own service keys only; other tenants see no such model", async () => {
    const base = secured.httpUrl;
    const maintainer = (await createKey(base, TEST_ADMIN_KEY, { role: 'maintainer', tenant: 'acme' })).key;
    const service = (await createKey(base, TEST_ADMIN_KEY, { role: 'service', tenant: 'acme' })).key;
    const other = (await createKey(base, TEST_ADMIN_KEY, { role: 'service', tenant: 'globex' })).key;
    const rows = TOPIC_NAMES.flatMap((t, c) =>
      Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({ text: sentence(t, 5000 + 1000 * c + i), label: t }),
      ),
    );
    const up = await securedCall(base, 'POST', '/v1/datasets?name=topics', {
      key: maintainer,
      body: rows.join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(up.status).toBe(201);
    const created = await securedCall(base, 'POST', '/v1/studies', {
      key: maintainer,
      body: {
        name: 'topics',
        nTrials: 2,
        sampler: { type: 'random', seed: 1 },
        pruner: { type: 'nop' },
        dataset: { id: 'topics' },
        featurizer: { type: 'hashed-bow', dimensions: DIMENSIONS },
        training: { epochs: 15, batchSize: 16, learningRate: 0.05, earlyStopping: null },
        searchSpace: { l2: { type: 'float', low: 0.00001, high: 0.0001, log: true } },
        modelName: 'topics',
      },
    });
    expect(created.status).toBe(201);
    for (let i = 0; ; i++) {
      const st = await securedCall(base, 'GET', '/v1/studies/topics', { key: maintainer });
      if (st.body.state === 'completed') break;
      expect(st.body.state).not.toBe('failed');
      if (i > 600) throw new Error('study did not finish');
      await new Promise((r) => setTimeout(r, 300));
    }
    const text = { text: 'the striker scored a late goal for the team' };
    const own = await securedCall(base, 'POST', '/v1/classify/topics@champion', { key: service, body: text });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ model: 'topics', label: 'sports' });
    expect(own.body.stages[1].model).toBe('acme__topics');
    // The served name works for its owner too.
    const served = await securedCall(base, 'POST', '/v1/classify/acme__topics@champion', {
      key: service,
      body: text,
    });
    expect(served.body.labels).toEqual(own.body.labels);
    // Another tenant: exactly like a model that does not exist.
    for (const ref of ['topics@champion', 'acme__topics@champion']) {
      const r = await securedCall(base, 'POST', `/v1/classify/${ref}`, { key: other, body: text });
      expect(r.status).toBe(404);
    }
    const anonymous = await securedCall(base, 'POST', '/v1/classify/topics@champion', { body: text });
    expect(anonymous.status).toBe(401);
  }, 300_000);
});
