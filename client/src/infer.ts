/**
 * Inference requests and results: the OIP v2 `$inference_request` / `$inference_response` in JSON
 * and in the binary tensor data extension (JSON header + little-endian tensor bytes).
 */

import { elementCount, isDatatype } from './datatypes.js';
import type { Datatype, DatatypeData, TensorData } from './datatypes.js';
import { fromBfloat16Bits, fromFloat16Bits } from './half.js';
import { parseJsonExact } from './json-exact.js';
import {
  fromWireBytes,
  normalizeData,
  toJsonDataText,
  wireByteLength,
  writeWireBytes,
} from './tensor-data.js';
import type { DataInput } from './tensor-data.js';

export type ParameterValue = string | number | boolean;
export type Parameters = Record<string, ParameterValue>;

export interface ClientTensor {
  name: string;
  datatype: Datatype;
  /** Concrete dimensions; for batched models dimension 0 is the batch. */
  shape: readonly number[];
  /**
   * Row-major data: a typed array, a flat array or arrays nested in the natural shape.
   * FP16/BF16: a Uint16Array holds raw bit patterns; plain numbers are rounded to half precision.
   * BOOL: booleans or 0/1. INT64/UINT64: bigint or integer numbers. BYTES: strings or Uint8Array.
   */
  data: DataInput;
  parameters?: Parameters;
}

export interface RequestedOutput {
  name: string;
  /** Ask for this output in binary (`binary_data`), overriding the request-wide choice. */
  binary?: boolean;
  /** e.g. `{ classification: 3 }`. */
  parameters?: Parameters;
}

export interface InferInput {
  /** Echoed back in the result. */
  id?: string;
  parameters?: Parameters;
  /** Schedule-policy priority (1 = highest, 0 = model default): sent as parameter `priority`. */
  priority?: number;
  /** Server-side queue timeout in microseconds: sent as parameter `timeout`. */
  timeoutUs?: number;
  inputs: readonly ClientTensor[];
  /** Outputs to return; omitted = all of them. */
  outputs?: ReadonlyArray<string | RequestedOutput>;
}

export interface InferEncodeOptions {
  /** Send inputs and ask for outputs in the binary tensor data extension. */
  binary?: boolean;
  /** Send the single input as the whole body (`Inference-Header-Content-Length: 0`). */
  rawInput?: boolean;
}

export interface EncodedInferRequest {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Value of `Inference-Header-Content-Length`; undefined for a pure JSON body. */
  inferenceHeaderLength: number | undefined;
}

const utf8Encoder = new TextEncoder();
/** Keeps a leading U+FEFF: in a BYTES element it is data, not a byte order mark. */
const dataDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const headerDecoder = new TextDecoder();
const RESERVED_BINARY_PARAMETERS = ['binary_data_size', 'binary_data', 'binary_data_output'];

/**
 * Builds the HTTP body of an inference request.
 *
 * JSON mode still carries an input in binary when JSON cannot hold it exactly (FP16/BF16, NaN or
 * ±Infinity, BYTES that are not UTF-8): the binary extension allows JSON and binary inputs in one
 * request, and any other choice would lose or alter data.
 */
export function encodeInferRequest(
  request: InferInput,
  options: InferEncodeOptions = {},
): EncodedInferRequest {
  if (!isRecord(request) || !Array.isArray(request.inputs)) {
    throw new TypeError('infer: the request needs an `inputs` array');
  }
  const inputs = request.inputs.map((tensor, i) => normalizeTensor(tensor, i));
  assertUniqueNames(
    inputs.map((t) => t.name),
    'input',
  );

  if (options.rawInput) return encodeRawInput(request, inputs);

  const parameters: Record<string, ParameterValue> = { ...checkParameters(request.parameters, 'request') };
  if (request.priority !== undefined) parameters.priority = nonNegativeInteger(request.priority, 'priority');
  if (request.timeoutUs !== undefined)
    parameters.timeout = nonNegativeInteger(request.timeoutUs, 'timeoutUs');
  if (options.binary) parameters.binary_data_output = true;

  const binaryParts: Array<{ datatype: Datatype; data: TensorData }> = [];
  const inputTexts = inputs.map(({ name, datatype, shape, data, parameters: tensorParameters }) => {
    const head: Record<string, unknown> = { name, shape, datatype };
    const jsonData = options.binary ? undefined : toJsonDataText(datatype, data);
    if (jsonData === undefined) {
      head.parameters = { ...tensorParameters, binary_data_size: wireByteLength(datatype, data) };
      binaryParts.push({ datatype, data });
      return JSON.stringify(head);
    }
    if (tensorParameters !== undefined) head.parameters = tensorParameters;
    // The data text is spliced in rather than stringified so 64-bit integers keep every digit.
    return `${JSON.stringify(head).slice(0, -1)},"data":${jsonData}}`;
  });

  const top: Record<string, unknown> = {};
  if (request.id !== undefined) {
    if (typeof request.id !== 'string') throw new TypeError('infer: `id` must be a string');
    top.id = request.id;
  }
  if (Object.keys(parameters).length > 0) top.parameters = parameters;
  if (request.outputs !== undefined) top.outputs = encodeRequestedOutputs(request.outputs);
  const topText = JSON.stringify(top);
  const headerText = `{"inputs":[${inputTexts.join(',')}]${topText === '{}' ? '}' : `,${topText.slice(1)}`}`;
  const header = utf8Encoder.encode(headerText);

  if (binaryParts.length === 0 && !options.binary) {
    return { body: header, contentType: 'application/json', inferenceHeaderLength: undefined };
  }
  let total = header.byteLength;
  for (const part of binaryParts) total += wireByteLength(part.datatype, part.data);
  const body = new Uint8Array(total);
  body.set(header, 0);
  let offset = header.byteLength;
  for (const part of binaryParts) offset = writeWireBytes(part.datatype, part.data, body, offset);
  return { body, contentType: 'application/octet-stream', inferenceHeaderLength: header.byteLength };
}

interface NormalizedTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
  parameters: Parameters | undefined;
}

function normalizeTensor(tensor: ClientTensor, index: number): NormalizedTensor {
  if (!isRecord(tensor)) throw new TypeError(`infer: inputs[${index}] must be an object`);
  const { name, datatype, shape } = tensor;
  if (typeof name !== 'string' || name === '')
    throw new TypeError(`infer: inputs[${index}] needs a non-empty name`);
  const what = `input "${name}"`;
  if (!isDatatype(datatype)) throw new TypeError(`${what}: unknown datatype ${JSON.stringify(datatype)}`);
  if (!Array.isArray(shape)) throw new TypeError(`${what}: shape must be an array of dimensions`);
  const parameters = checkParameters(tensor.parameters, what);
  for (const key of RESERVED_BINARY_PARAMETERS) {
    if (parameters !== undefined && key in parameters) {
      throw new TypeError(`${what}: parameter "${key}" is set by the client itself`);
    }
  }
  return {
    name,
    datatype,
    shape: [...shape],
    data: normalizeData(datatype, shape, tensor.data, what),
    parameters,
  };
}

function encodeRawInput(request: InferInput, inputs: NormalizedTensor[]): EncodedInferRequest {
  const [only] = inputs;
  if (only === undefined || inputs.length !== 1) {
    throw new TypeError(`infer: rawInput sends exactly one input, got ${inputs.length}`);
  }
  const headerFields = (['id', 'parameters', 'priority', 'timeoutUs', 'outputs'] as const).filter(
    (key) => request[key] !== undefined,
  );
  if (headerFields.length > 0 || only.parameters !== undefined) {
    throw new TypeError(
      `infer: rawInput sends no JSON header, so it cannot carry ${[...headerFields, ...(only.parameters ? ['input parameters'] : [])].join(', ')}`,
    );
  }
  const body = new Uint8Array(wireByteLength(only.datatype, only.data));
  writeWireBytes(only.datatype, only.data, body, 0);
  return { body, contentType: 'application/octet-stream', inferenceHeaderLength: 0 };
}

function encodeRequestedOutputs(outputs: ReadonlyArray<string | RequestedOutput>): unknown[] {
  if (!Array.isArray(outputs)) throw new TypeError('infer: `outputs` must be an array');
  const encoded = outputs.map((output, i) => {
    const spec = typeof output === 'string' ? { name: output } : output;
    if (!isRecord(spec) || typeof spec.name !== 'string' || spec.name === '') {
      throw new TypeError(`infer: outputs[${i}] must be a name or {name, binary?, parameters?}`);
    }
    const parameters: Record<string, ParameterValue> = {
      ...checkParameters(spec.parameters, `output "${spec.name}"`),
    };
    if (spec.binary !== undefined) parameters.binary_data = Boolean(spec.binary);
    return Object.keys(parameters).length > 0 ? { name: spec.name, parameters } : { name: spec.name };
  });
  assertUniqueNames(
    encoded.map((o) => o.name),
    'output',
  );
  return encoded;
}

function checkParameters(parameters: unknown, what: string): Parameters | undefined {
  if (parameters === undefined) return undefined;
  if (!isRecord(parameters)) throw new TypeError(`${what}: parameters must be an object`);
  for (const [key, value] of Object.entries(parameters)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok)
      throw new TypeError(`${what}: parameter "${key}" must be a string, a finite number or a boolean`);
  }
  return parameters as Parameters;
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`infer: ${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function assertUniqueNames(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new TypeError(`infer: ${what} "${name}" is listed twice`);
    seen.add(name);
  }
}

/** One output of an inference result, always in typed form whether it came as JSON or binary. */
export class ResultTensor<D extends Datatype = Datatype> {
  constructor(
    readonly name: string,
    readonly datatype: D,
    readonly shape: readonly number[],
    readonly data: DatatypeData[D],
    /** The output's parameters, minus the transport-only `binary_data_size`. */
    readonly parameters?: Parameters,
  ) {}

  /**
   * The elements as JS numbers: FP16/BF16 bits are decoded, BOOL gives 0/1, 64-bit integers are
   * converted with Number() (inexact beyond 2^53). Throws for BYTES.
   */
  toNumbers(): number[] {
    const data = this.data as TensorData;
    switch (this.datatype) {
      case 'BYTES':
        throw new TypeError(`output "${this.name}" is BYTES; use toStrings()`);
      case 'FP16':
        return Array.from(data as Uint16Array, fromFloat16Bits);
      case 'BF16':
        return Array.from(data as Uint16Array, fromBfloat16Bits);
      default:
        return Array.from(data as ArrayLike<number | bigint>, Number);
    }
  }

  /** BYTES elements decoded as UTF-8 (invalid sequences become U+FFFD). Throws for other types. */
  toStrings(): string[] {
    if (this.datatype !== 'BYTES')
      throw new TypeError(`output "${this.name}" is ${this.datatype}, not BYTES`);
    return (this.data as Uint8Array[]).map((element) => dataDecoder.decode(element));
  }
}

export class InferResult {
  constructor(
    readonly modelName: string,
    /** Empty when the server did not say. */
    readonly modelVersion: string,
    readonly outputs: readonly ResultTensor[],
    readonly id?: string,
    readonly parameters?: Parameters,
  ) {}

  /** The output called `name`; throws when the response has none by that name. */
  output(name: string): ResultTensor {
    const found = this.outputs.find((o) => o.name === name);
    if (found === undefined) {
      const names = this.outputs.map((o) => JSON.stringify(o.name)).join(', ') || 'none';
      throw new RangeError(`no output named ${JSON.stringify(name)} in the result (outputs: ${names})`);
    }
    return found;
  }
}

/**
 * Parses an inference response body. With `inferenceHeaderLength` (the response's
 * Inference-Header-Content-Length) the body is a JSON header followed by the binary outputs in
 * header order; without it the whole body is JSON. Throws SyntaxError/TypeError/RangeError when
 * the body breaks the protocol.
 */
export function decodeInferResponse(body: Uint8Array, inferenceHeaderLength?: number): InferResult {
  let headerBytes = body;
  let binary: Uint8Array = new Uint8Array(0);
  if (inferenceHeaderLength !== undefined) {
    if (
      !Number.isSafeInteger(inferenceHeaderLength) ||
      inferenceHeaderLength <= 0 ||
      inferenceHeaderLength > body.byteLength
    ) {
      throw new RangeError(
        `Inference-Header-Content-Length ${inferenceHeaderLength} does not fit a ${body.byteLength}-byte body`,
      );
    }
    headerBytes = body.subarray(0, inferenceHeaderLength);
    binary = body.subarray(inferenceHeaderLength);
  }
  const headerText = headerDecoder.decode(headerBytes);
  const header: unknown = JSON.parse(headerText);
  if (!isRecord(header)) throw new TypeError('inference response: expected a JSON object');
  const { model_name: modelName, model_version: modelVersion, id, parameters, outputs } = header;
  if (typeof modelName !== 'string') throw new TypeError('inference response: `model_name` must be a string');
  if (modelVersion !== undefined && typeof modelVersion !== 'string') {
    throw new TypeError('inference response: `model_version` must be a string');
  }
  if (id !== undefined && typeof id !== 'string')
    throw new TypeError('inference response: `id` must be a string');
  if (parameters !== undefined && !isRecord(parameters)) {
    throw new TypeError('inference response: `parameters` must be an object');
  }
  if (!Array.isArray(outputs)) throw new TypeError('inference response: `outputs` must be an array');

  const exactOutputs = needsExactIntegers(outputs) ? exactOutputsOf(headerText) : undefined;
  let offset = 0;
  const tensors = outputs.map((output: unknown, i): ResultTensor => {
    if (!isRecord(output)) throw new TypeError(`inference response: outputs[${i}] must be an object`);
    const { name, datatype, shape } = output;
    if (typeof name !== 'string')
      throw new TypeError(`inference response: outputs[${i}].name must be a string`);
    const what = `output "${name}"`;
    if (!isDatatype(datatype)) throw new TypeError(`${what}: unknown datatype ${JSON.stringify(datatype)}`);
    if (!Array.isArray(shape)) throw new TypeError(`${what}: shape must be an array`);
    const count = elementCount(shape as number[], `${what}: shape`);
    let outputParameters: Parameters | undefined;
    let binarySize: unknown;
    if (output.parameters !== undefined) {
      if (!isRecord(output.parameters)) throw new TypeError(`${what}: parameters must be an object`);
      const { binary_data_size: size, ...rest } = output.parameters;
      binarySize = size;
      if (Object.keys(rest).length > 0) outputParameters = rest as Parameters;
    }
    let data: TensorData;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
        throw new TypeError(`${what}: binary_data_size must be a non-negative integer`);
      }
      if (offset + binarySize > binary.byteLength) {
        throw new RangeError(
          `${what}: binary_data_size ${binarySize} runs past the ${binary.byteLength}-byte binary section`,
        );
      }
      try {
        data = fromWireBytes(datatype, binary.subarray(offset, offset + binarySize), count);
      } catch (error) {
        throw new RangeError(`${what}: ${(error as Error).message}`, { cause: error });
      }
      offset += binarySize;
    } else {
      if (output.data === undefined) throw new TypeError(`${what}: has neither data nor binary_data_size`);
      const raw = exactOutputs?.[i] ?? output.data;
      if (!Array.isArray(raw)) throw new TypeError(`${what}: data must be an array`);
      data = normalizeData(datatype, shape as number[], raw, what);
    }
    return new ResultTensor(name, datatype, [...(shape as number[])], data, outputParameters);
  });
  if (offset !== binary.byteLength) {
    throw new RangeError(
      `inference response: ${binary.byteLength - offset} bytes after the JSON header belong to no output`,
    );
  }
  return new InferResult(modelName, modelVersion ?? '', tensors, id, parameters as Parameters | undefined);
}

/** True when a JSON INT64/UINT64 output holds an integer JSON.parse could not keep exact. */
function needsExactIntegers(outputs: unknown[]): boolean {
  const unsafe = (value: unknown): boolean =>
    Array.isArray(value) ? value.some(unsafe) : typeof value === 'number' && !Number.isSafeInteger(value);
  return outputs.some(
    (o) => isRecord(o) && (o.datatype === 'INT64' || o.datatype === 'UINT64') && unsafe(o.data),
  );
}

/** The `data` of each output, reparsed so that large integers come back as exact bigints. */
function exactOutputsOf(headerText: string): unknown[] {
  const exact = parseJsonExact(headerText) as { outputs: Array<{ datatype?: unknown; data?: unknown }> };
  return exact.outputs.map((o) => (o.datatype === 'INT64' || o.datatype === 'UINT64' ? o.data : undefined));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
