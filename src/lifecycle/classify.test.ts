/**
 * The featuriser record of registered versions and resolving them for classification, on a real
 * registry (in-memory SQLite). Featurising and running heads end to end: test/e2e/classify.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OnnxRepositoryPublisher } from '../adapters/onnx-export/index.js';
import { createFsModelSource } from '../adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../adapters/runtime-onnx/onnx-runtime.js';
import { createSqliteLifecycleStores, createSqliteMetadataStore } from '../adapters/store-sqlite/index.js';
import { createSystemClock } from '../adapters/clock-system/system-clock.js';
import { isKaleidoError } from '../core/errors.js';
import { silentLogger } from '../core/ports/logger.js';
import type { MetadataStore } from '../core/ports/metadata-store.js';
import { noopServingMetrics } from '../core/ports/metrics.js';
import { hashedBagOfWords } from '../core/train/features.js';
import { predictProba, trainHead } from '../core/train/trainer.js';
import { ModelManager } from '../serving/model-manager.js';
import type { LifecycleStores } from '../core/ports/lifecycle-store.js';
import type { ModelVersion } from '../core/ports/registry-store.js';
import type { DatasetSchema } from '../core/ports/dataset-store.js';
import { KaleidoInferenceService } from '../serving/inference-service.js';
import {
  ClassifyService,
  featurizerIdOf,
  featurizerModality,
  parseClassifierRef,
  servingRecord,
  versionFeaturizer,
  type ResolvedHead,
} from './classify.js';
import { RegistryService } from './registry.js';

const version = (card?: Record<string, unknown>, signature?: ModelVersion['signature']): ModelVersion => ({
  name: 'm',
  version: '3',
  creationTime: 0,
  lastUpdatedTime: 0,
  description: '',
  userId: 'u',
  source: 's',
  status: 'READY',
  statusMessage: '',
  metrics: {},
  tags: [],
  aliases: [],
  ...(card === undefined ? {} : { modelCard: card }),
  ...(signature === undefined ? {} : { signature }),
});

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isKaleidoError(e) ? e.code : String(e);
  }
  return undefined;
};

const TEXT_SCHEMA: DatasetSchema = {
  fields: [],
  labelField: 'label',
  textField: 'review',
  fileField: null,
  featureFields: [],
};

describe('featurizerModality', () => {
  it('maps text hashing to text, media featurisers by their prefix, tabular to none', () => {
    expect(featurizerModality({ type: 'hashed-bow' })).toBe('text');
    expect(featurizerModality({ type: 'image-embedding' })).toBe('image');
    expect(featurizerModality({ type: 'audio-features' })).toBe('audio');
    // A featuriser added later plugs in by its name.
    expect(featurizerModality({ type: 'video-features' } as never)).toBe('video');
    expect(featurizerModality({ type: 'tabular' })).toBeUndefined();
  });
});

describe('servingRecord', () => {
  it('records the featuriser id, modality, input field and tensor names', () => {
    expect(
      servingRecord({
        featurizer: { type: 'hashed-bow', dimensions: 512, bigrams: true },
        schema: TEXT_SCHEMA,
      }),
    ).toEqual({
      schema: 'kaleido.serving/v1',
      featurizerId: 'hashed-bow.fnv1a.512.bigrams',
      modality: 'text',
      inputField: 'review',
      input: { name: 'features', datatype: 'FP32' },
      output: { name: 'probabilities' },
    });
  });

  it('keeps a null id when the media featuriser is not configured where training ran', () => {
    const r = servingRecord({
      featurizer: { type: 'image-embedding', model: 'mobilenet_v2' },
      schema: { ...TEXT_SCHEMA, textField: null, fileField: 'file' },
    });
    expect(r).toMatchObject({ featurizerId: null, modality: 'image', inputField: 'file' });
    expect(codeOf(() => featurizerIdOf({ type: 'audio-features', method: 'log-mel-stats' }))).toBe(
      'ERR_UNAVAILABLE',
    );
  });
});

describe('versionFeaturizer', () => {
  const card = {
    featurizer: { type: 'hashed-bow', dimensions: 64, bigrams: false },
    classes: ['neg', 'pos'],
    inputDim: 64,
  };

  it('reads a study card (old ones without `serving` too), tensor names from the signature', () => {
    const f = versionFeaturizer(
      version(card, {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
        outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 2] }],
      }),
    );
    expect(f).toEqual({
      spec: { type: 'hashed-bow', dimensions: 64, bigrams: false },
      modality: 'text',
      classes: ['neg', 'pos'],
      inputDim: 64,
      inputName: 'x',
      outputName: 'p',
    });
    const recorded = versionFeaturizer(
      version({ ...card, serving: { featurizerId: 'hashed-bow.fnv1a.64', input: { name: 'features' } } }),
    );
    expect(recorded).toMatchObject({
      recordedId: 'hashed-bow.fnv1a.64',
      inputName: 'features',
      outputName: 'probabilities',
    });
  });

  it('refuses versions it cannot featurise for: ERR_NOT_CLASSIFIABLE', () => {
    for (const bad of [
      undefined,
      {},
      { ...card, featurizer: { type: 'tabular' } },
      { ...card, featurizer: { type: 'word2vec' } },
      { ...card, featurizer: { type: 'hashed-bow', dimensions: 1 } },
      { ...card, classes: undefined },
      { ...card, classes: ['only'] },
      { ...card, classes: ['a', 3] },
    ]) {
      expect(codeOf(() => versionFeaturizer(version(bad)))).toBe('ERR_NOT_CLASSIFIABLE');
    }
  });
});

describe('parseClassifierRef', () => {
  it('accepts name, name@alias, name/versions/N, name/versions/alias and name/N', () => {
    expect(parseClassifierRef('spam')).toEqual({ model: 'spam', versionOrAlias: 'latest' });
    expect(parseClassifierRef('spam@champion')).toEqual({ model: 'spam', versionOrAlias: 'champion' });
    expect(parseClassifierRef('spam/versions/4')).toEqual({ model: 'spam', versionOrAlias: '4' });
    expect(parseClassifierRef('spam/versions/challenger')).toEqual({
      model: 'spam',
      versionOrAlias: 'challenger',
    });
    expect(parseClassifierRef(' spam/2 ')).toEqual({ model: 'spam', versionOrAlias: '2' });
    expect(parseClassifierRef('spam/versions/latest')).toEqual({ model: 'spam', versionOrAlias: 'latest' });
  });

  it('refuses empty names, bad aliases and versions', () => {
    for (const bad of ['', ' ', 'spam@', '@x', 'spam/versions/0', 'spam@latest', 'spam/versions/a b']) {
      expect(codeOf(() => parseClassifierRef(bad))).toBe('ERR_VALIDATION');
    }
  });
});

// A real inference service over a temporary repository, where the tests publish trained heads.
const repo = mkdtempSync(join(tmpdir(), 'kaleido-classify-'));
let metadata: MetadataStore;
let manager: ModelManager;
let inference: KaleidoInferenceService;
beforeAll(async () => {
  metadata = createSqliteMetadataStore({ path: ':memory:' });
  await metadata.migrate();
  const clock = createSystemClock();
  manager = new ModelManager({
    source: createFsModelSource([repo]),
    runtime: new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    store: metadata,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  inference = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: 'test',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  inference.markStartupComplete();
});
afterAll(async () => {
  await manager.shutdown();
  await metadata.close();
  rmSync(repo, { recursive: true, force: true });
});

describe('ClassifyService (real registry and inference service)', () => {
  let stores: LifecycleStores;
  let registry: RegistryService;
  let service: ClassifyService;
  beforeEach(async () => {
    stores = createSqliteLifecycleStores({ path: ':memory:' });
    await stores.migrate();
    registry = new RegistryService(stores.registry);
    service = new ClassifyService({ registry, inference });
  });
  afterEach(async () => {
    await stores.close();
  });

  const register = async (tenant: string, name: string, modelCard?: Record<string, unknown>) => {
    const r = registry.forTenant(tenant);
    await r.createRegisteredModel({ name }).catch(() => undefined);
    const v = await r.createModelVersion({ name, source: 's', ...(modelCard ? { modelCard } : {}) });
    await r.setAlias(name, 'champion', v.version, 'test');
    return v;
  };
  const card = (serving?: Record<string, unknown>) => ({
    featurizer: { type: 'hashed-bow', dimensions: 32, bigrams: false },
    classes: ['a', 'b'],
    inputDim: 32,
    ...(serving === undefined ? {} : { serving }),
  });
  const rejects = async (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'resolved',
      (e: unknown) => (isKaleidoError(e) ? e.code : String(e)),
    );

  it('resolves in the tenant’s own registry and names the served model', async () => {
    await register('acme', 'topics', card({ featurizerId: 'hashed-bow.fnv1a.32' }));
    const head: ResolvedHead = await service.resolve('acme', 'topics@champion');
    expect(head).toMatchObject({
      model: 'topics',
      version: '1',
      servedName: 'acme__topics',
      featurizerId: 'hashed-bow.fnv1a.32',
    });
    // The served name of the caller's own model is accepted too; another tenant sees nothing.
    expect((await service.resolve('acme', 'acme__topics/versions/1')).version).toBe('1');
    expect(await rejects(service.resolve('globex', 'topics@champion'))).toBe('ERR_MODEL_NOT_FOUND');
    expect(await rejects(service.resolve('acme', 'topics@nope'))).toBe('ERR_VERSION_NOT_FOUND');
    expect(await rejects(service.resolve('acme', 'topics/versions/9'))).toBe('ERR_VERSION_NOT_FOUND');
  });

  it('refuses versions without a featuriser, or trained on other features than computed here', async () => {
    await register('system', 'hand');
    expect(await rejects(service.resolve('system', 'hand@champion'))).toBe('ERR_NOT_CLASSIFIABLE');
    await register('system', 'drifted', card({ featurizerId: 'hashed-bow.fnv1a.32.bigrams' }));
    expect(await rejects(service.resolve('system', 'drifted@champion'))).toBe('ERR_NOT_CLASSIFIABLE');
    // A media head on a server without media featurisers: unavailable, not "not classifiable".
    await register('system', 'pics', {
      featurizer: { type: 'image-embedding', model: 'mobilenet_v2' },
      classes: ['cat', 'dog'],
      inputDim: 1280,
    });
    expect(await rejects(service.resolve('system', 'pics@champion'))).toBe('ERR_UNAVAILABLE');
  });

  it('detects content by its bytes: text, images; refuses empty, unknown and mislabelled bodies', () => {
    const text = service.detect({ kind: 'bytes', bytes: new TextEncoder().encode('hello world') });
    expect(text).toMatchObject({ modality: 'text', text: 'hello world' });
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
    ]);
    expect(service.detect({ kind: 'bytes', bytes: png, declaredType: 'image/png' })).toMatchObject({
      modality: 'image',
      mime: 'image/png',
    });
    expect(codeOf(() => service.detect({ kind: 'bytes', bytes: png, declaredType: 'audio/wav' }))).toBe(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    expect(codeOf(() => service.detect({ kind: 'bytes', bytes: new Uint8Array(0) }))).toBe('ERR_VALIDATION');
    expect(codeOf(() => service.detect({ kind: 'text', text: ' \n' }))).toBe('ERR_VALIDATION');
    expect(codeOf(() => service.detect({ kind: 'text', text: 'x'.repeat(1024 * 1024 + 1) }))).toBe(
      'ERR_PAYLOAD_TOO_LARGE',
    );
  });

  it('featurises text as training did and answers the head’s classes, best first', async () => {
    const texts = ['rain storm wind', 'snow cold wind', 'goal match team', 'coach score team'];
    const labels = ['weather', 'weather', 'sports', 'sports'];
    const classes = ['sports', 'weather'];
    const x = hashedBagOfWords(texts, { dimensions: 32 });
    const y = Int32Array.from(labels, (l) => classes.indexOf(l));
    const head = trainHead(
      { classes, dim: 32, train: { x, y } },
      { kind: 'logistic', epochs: 60, learningRate: 0.2, seed: 1, standardize: false, earlyStopping: null },
    );
    const published = await new OnnxRepositoryPublisher({ repositoryDir: repo }).publish(head, {
      modelName: 'acme__topics',
    });
    await inference.loadModel('acme__topics');
    const v = await register('acme', 'topics', {
      ...card({ featurizerId: 'hashed-bow.fnv1a.32' }),
      classes,
    });
    expect(v.version).toBe(String(published.version));

    const text = 'heavy rain and wind';
    const r = await service.classify('acme', 'topics@champion', { kind: 'text', text });
    const p = predictProba(head, hashedBagOfWords([text], { dimensions: 32 }));
    const expected = classes
      .map((label, i) => ({ label, score: p[i] as number }))
      .sort((a, b) => b.score - a.score);
    expect(r.labels.map((l) => l.label)).toEqual(expected.map((l) => l.label));
    r.labels.forEach((l, i) => expect(l.score).toBeCloseTo(expected[i]?.score as number, 5));
    expect(r).toMatchObject({
      model: 'topics',
      version: '1',
      label: 'weather',
      modality: 'text',
      featurizer: { type: 'hashed-bow', id: 'hashed-bow.fnv1a.32', modality: 'text' },
    });
    expect(r.stages.map((s) => [s.name, s.model])).toEqual([
      ['featurize', 'hashed-bow.fnv1a.32'],
      ['head', 'acme__topics'],
    ]);

    // Content of another modality is refused before anything runs.
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
    ]);
    expect(await rejects(service.classify('acme', 'topics', { kind: 'bytes', bytes: png }))).toBe(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    // A card whose featuriser gives another width than the head takes: refused, not garbage.
    await registry.forTenant('acme').createModelVersion({
      name: 'topics',
      source: 's',
      modelCard: {
        ...card(),
        featurizer: { type: 'hashed-bow', dimensions: 64, bigrams: false },
        inputDim: 32,
      },
    });
    expect(await rejects(service.classify('acme', 'topics/versions/2', { kind: 'text', text }))).toBe(
      'ERR_NOT_CLASSIFIABLE',
    );
  });
});
