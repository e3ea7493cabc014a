/**
 * InferResponse → OIP v2 `$inference_response` JSON (snake_case), with the binary tensor data
 * extension for the outputs the caller chooses.
 */
import type { InferResponse } from '../ports/inference.js';
import { tensorDataToJson } from './json-tensor-data.js';
import { BINARY_DATA_SIZE } from './decode-request.js';
import { assertTensorConsistent, encodeTensorBytes } from './tensor-bytes.js';

export { assembleBinaryBody, splitBinaryBody } from './binary-body.js';

export interface EncodeResponseOptions {
  /** Whether output `name` goes as binary data (from binary_data / binary_data_output / raw request). */
  readonly binaryOutputs: (name: string) => boolean;
}

export interface EncodedInferResponse {
  /** The JSON response (or, with binary outputs, the JSON header of the binary body). */
  readonly json: Record<string, unknown>;
  /** Bytes of the binary outputs, in output order; empty when every output is JSON. */
  readonly chunks: Uint8Array[];
}

/**
 * Builds `{model_name, model_version, id?, parameters?, outputs}`. JSON outputs carry flat `data`
 * (see json-tensor-data.ts for the element rules); binary outputs carry
 * `parameters.binary_data_size` and no `data`, and their bytes are appended to `chunks`.
 * Throws ERR_INTERNAL for an inconsistent output tensor (a server bug) and ERR_DATATYPE_MISMATCH for
 * a non-UTF-8 BYTES output requested as JSON.
 */
export function encodeInferResponse(resp: InferResponse, opts: EncodeResponseOptions): EncodedInferResponse {
  const chunks: Uint8Array[] = [];
  const outputs = resp.outputs.map((t) => {
    assertTensorConsistent(t);
    // A binary_data_size that came from elsewhere must never describe bytes we do not send.
    const parameters: Record<string, unknown> = Object.fromEntries(
      Object.entries(t.parameters ?? {}).filter(([k]) => k !== BINARY_DATA_SIZE),
    );
    const out: Record<string, unknown> = { name: t.name, datatype: t.datatype, shape: [...t.shape] };
    if (opts.binaryOutputs(t.name)) {
      const bytes = encodeTensorBytes(t);
      chunks.push(bytes);
      parameters[BINARY_DATA_SIZE] = bytes.length;
      out.parameters = parameters;
    } else {
      if (Object.keys(parameters).length > 0) out.parameters = parameters;
      out.data = tensorDataToJson(t);
    }
    return out;
  });

  const json: Record<string, unknown> = { model_name: resp.modelName, model_version: resp.modelVersion };
  if (resp.id !== undefined) json.id = resp.id;
  if (resp.parameters !== undefined && Object.keys(resp.parameters).length > 0)
    json.parameters = { ...resp.parameters };
  json.outputs = outputs;
  return { json, chunks };
}
