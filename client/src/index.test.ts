import { describe, expect, it } from 'vitest';
import * as api from './index.js';

describe('package entry point', () => {
  it('exports the client, the error class, the result classes and the codecs', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'DATATYPES',
        'Datatype',
        'InferResult',
        'KaleidoApiError',
        'KaleidoClient',
        'ResultTensor',
        'datatypeByteSize',
        'decodeInferResponse',
        'elementCount',
        'encodeInferRequest',
        'fromBfloat16Bits',
        'fromFloat16Bits',
        'fromWireBytes',
        'isDatatype',
        'normalizeData',
        'parseErrorBody',
        'parseRetryAfter',
        'toBfloat16Bits',
        'toFloat16Bits',
        'toJsonDataText',
        'toWireBytes',
      ].sort(),
    );
    expect(api.DATATYPES).toHaveLength(14);
  });

  it('round-trips a request through the exported codecs', () => {
    const encoded = api.encodeInferRequest(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2] }] },
      { binary: true },
    );
    expect(encoded.inferenceHeaderLength).toBeGreaterThan(0);
    expect(api.fromWireBytes('FP32', encoded.body.subarray(encoded.inferenceHeaderLength), 1)).toEqual(
      new Float32Array([2]),
    );
  });
});
