/**
 * The tfjs runtime on the two bundled tfjs models (models/bundled, put there by
 * scripts/bundle-models.mjs, which this test runs if they are missing): load, signature, a known
 * input → stable outputs (the same in the calling thread and in the worker), bad inputs refused
 * with clear codes, confinement of weight shards, and the worker's lifetime.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/helpers/kaleido-server.js';
import { KaleidoError } from '../../core/errors.js';
import type { RuntimeSession } from '../../core/ports/runtime.js';
import type { Tensor } from '../../core/tensor.js';
import { TfjsRuntime } from './tfjs-runtime.js';
import { liveTfjsWorkers, WorkerTfjsRuntime } from './worker-runtime.js';

const BUNDLED = join(REPO_ROOT, 'models', 'bundled');
const NSFW = join(BUNDLED, 'nsfw_mobilenet_v2', '1', 'model.json');
const NANODET = join(BUNDLED, 'object_nanodet', '1', 'model.json');
const threads = { intraOpThreads: 1, interOpThreads: 1 };

async function rejection(p: Promise<unknown>): Promise<KaleidoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    return e as KaleidoError;
  }
  throw new Error('expected a rejection');
}

/** A deterministic, non-trivial image-like input: values (i mod 255) / 255. */
const pattern = (name: string, shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (i % 255) / 255;
  return { name, datatype: 'FP32', shape, data };
};

/** Known answer: nsfwjs MobileNetV2 on the pattern above (measured with nsfwjs' own tfjs stack). */
const NSFW_PATTERN_PROBS = [0.58562, 0.04561, 0.32558, 0.03587, 0.00732];

let tmp: string;
beforeAll(async () => {
  if (!existsSync(NSFW) || !existsSync(NANODET)) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-models.mjs')], { stdio: 'pipe' });
  }
  tmp = await mkdtemp(join(tmpdir(), 'kaleido-tfjs-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.each([
  ['in-thread', () => new TfjsRuntime()],
  ['worker', () => new WorkerTfjsRuntime()],
] as const)('TfjsRuntime (%s)', (_kind, make) => {
  const runtime = make();
  let nsfw: RuntimeSession;
  let nanodet: RuntimeSession;
  beforeAll(async () => {
    nsfw = await runtime.load(NSFW, threads);
    nanodet = await runtime.load(NANODET, threads);
  }, 60_000);
  afterAll(async () => {
    await nsfw?.close();
    await nanodet?.close();
  });

  it('names itself as the tfjs backend with model.json files', () => {
    expect([runtime.backend, runtime.platform, runtime.defaultModelFilename]).toEqual([
      'tfjs',
      'tfjs',
      'model.json',
    ]);
  });

  it('reads the signature of a layers model (batch dimension variable)', () => {
    expect(nsfw.inputs).toEqual([{ name: 'input_1', datatype: 'FP32', shape: [-1, 224, 224, 3] }]);
    expect(nsfw.outputs).toEqual([{ name: 'dense_3', datatype: 'FP32', shape: [-1, 5] }]);
    expect(nsfw.metadata).toMatchObject({ format: 'layers-model', tfjs_backend: 'wasm' });
  });

  it('reads the signature of a graph model (fixed shapes, six outputs; object_nanodet as bundled at input_size 352)', () => {
    expect(nanodet.inputs).toEqual([{ name: 'input_1', datatype: 'FP32', shape: [1, 3, 352, 352] }]);
    expect(nanodet.outputs.map((o) => `${o.name}:${o.shape.join('x')}`).sort()).toEqual([
      'Identity:1x1936x80',
      'Identity_1:1x484x80',
      'Identity_2:1x121x80',
      'Identity_3:1x1936x44',
      'Identity_4:1x484x44',
      'Identity_5:1x121x44',
    ]);
    expect(nanodet.metadata).toMatchObject({ format: 'graph-model' });
  });

  it('gives the known probabilities for a known input, the same on every run', async () => {
    const input = pattern('input_1', [1, 224, 224, 3]);
    const [a] = await nsfw.run([input], ['dense_3']);
    const [b] = await nsfw.run([input], ['dense_3']);
    expect(a?.shape).toEqual([1, 5]);
    const p = Array.from(a?.data as Float32Array);
    p.forEach((v, i) => expect(v).toBeCloseTo(NSFW_PATTERN_PROBS[i] as number, 4));
    expect(Array.from(b?.data as Float32Array)).toEqual(p);
    // The caller's input is not consumed (the worker copies it).
    expect((input.data as Float32Array).length).toBe(224 * 224 * 3);
  });

  it('runs a batch: each row equals the row run alone', async () => {
    const one = pattern('input_1', [1, 224, 224, 3]);
    const zeros = new Float32Array(224 * 224 * 3);
    const data = new Float32Array(2 * 224 * 224 * 3);
    data.set(one.data as Float32Array, 0);
    data.set(zeros, 224 * 224 * 3);
    const [out] = await nsfw.run(
      [{ name: 'input_1', datatype: 'FP32', shape: [2, 224, 224, 3], data }],
      ['dense_3'],
    );
    const [alone] = await nsfw.run(
      [{ name: 'input_1', datatype: 'FP32', shape: [1, 224, 224, 3], data: zeros }],
      ['dense_3'],
    );
    const rows = Array.from(out?.data as Float32Array);
    expect(out?.shape).toEqual([2, 5]);
    rows.slice(0, 5).forEach((v, i) => expect(v).toBeCloseTo(NSFW_PATTERN_PROBS[i] as number, 4));
    rows.slice(5).forEach((v, i) => expect(v).toBeCloseTo((alone?.data as Float32Array)[i] as number, 5));
  });

  it('returns only the outputs asked for, in the order asked', async () => {
    const out = await nanodet.run([pattern('input_1', [1, 3, 352, 352])], ['Identity_5', 'Identity_2']);
    expect(out.map((o) => [o.name, o.shape])).toEqual([
      ['Identity_5', [1, 121, 44]],
      ['Identity_2', [1, 121, 80]],
    ]);
    // Class scores are sigmoid outputs.
    expect(Array.from(out[1]?.data as Float32Array).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('refuses bad inputs with clear codes', async () => {
    const cases: Array<[string, Tensor[], string[], string]> = [
      ['wrong shape', [pattern('input_1', [1, 224, 224, 4])], ['dense_3'], 'ERR_SHAPE_MISMATCH'],
      ['wrong rank', [pattern('input_1', [224, 224, 3])], ['dense_3'], 'ERR_SHAPE_MISMATCH'],
      [
        'wrong datatype',
        [
          {
            name: 'input_1',
            datatype: 'INT32',
            shape: [1, 224, 224, 3],
            data: new Int32Array(224 * 224 * 3),
          },
        ],
        ['dense_3'],
        'ERR_DATATYPE_MISMATCH',
      ],
      [
        'data shorter than the shape',
        [{ name: 'input_1', datatype: 'FP32', shape: [1, 224, 224, 3], data: new Float32Array(10) }],
        ['dense_3'],
        'ERR_SHAPE_MISMATCH',
      ],
      ['unknown input', [pattern('image', [1, 224, 224, 3])], ['dense_3'], 'ERR_UNKNOWN_INPUT'],
      ['missing input', [], ['dense_3'], 'ERR_MISSING_INPUT'],
      ['unknown output', [pattern('input_1', [1, 224, 224, 3])], ['logits'], 'ERR_UNKNOWN_OUTPUT'],
    ];
    for (const [what, inputs, outputs, code] of cases) {
      const e = await rejection(nsfw.run(inputs, outputs));
      expect(e.code, what).toBe(code);
    }
    // The session still serves after refusals.
    const [ok] = await nsfw.run([pattern('input_1', [1, 224, 224, 3])], ['dense_3']);
    expect(ok?.shape).toEqual([1, 5]);
  });

  it('refuses files that are not tfjs models, and shards outside the model directory', async () => {
    const dir = join(tmp, _kind);
    await mkdir(join(dir, 'm', '1'), { recursive: true });
    const notJson = join(dir, 'm', '1', 'model.json');
    await writeFile(notJson, 'not json');
    expect((await rejection(runtime.load(notJson, threads))).code).toBe('ERR_MODEL_LOAD_FAILED');
    await writeFile(join(dir, 'secret.bin'), new Uint8Array(16));
    const escaping = join(dir, 'm', '1', 'escape.json');
    await writeFile(
      escaping,
      JSON.stringify({
        format: 'graph-model',
        modelTopology: { node: [] },
        weightsManifest: [{ paths: ['../../secret.bin'], weights: [] }],
      }),
    );
    const e = await rejection(runtime.load(escaping, threads));
    expect(e.code).toBe('ERR_MODEL_LOAD_FAILED');
    expect(e.message).toMatch(/not a plain relative path/);
    const missingShard = join(dir, 'm', '1', 'missing.json');
    await copyFile(NANODET, missingShard); // its shard nanodet.bin is not beside the copy
    expect((await rejection(runtime.load(missingShard, threads))).code).toBe('ERR_MODEL_LOAD_FAILED');
    expect((await rejection(runtime.load(join(dir, 'absent.json'), threads))).code).toBe(
      'ERR_MODEL_LOAD_FAILED',
    );
  });

  it('refuses runs after close', async () => {
    const s = await runtime.load(NSFW, threads);
    await s.close();
    const e = await rejection(s.run([pattern('input_1', [1, 224, 224, 3])], ['dense_3']));
    expect(e.code).toBe('ERR_MODEL_NOT_READY');
  });
});

describe('WorkerTfjsRuntime lifetime', () => {
  it('ends its thread on close, after the runs already posted', async () => {
    const before = liveTfjsWorkers();
    const s = await new WorkerTfjsRuntime().load(NSFW, threads);
    expect(liveTfjsWorkers()).toBe(before + 1);
    const pending = s.run([pattern('input_1', [1, 224, 224, 3])], ['dense_3']);
    await s.close();
    const [out] = await pending;
    expect(out?.shape).toEqual([1, 5]);
    expect(liveTfjsWorkers()).toBe(before);
  }, 60_000);
});
