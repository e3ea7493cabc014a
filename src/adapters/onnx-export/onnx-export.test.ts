import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMoons } from '../../core/train/features.js';
import { trainHead } from '../../core/train/trainer.js';
import type { TrainedHead, TrainingData } from '../../core/train/types.js';
import { decodeModelProto } from '../runtime-onnx/onnx-schema.js';
import { exportHeadToOnnx } from './head-to-onnx.js';
import { OnnxRepositoryPublisher, verifyOnnxHead } from './repository-publisher.js';

const moons = makeMoons(200, { noise: 0.15, extraNoiseDims: 3, seed: 4 });
// Shift and scale the columns so that the folded standardisation actually matters.
const x = moons.x.map((v, i) => v * (1 + (i % moons.dim)) + 10 * (i % moons.dim));
const data: TrainingData = { classes: ['upper', 'lower'], dim: moons.dim, train: { x, y: moons.y } };
const threeClass: TrainingData = {
  classes: ['a', 'b', 'c'],
  dim: 3,
  train: {
    x: Float32Array.from({ length: 90 }, (_, i) => Math.sin(i * 1.7) + (Math.floor(i / 3) % 3)),
    y: Int32Array.from({ length: 30 }, (_, i) => i % 3),
  },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kaleido-onnx-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportAndCheck(head: TrainedHead, name: string, rows: Float32Array): Promise<number> {
  const { writeFile } = await import('node:fs/promises');
  const path = join(dir, `${name}.onnx`);
  await writeFile(path, exportHeadToOnnx(head));
  return verifyOnnxHead(path, head, rows);
}

describe('ONNX export of trained heads', () => {
  it('logistic regression with folded standardisation equals the TS forward pass within 1e-5', async () => {
    const head = trainHead(data, { kind: 'logistic', epochs: 20, seed: 1 });
    expect(head.standardization).not.toBeNull();
    const worst = await exportAndCheck(head, 'lr', data.train.x);
    expect(worst).toBeLessThanOrEqual(1e-5);
    const model = decodeModelProto(exportHeadToOnnx(head));
    expect(model.graph.node.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Gemm', 'Softmax']);
    expect(model.graph.input[0]?.name).toBe('features');
    expect(model.graph.output[0]?.name).toBe('probabilities');
  });

  it('a two-hidden-layer MLP without standardisation, three classes, equals the TS forward pass', async () => {
    const head = trainHead(threeClass, {
      kind: 'mlp',
      hiddenUnits: [8, 4],
      standardize: false,
      epochs: 15,
      seed: 2,
      earlyStopping: null,
    });
    const worst = await exportAndCheck(head, 'mlp', threeClass.train.x);
    expect(worst).toBeLessThanOrEqual(1e-5);
    const ops = decodeModelProto(exportHeadToOnnx(head)).graph.node.map((n) => n.opType);
    expect(ops).toEqual(['Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
    // Deterministic bytes for equal heads.
    expect(Buffer.from(exportHeadToOnnx(head)).equals(Buffer.from(exportHeadToOnnx(head)))).toBe(true);
  });

  it('publishes immutable versions with a Triton config and labels into a model repository', async () => {
    const repo = join(dir, 'repo');
    const publisher = new OnnxRepositoryPublisher({ repositoryDir: repo });
    const head = trainHead(data, { kind: 'mlp', hiddenUnits: [8], epochs: 5, seed: 3 });
    const v1 = await publisher.publish(head, { modelName: 'moons_head' });
    expect(v1.version).toBe(1);
    expect(v1.sha256).toMatch(/^[0-9a-f]{64}$/);
    const v2 = await publisher.publish(head, { modelName: 'moons_head' });
    expect(v2.version).toBe(2);
    expect((await readdir(join(repo, 'moons_head'))).sort()).toEqual(['1', '2', 'config.json', 'labels.txt']);
    const config = JSON.parse(await readFile(join(repo, 'moons_head', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config['input']).toEqual([{ name: 'features', data_type: 'TYPE_FP32', dims: [data.dim] }]);
    expect(config['output']).toEqual([
      { name: 'probabilities', data_type: 'TYPE_FP32', dims: [2], label_filename: 'labels.txt' },
    ]);
    expect(config['max_batch_size']).toBe(64);
    expect(await readFile(join(repo, 'moons_head', 'labels.txt'), 'utf8')).toBe('upper\nlower\n');
    await expect(publisher.publish(head, { modelName: 'moons_head', version: 1 })).rejects.toMatchObject({
      code: 'ERR_ALREADY_EXISTS',
    });
    // Another signature under the same name is refused; a bad name never touches the disk.
    const other = trainHead(threeClass, { epochs: 2, seed: 1 });
    await expect(publisher.publish(other, { modelName: 'moons_head' })).rejects.toThrow(/another signature/);
    await expect(publisher.publish(head, { modelName: '../evil' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });

  it('the check catches a model that disagrees with the head', async () => {
    const head = trainHead(threeClass, { epochs: 3, seed: 1 });
    const path = join(dir, 'drift.onnx');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, exportHeadToOnnx(head));
    const last = head.layers[0]!;
    const shifted: TrainedHead = {
      ...head,
      layers: [{ ...last, bias: last.bias.map((b, i) => (i === 0 ? b + 0.5 : b)) }],
    };
    await expect(verifyOnnxHead(path, shifted, threeClass.train.x)).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
    });
  });

  it('refuses inconsistent heads', () => {
    const head = trainHead(threeClass, { epochs: 2, seed: 1 });
    const broken: TrainedHead = { ...head, classes: ['only', 'two'] };
    expect(() => exportHeadToOnnx(broken)).toThrow(/outputs 3 values for 2 classes/);
  });
});
