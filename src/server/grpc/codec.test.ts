/** Unit tests of the message ↔ domain conversions, without a socket. */
import { describe, expect, it } from 'vitest';
import {
  inferRequestFromProto,
  inferResponseToProto,
  loadOptionsFromProto,
  modelConfigToProto,
  parametersFromProto,
  parametersToProto,
} from './codec.js';
import type { InferInputTensorMsg, InferTensorContentsMsg, ModelInferRequestMsg } from './wire.js';

const emptyContents = (): InferTensorContentsMsg => ({
  bool_contents: [],
  int_contents: [],
  int64_contents: [],
  uint_contents: [],
  uint64_contents: [],
  fp32_contents: [],
  fp64_contents: [],
  bytes_contents: [],
});

const input = (over: Partial<InferInputTensorMsg>): InferInputTensorMsg => ({
  name: 'x',
  datatype: 'FP32',
  shape: ['2'],
  parameters: {},
  contents: null,
  ...over,
});

const request = (over: Partial<ModelInferRequestMsg>): ModelInferRequestMsg => ({
  model_name: 'm',
  model_version: '',
  id: '',
  parameters: {},
  inputs: [],
  outputs: [],
  raw_input_contents: [],
  ...over,
});

describe('inferRequestFromProto', () => {
  it('decodes raw data at a misaligned offset of a larger Buffer (as protobuf hands it out)', () => {
    const message = Buffer.alloc(9);
    message.writeFloatLE(1.5, 1);
    message.writeFloatLE(-3, 5);
    const raw = message.subarray(1); // byteOffset 1: not a multiple of 4
    const req = inferRequestFromProto(request({ inputs: [input({})], raw_input_contents: [raw] }));
    expect(Array.from(req.inputs[0]!.data as Float32Array)).toEqual([1.5, -3]);
  });

  it('leaves out empty version, id, parameters and outputs, and keeps given ones', () => {
    const data = { ...emptyContents(), fp32_contents: [1, 2] };
    const bare = inferRequestFromProto(request({ inputs: [input({ contents: data })] }));
    expect(bare).toEqual({
      modelName: 'm',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: Float32Array.from([1, 2]) }],
    });
    const full = inferRequestFromProto(
      request({
        model_version: '3',
        id: 'r',
        parameters: { priority: { parameter_choice: 'int64_param', int64_param: '1' } },
        inputs: [input({ contents: data })],
        outputs: [
          {
            name: 'y',
            parameters: { classification: { parameter_choice: 'int64_param', int64_param: '2' } },
          },
        ],
      }),
    );
    expect(full).toMatchObject({
      modelVersion: '3',
      id: 'r',
      parameters: { priority: 1 },
      outputs: [{ name: 'y', parameters: { classification: 2 } }],
    });
  });

  it('rejects a BOOL raw byte other than 0 or 1, an empty model name and an unnamed input', () => {
    const bool = input({ datatype: 'BOOL', shape: ['2'] });
    expect(() =>
      inferRequestFromProto(request({ inputs: [bool], raw_input_contents: [Uint8Array.from([1, 2])] })),
    ).toThrow(expect.objectContaining({ code: 'ERR_DATATYPE_MISMATCH' }));
    expect(() => inferRequestFromProto(request({ model_name: '' }))).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
    expect(() =>
      inferRequestFromProto(
        request({ inputs: [input({ name: '', contents: emptyContents(), shape: ['0'] })] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
  });

  it('rejects a BYTES raw payload that ends inside an element', () => {
    const bytes = input({ datatype: 'BYTES', shape: ['1'] });
    const raw = Uint8Array.from([5, 0, 0, 0, 104, 105]); // claims 5 bytes, has 2
    expect(() => inferRequestFromProto(request({ inputs: [bytes], raw_input_contents: [raw] }))).toThrow(
      expect.objectContaining({ code: 'ERR_SHAPE_MISMATCH' }),
    );
  });

  it('rejects a parameter with no value set', () => {
    expect(() => parametersFromProto({ p: {} }, 'the request')).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', details: { field: 'the request.parameters.p' } }),
    );
  });
});

describe('parametersToProto', () => {
  it('sends integers as int64, other numbers as double, and keeps strings and booleans', () => {
    expect(parametersToProto({ a: 3, b: 0.5, c: Number.NaN, d: 2 ** 60, e: 'x', f: false })).toEqual({
      a: { int64_param: 3 },
      b: { double_param: 0.5 },
      c: { double_param: Number.NaN },
      d: { double_param: 2 ** 60 },
      e: { string_param: 'x' },
      f: { bool_param: false },
    });
    expect(parametersToProto(undefined)).toEqual({});
  });
});

describe('inferResponseToProto', () => {
  it('echoes the request id when the service gives none, and refuses inconsistent outputs', () => {
    const ok = inferResponseToProto(
      {
        modelName: 'm',
        modelVersion: '1',
        outputs: [{ name: 'y', datatype: 'INT8', shape: [2], data: Int8Array.from([-1, 2]) }],
      },
      'req',
    );
    expect(ok.id).toBe('req');
    expect(Array.from(ok.raw_output_contents[0]!)).toEqual([255, 2]);
    expect(() =>
      inferResponseToProto(
        {
          modelName: 'm',
          modelVersion: '1',
          outputs: [{ name: 'y', datatype: 'INT8', shape: [3], data: Int8Array.from([1]) }],
        },
        '',
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
  });
});

describe('loadOptionsFromProto', () => {
  it('takes config, refuses file uploads, ignores unknown keys', () => {
    expect(loadOptionsFromProto({})).toEqual({});
    expect(
      loadOptionsFromProto({ config: { parameter_choice: 'string_param', string_param: '{}' }, x: {} }),
    ).toEqual({ config: '{}' });
    expect(() => loadOptionsFromProto({ 'file:1/model.onnx': { parameter_choice: 'bytes_param' } })).toThrow(
      expect.objectContaining({ code: 'ERR_UNIMPLEMENTED' }),
    );
  });
});

describe('modelConfigToProto', () => {
  it('keeps declared fields of the right type and drops everything else', () => {
    const out = modelConfigToProto({
      name: 'm',
      max_batch_size: 'eight', // wrong type: dropped
      version_policy: { specific: { versions: [1, 3] } },
      input: [
        { name: 'a', data_type: 'FP16', dims: [2, '-1'], reshape: { shape: [2] }, bogus: 1 },
        'not a record',
      ],
      output: [{ name: 'b', data_type: 'NOT_A_TYPE', dims: 'x' }],
      dynamic_batching: {
        max_queue_delay_microseconds: 100,
        priority_queue_policy: { '1': { max_queue_size: 3 }, x: {} },
      },
      model_warmup: [
        { name: 'w', batch_size: 1, inputs: { a: { data_type: 'TYPE_FP32', dims: [2], zero_data: true } } },
      ],
      metric_tags: { team: 'ml', bad: 3 },
      response_cache: { enable: true },
      sequence_batching: {},
    });
    expect(out).toEqual({
      name: 'm',
      version_policy: { specific: { versions: [1, 3] } },
      input: [{ name: 'a', data_type: 'TYPE_FP16', dims: [2, '-1'], reshape: { shape: [2] } }],
      output: [{ name: 'b' }],
      instance_group: [],
      dynamic_batching: {
        max_queue_delay_microseconds: 100,
        priority_queue_policy: { '1': { max_queue_size: 3 } },
      },
      parameters: {},
      metric_tags: { team: 'ml' },
      model_warmup: [
        { name: 'w', batch_size: 1, inputs: { a: { data_type: 'TYPE_FP32', dims: [2], zero_data: true } } },
      ],
      response_cache: { enable: true },
    });
  });
});
