/**
 * The serving layer wired with its real adapters (filesystem repository, onnxruntime, SQLite):
 * loading, version policy, atomic reload, validation errors, scheduling parameters, statistics.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { createFsModelSource } from '../../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import { createSqliteMetadataStore } from '../../src/adapters/store-sqlite/index.js';
import { KaleidoError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { MetadataStore } from '../../src/core/ports/metadata-store.js';
import { noopServingMetrics } from '../../src/core/ports/metrics.js';
import type { Tensor } from '../../src/core/tensor.js';
import { KaleidoInferenceService } from '../../src/serving/inference-service.js';
import { ModelManager } from '../../src/serving/model-manager.js';

const FIXTURES = new URL('../../models/fixtures/', import.meta.url).pathname;

interface GoldenCase {
  batch_size: number;
  inputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
  outputs: Array<{ name: string; shape: number[]; data: number[] }>;
}
const golden = (model: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/golden/${model}.json`, import.meta.url), 'utf8')) as {
    cases: GoldenCase[];
    tolerance: { relative: number; absolute: number };
  };

const fp32 = (name: string, shape: number[], data: number[]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: Float32Array.from(data),
});

async function failure(p: Promise<unknown>): Promise<KaleidoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
}

let repo: string;
let store: MetadataStore;
let manager: ModelManager;
let service: KaleidoInferenceService;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'kaleido-repo-'));
  for (const m of ['mlp_fp32', 'add_sub_fp32', 'identity_fp32', 'identity_bytes', 'mlp_noconfig']) {
    cpSync(join(FIXTURES, m), join(repo, m), { recursive: true });
  }
  store = createSqliteMetadataStore({ path: ':memory:' });
  await store.migrate();
  const clock = createSystemClock();
  manager = new ModelManager({
    source: createFsModelSource([repo]),
    runtime: new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    store,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  service = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: 'test',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  for (const m of ['mlp_fp32', 'add_sub_fp32', 'identity_fp32', 'identity_bytes', 'mlp_noconfig'])
    await service.loadModel(m);
  service.markStartupComplete();
});

afterAll(async () => {
  await manager.shutdown();
  await store.close();
});

describe('serving with real adapters', () => {
  it('is ready and lists the models', async () => {
    expect(service.isReady()).toBe(true);
    const index = await service.repositoryIndex();
    expect(index.filter((e) => e.state === 'READY').map((e) => e.name)).toContain('mlp_fp32');
    expect(service.modelReady('mlp_fp32')).toBe(true);
    expect(service.modelReady('mlp_fp32', '7')).toBe(false);
    expect(service.modelReady('nope')).toBe(false);
  });

  it('matches the independent reference implementation (golden outputs) at batch 1 and 4', async () => {
    const g = golden('mlp_fp32');
    for (const c of g.cases) {
      const input = c.inputs[0]!;
      const r = await service.infer({
        modelName: 'mlp_fp32',
        inputs: [fp32(input.name, input.shape, input.data)],
      });
      const out = r.outputs[0]!;
      const want = c.outputs[0]!;
      expect(out.shape).toEqual(want.shape);
      const got = out.data as Float32Array;
      want.data.forEach((w, i) =>
        expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(
          g.tolerance.absolute + g.tolerance.relative * Math.abs(w) + 1e-6,
        ),
      );
    }
  });

  it('serves every version under the "all" policy (highest by default) and completes missing configs', async () => {
    const meta = service.modelMetadata('add_sub_fp32');
    expect(meta.versions).toEqual(['2', '1']);
    expect(service.modelMetadata('add_sub_fp32', '1').versions).toEqual(['2', '1']);
    expect(meta.inputs[0]).toEqual({ name: 'INPUT0', datatype: 'FP32', shape: [-1, 16] });
    const noconfig = service.modelMetadata('mlp_noconfig');
    expect(noconfig.inputs[0]?.shape[0]).toBe(-1);
    expect(
      (service.modelConfig('mlp_noconfig') as { max_batch_size: number }).max_batch_size,
    ).toBeGreaterThan(0);
  });

  it('reloads atomically with another version policy', async () => {
    const a = fp32('INPUT0', [1, 16], Array(16).fill(5));
    const b = fp32('INPUT1', [1, 16], Array(16).fill(2));
    const before = await service.infer({
      modelName: 'add_sub_fp32',
      inputs: [a, b],
      outputs: [{ name: 'OUTPUT1' }],
    });
    expect(before.modelVersion).toBe('2');
    expect((before.outputs[0]!.data as Float32Array)[0]).toBe(-3); // v2: b − a
    const config = JSON.parse(readFileSync(join(repo, 'add_sub_fp32', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const inFlight = Array.from({ length: 20 }, () =>
      service.infer({ modelName: 'add_sub_fp32', inputs: [a, b] }),
    );
    await service.loadModel('add_sub_fp32', {
      config: JSON.stringify({ ...config, version_policy: { specific: { versions: [1] } } }),
    });
    const settled = await Promise.allSettled(inFlight);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const after = await service.infer({
      modelName: 'add_sub_fp32',
      inputs: [a, b],
      outputs: [{ name: 'OUTPUT1' }],
    });
    expect(after.modelVersion).toBe('1');
    expect(service.modelMetadata('add_sub_fp32').versions).toEqual(['1']);
    expect((after.outputs[0]!.data as Float32Array)[0]).toBe(3); // v1: a − b
    expect(
      (await failure(service.infer({ modelName: 'add_sub_fp32', modelVersion: '2', inputs: [a, b] }))).code,
    ).toBe('ERR_VERSION_NOT_FOUND');
    const events = await store.listModelEvents({ model: 'add_sub_fp32' });
    expect(events.map((e) => e.type)).toContain('reloaded');
  });

  it('keeps the old version serving when a reload fails', async () => {
    const bad = JSON.stringify({
      max_batch_size: 8,
      input: [{ name: 'nope', data_type: 'FP32', dims: [64] }],
    });
    expect((await failure(service.loadModel('mlp_fp32', { config: bad }))).code).toBe('ERR_BAD_CONFIG');
    expect(service.modelReady('mlp_fp32')).toBe(true);
    expect((await failure(service.loadModel('mlp_fp32', { config: '{' }))).code).toBe('ERR_BAD_CONFIG');
  });

  it('reports a corrupt model file as a load failure', async () => {
    cpSync(join(FIXTURES, 'identity_fp32'), join(repo, 'broken'), { recursive: true });
    writeFileSync(join(repo, 'broken', 'config.json'), JSON.stringify({ name: 'broken' }));
    writeFileSync(join(repo, 'broken', '1', 'model.onnx'), 'not an onnx file');
    expect((await failure(service.loadModel('broken'))).code).toBe('ERR_MODEL_LOAD_FAILED');
    const entry = (await service.repositoryIndex()).find((e) => e.name === 'broken');
    expect(entry?.state).toBe('UNAVAILABLE');
    expect(entry?.reason).toMatch(/load/);
    expect((await failure(service.infer({ modelName: 'broken', inputs: [] }))).code).toBe(
      'ERR_MODEL_NOT_READY',
    );
    expect((await failure(service.loadModel('does_not_exist'))).code).toBe('ERR_MODEL_NOT_FOUND');
    expect((await failure(service.loadModel('../etc'))).code).toBe('ERR_MODEL_NOT_FOUND');
  });

  it('validates requests with stable codes', async () => {
    const x = fp32('features', [1, 64], Array(64).fill(0));
    const cases: Array<[Promise<unknown>, string]> = [
      [service.infer({ modelName: 'nope', inputs: [x] }), 'ERR_MODEL_NOT_FOUND'],
      [service.infer({ modelName: 'mlp_fp32', inputs: [] }), 'ERR_MISSING_INPUT'],
      [service.infer({ modelName: 'mlp_fp32', inputs: [x, { ...x, name: 'other' }] }), 'ERR_UNKNOWN_INPUT'],
      [service.infer({ modelName: 'mlp_fp32', inputs: [x, x] }), 'ERR_DUPLICATE_NAME'],
      [
        service.infer({
          modelName: 'mlp_fp32',
          inputs: [{ ...x, datatype: 'FP64', data: new Float64Array(64) }],
        }),
        'ERR_DATATYPE_MISMATCH',
      ],
      [
        service.infer({ modelName: 'mlp_fp32', inputs: [fp32('features', [1, 63], Array(63).fill(0))] }),
        'ERR_SHAPE_MISMATCH',
      ],
      [
        service.infer({
          modelName: 'mlp_fp32',
          inputs: [fp32('features', [65, 64], Array(65 * 64).fill(0))],
        }),
        'ERR_BATCH_TOO_LARGE',
      ],
      [
        service.infer({ modelName: 'mlp_fp32', inputs: [{ ...x, data: new Float32Array(3) }] }),
        'ERR_SHAPE_MISMATCH',
      ],
      [
        service.infer({ modelName: 'mlp_fp32', inputs: [x], outputs: [{ name: 'zzz' }] }),
        'ERR_UNKNOWN_OUTPUT',
      ],
      [
        service.infer({
          modelName: 'mlp_fp32',
          inputs: [x],
          outputs: [{ name: 'probabilities' }, { name: 'probabilities' }],
        }),
        'ERR_DUPLICATE_NAME',
      ],
      [service.infer({ modelName: 'mlp_fp32', inputs: [x], parameters: { priority: 9 } }), 'ERR_VALIDATION'],
      [service.infer({ modelName: 'mlp_fp32', inputs: [x], parameters: { timeout: -1 } }), 'ERR_VALIDATION'],
      [
        service.infer({
          modelName: 'mlp_fp32',
          inputs: [x],
          outputs: [{ name: 'probabilities', parameters: { classification: 0 } }],
        }),
        'ERR_VALIDATION',
      ],
    ];
    for (const [p, code] of cases) expect((await failure(p)).code).toBe(code);
  });

  it('implements classification and schedule parameters', async () => {
    const x = fp32('features', [2, 64], Array(128).fill(0.5));
    const r = await service.infer({
      modelName: 'mlp_fp32',
      inputs: [x],
      parameters: { priority: 1, timeout: 5_000_000 },
      outputs: [{ name: 'probabilities', parameters: { classification: 2 } }],
    });
    const out = r.outputs[0]!;
    expect(out.datatype).toBe('BYTES');
    expect(out.shape).toEqual([2, 2]);
    const s = (out.data as Uint8Array[]).map((b) => new TextDecoder().decode(b));
    expect(s[0]).toMatch(/^0\.\d+:\d:[a-z]+$/);
  });

  it('drops a cancelled request before it runs', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await failure(
      service.infer({
        modelName: 'mlp_fp32',
        inputs: [fp32('features', [1, 64], Array(64).fill(0))],
        signal: controller.signal,
      }),
    );
    expect(e.code).toBe('ERR_CANCELLED');
  });

  it('keeps Triton statistics', async () => {
    const [s] = service.modelStatistics('mlp_fp32');
    expect(s?.inferenceCount).toBeGreaterThan(0);
    expect(s?.executionCount).toBeGreaterThan(0);
    expect(s?.inferenceStats.success.count).toBeGreaterThan(0);
    expect(s?.inferenceStats.fail.count).toBeGreaterThan(0);
    expect(s?.batchStats.length).toBeGreaterThan(0);
    expect(service.modelStatistics().length).toBeGreaterThanOrEqual(4);
    expect(service.modelConfig('mlp_fp32')).toMatchObject({ max_batch_size: 64 });
  });

  it('unloads, refuses inference, and loads again', async () => {
    await service.unloadModel('identity_fp32');
    expect(service.modelReady('identity_fp32')).toBe(false);
    expect((await failure(service.infer({ modelName: 'identity_fp32', inputs: [] }))).code).toBe(
      'ERR_MODEL_NOT_READY',
    );
    await service.loadModel('identity_fp32');
    const r = await service.infer({
      modelName: 'identity_fp32',
      inputs: [fp32('INPUT0', [1, 3], [1, 2, 3])],
    });
    expect(Array.from(r.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
    const v = await store.getModelVersion('identity_fp32', '1');
    expect(v?.state).toBe('READY');
    expect(v?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
