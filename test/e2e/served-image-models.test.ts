/**
 * The image analyzers' models are repository models: the bundled NSFW classifier (nsfwjs
 * MobileNetV2, a tfjs layers model) and object detector (NanoDet, a tfjs graph model) are listed
 * in the repository index, describe themselves over OIP, and answer inference requests over REST
 * and gRPC through the production composition root with the tfjs worker runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceGrpcClient, type InferenceGrpcClient } from '../helpers/grpc-client.js';
import {
  BUNDLED_REPOSITORY,
  FIXTURE_REPOSITORY,
  startTestServer,
  type TestServer,
} from '../helpers/kaleido-server.js';

let server: TestServer;
let grpc: InferenceGrpcClient;

/** (i mod 255) / 255: the runtime unit test's known input. */
const pattern = (n: number): number[] => Array.from({ length: n }, (_, i) => (i % 255) / 255);
/** nsfwjs' probabilities for that input (src/adapters/runtime-tfjs/tfjs-runtime.test.ts). */
const NSFW_PATTERN_PROBS = [0.58562, 0.04561, 0.32558, 0.03587, 0.00732];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OIP JSON bodies of several shapes
async function json(path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  server = await startTestServer({
    repositories: [FIXTURE_REPOSITORY, BUNDLED_REPOSITORY],
    startupModels: ['nsfw_mobilenet_v2', 'object_nanodet'],
    // The production runtime: each tfjs model instance in its own worker thread.
    overrides: { 'models.runtimeIsolation': 'worker', 'analysis.modalities': 'text' },
  });
  grpc = createInferenceGrpcClient(server.grpcTarget);
}, 180_000);

afterAll(async () => {
  grpc?.close();
  await server?.close();
});

describe('tfjs models in the repository', () => {
  it('are listed READY in the repository index', async () => {
    const r = await json('/v2/repository/index', { ready: true });
    expect(r.status).toBe(200);
    const names = (r.body as Array<{ name: string; state: string }>).map((m) => `${m.name}:${m.state}`);
    expect(names).toContain('nsfw_mobilenet_v2:READY');
    expect(names).toContain('object_nanodet:READY');
  });

  it('describe themselves with the tfjs platform and the signature read from model.json', async () => {
    const nsfw = await json('/v2/models/nsfw_mobilenet_v2');
    expect(nsfw.status).toBe(200);
    expect(nsfw.body).toMatchObject({
      name: 'nsfw_mobilenet_v2',
      platform: 'tfjs',
      inputs: [{ name: 'input_1', datatype: 'FP32', shape: [-1, 224, 224, 3] }],
      outputs: [{ name: 'dense_3', datatype: 'FP32', shape: [-1, 5] }],
    });
    const det = await json('/v2/models/object_nanodet');
    expect(det.body.inputs).toEqual([{ name: 'input_1', datatype: 'FP32', shape: [1, 3, 352, 352] }]);
    expect(det.body.outputs).toHaveLength(6);
    const config = await json('/v2/models/object_nanodet/config');
    expect(config.body).toMatchObject({ backend: 'tfjs', platform: 'tfjs', max_batch_size: 0 });
  });

  it('the NSFW model answers a REST inference with the known probabilities', async () => {
    const r = await json('/v2/models/nsfw_mobilenet_v2/infer', {
      inputs: [{ name: 'input_1', datatype: 'FP32', shape: [1, 224, 224, 3], data: pattern(224 * 224 * 3) }],
    });
    expect(r.status).toBe(200);
    const out = r.body.outputs[0];
    expect(out).toMatchObject({ name: 'dense_3', datatype: 'FP32', shape: [1, 5] });
    (out.data as number[]).forEach((v, i) => expect(v).toBeCloseTo(NSFW_PATTERN_PROBS[i] as number, 4));
  }, 60_000);

  it('refuses a wrongly shaped input with 400', async () => {
    const r = await json('/v2/models/nsfw_mobilenet_v2/infer', {
      inputs: [{ name: 'input_1', datatype: 'FP32', shape: [1, 2, 2, 3], data: pattern(12) }],
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/shape/i);
  });

  it('the detector answers a gRPC inference with raw contents: six outputs of the signature shapes', async () => {
    const input = Float32Array.from(pattern(3 * 352 * 352));
    const res = await grpc.call<{
      outputs: Array<{ name: string; shape: string[] }>;
      raw_output_contents: Uint8Array[];
    }>(
      'ModelInfer',
      {
        model_name: 'object_nanodet',
        inputs: [{ name: 'input_1', datatype: 'FP32', shape: [1, 3, 352, 352] }],
        raw_input_contents: [Buffer.from(input.buffer)],
      },
      60_000,
    );
    const shapes = Object.fromEntries(res.outputs.map((o) => [o.name, o.shape.map(Number)]));
    expect(shapes).toEqual({
      Identity: [1, 1936, 80],
      Identity_1: [1, 484, 80],
      Identity_2: [1, 121, 80],
      Identity_3: [1, 1936, 44],
      Identity_4: [1, 484, 44],
      Identity_5: [1, 121, 44],
    });
    // Class scores are probabilities.
    const k = res.outputs.findIndex((o) => o.name === 'Identity_2');
    const raw = res.raw_output_contents[k] as Uint8Array;
    // Copied: the gRPC message may place the bytes at an offset that is not a multiple of 4 (and
    // a Buffer.slice would still be a view of the pool).
    const scores = new Float32Array(new Uint8Array(raw).buffer);
    expect(scores.length).toBe(121 * 80);
    expect(scores.every((v) => v >= 0 && v <= 1)).toBe(true);
  }, 60_000);

  it('counts the inferences in the model statistics', async () => {
    const r = await json('/v2/models/nsfw_mobilenet_v2/stats');
    expect(r.status).toBe(200);
    expect(r.body.model_stats[0].inference_count).toBeGreaterThanOrEqual(1);
  });
});
