import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import type { TensorMetadata } from '../core/tensor.js';
import {
  completeModelConfig,
  parseModelConfigFile,
  renderTritonConfig,
  versionPolicyOf,
} from './model-config-file.js';

const ctx = {
  model: 'm',
  platform: 'onnxruntime_onnx',
  backend: 'onnxruntime',
  defaultIntraOpThreads: 1,
  defaultInterOpThreads: 1,
};
const sig = (inputs: TensorMetadata[], outputs: TensorMetadata[]) => ({
  ...ctx,
  signature: { inputs, outputs },
});
const fail = (fn: () => unknown): KaleidoError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
};

describe('model config files', () => {
  it('completes a missing config from the signature (batchable when every dim 0 is variable)', () => {
    const c = completeModelConfig(
      parseModelConfigFile('m', undefined),
      sig(
        [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
        [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      ),
    );
    expect(c.maxBatchSize).toBe(8);
    expect(c.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [4] }]);
    expect(c.outputs[0]?.shape).toEqual([2]);
    expect(c.versionPolicy).toEqual({ kind: 'latest', numVersions: 1 });
    expect(c.dynamicBatching).toBeUndefined();
  });

  it('treats fixed-batch models as non-batching', () => {
    const c = completeModelConfig(
      parseModelConfigFile('m', {}),
      sig([{ name: 'x', datatype: 'FP32', shape: [1, 4] }], [{ name: 'y', datatype: 'FP32', shape: [1, 2] }]),
    );
    expect(c.maxBatchSize).toBe(0);
    expect(c.inputs[0]?.shape).toEqual([1, 4]);
  });

  it('reads Triton spellings: TYPE_ datatypes, microseconds, string_value parameters, instance groups', () => {
    const file = parseModelConfigFile('m', {
      max_batch_size: 16,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }],
      output: [{ name: 'y', data_type: 'TYPE_STRING', dims: [1], label_filename: 'labels.txt' }],
      dynamic_batching: {
        preferred_batch_sizes: [4, 8, 32],
        max_queue_delay_microseconds: 500,
        priority_levels: 3,
      },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }, { count: 1 }],
      parameters: { intra_op_thread_count: { string_value: '2' }, note: 'x' },
      version_policy: { specific: { versions: [1, 3] } },
    });
    const c = completeModelConfig(file, ctx);
    expect(c.outputs[0]?.datatype).toBe('BYTES');
    expect(c.dynamicBatching).toMatchObject({
      maxQueueDelayMs: 0.5,
      preferredBatchSizes: [4, 8],
      priorityLevels: 3,
      defaultPriorityLevel: 3,
    });
    expect(c.instanceCount).toBe(3);
    expect(c.intraOpThreads).toBe(2);
    expect(c.labelsFile).toBe('labels.txt');
    expect(versionPolicyOf(file)).toEqual({ kind: 'specific', versions: [1, 3] });
    const rendered = renderTritonConfig(c) as Record<string, unknown>;
    expect(rendered.max_batch_size).toBe(16);
    expect(rendered.input).toEqual([{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }]);
    expect(rendered.output).toEqual([{ name: 'y', data_type: 'TYPE_STRING', dims: [1] }]);
    expect((rendered.dynamic_batching as Record<string, unknown>).max_queue_delay_microseconds).toBe(500);
    expect(rendered.version_policy).toEqual({ specific: { versions: [1, 3] } });
  });

  it('accepts a single instance_group object and the all/latest policies', () => {
    const f = parseModelConfigFile('m', { instance_group: { count: 2 }, version_policy: { all: {} } });
    expect(versionPolicyOf(f)).toEqual({ kind: 'all' });
    expect(
      versionPolicyOf(parseModelConfigFile('m', { version_policy: { latest: { num_versions: 2 } } })),
    ).toEqual({
      kind: 'latest',
      numVersions: 2,
    });
  });

  it('names the bad field', () => {
    expect(fail(() => parseModelConfigFile('m', { max_batch_size: -1 })).message).toContain('max_batch_size');
    expect(
      fail(() => parseModelConfigFile('m', { input: [{ name: 'x', data_type: 'FLOAT', dims: [1] }] }))
        .message,
    ).toContain('input.0.data_type');
    expect(fail(() => parseModelConfigFile('m', { bogus: 1 })).message).toContain('bogus');
    expect(fail(() => parseModelConfigFile('m', { name: 'other' })).details).toMatchObject({ field: 'name' });
  });

  it('checks the config against the model signature', () => {
    const s = sig(
      [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    );
    const io = { output: [{ name: 'y', data_type: 'FP32', dims: [2] }] };
    const wrongType = parseModelConfigFile('m', {
      max_batch_size: 4,
      input: [{ name: 'x', data_type: 'INT32', dims: [4] }],
      ...io,
    });
    expect(fail(() => completeModelConfig(wrongType, s)).message).toContain('INT32');
    const wrongName = parseModelConfigFile('m', {
      max_batch_size: 4,
      input: [{ name: 'z', data_type: 'FP32', dims: [4] }],
      ...io,
    });
    expect(fail(() => completeModelConfig(wrongName, s)).message).toContain('not in the model');
    const wrongShape = parseModelConfigFile('m', {
      max_batch_size: 4,
      input: [{ name: 'x', data_type: 'FP32', dims: [5] }],
      ...io,
    });
    expect(fail(() => completeModelConfig(wrongShape, s)).message).toContain('shape');
    const noBatching = parseModelConfigFile('m', { max_batch_size: 0, dynamic_batching: {} });
    expect(fail(() => completeModelConfig(noBatching, s)).message).toContain('dynamic_batching');
    const badThreads = parseModelConfigFile('m', { parameters: { intra_op_thread_count: 'many' } });
    expect(fail(() => completeModelConfig(badThreads, s)).message).toContain('intra_op_thread_count');
    const badWarmup = parseModelConfigFile('m', {
      model_warmup: [{ name: 'w', inputs: { nope: { zero_data: true } } }],
    });
    expect(fail(() => completeModelConfig(badWarmup, s)).message).toContain('unknown input');
    expect(fail(() => completeModelConfig(parseModelConfigFile('m', {}), ctx)).code).toBe('ERR_BAD_CONFIG');
  });

  it('keeps warm-up specs (fill values and dims)', () => {
    const f = parseModelConfigFile('m', {
      model_warmup: [{ name: 'w', batch_size: 2, inputs: { x: { fill_value: 16000, dims: [3] } } }],
    });
    const c = completeModelConfig(
      f,
      sig([{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], [{ name: 'y', datatype: 'FP32', shape: [-1] }]),
    );
    expect(c.warmup).toEqual([
      { name: 'w', batchSize: 2, count: 1, inputs: { x: { fill: 'value', value: 16000, dims: [3] } } },
    ]);
    expect((renderTritonConfig(c).model_warmup as unknown[])[0]).toMatchObject({
      inputs: { x: { fill_value: 16000, dims: [3] } },
    });
  });
});
