/**
 * OIP v2 `$inference_request` (JSON, optionally followed by binary tensor data) → validated tensors.
 *
 * Everything a client sends is checked here, with stable codes, before any model sees it:
 * - wrong structure or field types → ERR_VALIDATION (details.field names the field, e.g.
 *   `inputs[1].shape`);
 * - unknown datatype → ERR_DATATYPE_MISMATCH; data element of the wrong type or out of range →
 *   ERR_DATATYPE_MISMATCH (details.field and details.index);
 * - negative / non-integer dimensions, data that does not match the shape → ERR_SHAPE_MISMATCH;
 * - repeated input names or requested output names → ERR_DUPLICATE_NAME;
 * - binary_data_size out of range or inconsistent with the body or the shape → ERR_BINARY_HEADER.
 * Whether the inputs match the model (names, datatypes, shapes) is the inference service's job.
 */
import { KaleidoError } from '../errors.js';
import type { RequestedOutput } from '../ports/inference.js';
import { datatypeByteSize, isDatatype } from '../tensor.js';
import type { Datatype, Parameters, Tensor, TensorData, TensorMetadata } from '../tensor.js';
import { jsonToTensorData } from './json-tensor-data.js';
import { decodeTensorBytes } from './tensor-bytes.js';

export interface DecodedInferRequest {
  id?: string;
  /** Request parameters, without `binary_data_output` (that is `binaryDataOutput`). */
  parameters: Parameters;
  inputs: Tensor[];
  /** Absent (also for an empty list, as in Triton): all outputs. */
  outputs?: RequestedOutput[];
  /** The request's `binary_data_output` parameter: the default for outputs that do not say. */
  binaryDataOutput?: boolean;
}

export interface DecodeLimits {
  /** Highest tensor rank accepted (bounds the nested-data walk). */
  readonly maxRank?: number;
}

/** numpy's own limit on array dimensions. */
export const DEFAULT_MAX_RANK = 64;

/** Per-input parameter of the binary extension: byte size of the input's data in the binary part. */
export const BINARY_DATA_SIZE = 'binary_data_size';
/** Request parameter: default for returning outputs as binary. */
export const BINARY_DATA_OUTPUT = 'binary_data_output';
/** Requested-output parameter: return this output as binary. */
export const BINARY_DATA = 'binary_data';

const invalid = (field: string, message: string): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `${field}: ${message}`, { details: { field } });

const binaryHeaderError = (
  field: string,
  message: string,
  details: Record<string, unknown> = {},
): KaleidoError =>
  new KaleidoError('ERR_BINARY_HEADER', `${field}: ${message}`, { details: { field, ...details } });

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireObject(v: unknown, field: string): JsonObject {
  if (!isObject(v)) throw invalid(field, 'must be an object');
  return v;
}

function requireName(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(field, 'must be a non-empty string');
  return v;
}

/** `$parameters`: an object of string | number | boolean values. */
function parseParameters(v: unknown, field: string): Parameters {
  if (v === undefined) return {};
  const obj = requireObject(v, field);
  const entries = Object.entries(obj);
  for (const [key, value] of entries) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw invalid(`${field}.${key}`, 'a parameter must be a string, a number or a boolean');
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return Object.fromEntries(entries) as Parameters;
}

/** Removes `key` from `params`, returning the rest (or undefined when nothing is left). */
function without(params: Parameters, key: string): Parameters | undefined {
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => k !== key)) as Parameters;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function parseDatatype(v: unknown, field: string): Datatype {
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  if (!isDatatype(v)) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `${field}: unknown datatype ${JSON.stringify(v.slice(0, 32))}`,
      {
        details: { field, datatype: v.slice(0, 32) },
      },
    );
  }
  return v;
}

/** A concrete request shape, and its element count (checked to stay a safe integer). */
function parseShape(v: unknown, field: string, maxRank: number): { shape: number[]; count: number } {
  if (!Array.isArray(v)) throw invalid(field, 'must be an array of integers');
  if (v.length > maxRank) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `${field}: rank ${v.length} exceeds the maximum of ${maxRank}`,
      {
        details: { field, maxRank },
      },
    );
  }
  const shape: number[] = [];
  for (const [i, d] of v.entries()) {
    if (typeof d !== 'number') throw invalid(`${field}[${i}]`, 'must be a number');
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new KaleidoError(
        'ERR_SHAPE_MISMATCH',
        `${field}: dimension ${i} is ${d}; dimensions must be non-negative integers`,
        { details: { field, dimension: i } },
      );
    }
    shape.push(d);
  }
  // A zero dimension makes the product 0 whatever follows, so only overflow of non-zero products
  // matters.
  let count = 1;
  for (const d of shape) count *= d;
  if (!Number.isSafeInteger(count)) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `${field}: shape [${shape.join(',')}] has too many elements`,
      {
        details: { field },
      },
    );
  }
  return { shape, count };
}

/** Reads the input's binary_data_size parameter, if any. */
function binaryDataSize(params: Parameters, field: string): number | undefined {
  if (!Object.hasOwn(params, BINARY_DATA_SIZE)) return undefined;
  const size = params[BINARY_DATA_SIZE];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw binaryHeaderError(`${field}.${BINARY_DATA_SIZE}`, 'must be a non-negative integer');
  }
  return size;
}

function parseRequestedOutputs(v: unknown): RequestedOutput[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw invalid('outputs', 'must be an array');
  const seen = new Set<string>();
  const outputs: RequestedOutput[] = [];
  for (const [i, raw] of v.entries()) {
    const field = `outputs[${i}]`;
    const obj = requireObject(raw, field);
    const name = requireName(obj.name, `${field}.name`);
    if (seen.has(name)) {
      throw new KaleidoError('ERR_DUPLICATE_NAME', `output '${name}' is requested more than once`, {
        details: { field: `${field}.name`, name },
      });
    }
    seen.add(name);
    const parameters = parseParameters(obj.parameters, `${field}.parameters`);
    if (Object.hasOwn(parameters, BINARY_DATA) && typeof parameters[BINARY_DATA] !== 'boolean') {
      throw invalid(`${field}.parameters.${BINARY_DATA}`, 'must be a boolean');
    }
    outputs.push(obj.parameters === undefined ? { name } : { name, parameters });
  }
  return outputs.length > 0 ? outputs : undefined;
}

/**
 * Decodes and validates an inference request. `json` is the parsed JSON part (see
 * parseJsonLimited / splitBinaryBody); `binary` is what followed the JSON header, if anything.
 * Binary inputs take their bytes from `binary` in the order the inputs are listed, and those bytes
 * must be consumed exactly. Tensors decoded from `binary` may be views on it (no copy).
 * Throws only KaleidoError.
 */
export function decodeInferRequest(
  json: unknown,
  binary: Uint8Array = new Uint8Array(0),
  limits: DecodeLimits = {},
): DecodedInferRequest {
  const maxRank = limits.maxRank ?? DEFAULT_MAX_RANK;
  const request = requireObject(json, 'request');
  if (request.id !== undefined && typeof request.id !== 'string') throw invalid('id', 'must be a string');

  const allParameters = parseParameters(request.parameters, 'parameters');
  const binaryDataOutput = allParameters[BINARY_DATA_OUTPUT];
  if (binaryDataOutput !== undefined && typeof binaryDataOutput !== 'boolean') {
    throw invalid(`parameters.${BINARY_DATA_OUTPUT}`, 'must be a boolean');
  }

  if (request.inputs === undefined) throw invalid('inputs', 'is required');
  if (!Array.isArray(request.inputs)) throw invalid('inputs', 'must be an array');

  const names = new Set<string>();
  const inputs: Tensor[] = [];
  let offset = 0; // next unread byte of `binary`
  for (const [i, raw] of request.inputs.entries()) {
    const field = `inputs[${i}]`;
    const obj = requireObject(raw, field);
    const name = requireName(obj.name, `${field}.name`);
    if (names.has(name)) {
      throw new KaleidoError('ERR_DUPLICATE_NAME', `input '${name}' appears more than once`, {
        details: { field: `${field}.name`, name },
      });
    }
    names.add(name);
    if (obj.shape === undefined) throw invalid(`${field}.shape`, 'is required');
    const { shape, count } = parseShape(obj.shape, `${field}.shape`, maxRank);
    if (obj.datatype === undefined) throw invalid(`${field}.datatype`, 'is required');
    const datatype = parseDatatype(obj.datatype, `${field}.datatype`);
    const params = parseParameters(obj.parameters, `${field}.parameters`);
    const size = binaryDataSize(params, `${field}.parameters`);

    let data: TensorData;
    if (size === undefined) {
      if (obj.data === undefined)
        throw invalid(`${field}.data`, `is required (or set parameters.${BINARY_DATA_SIZE})`);
      data = jsonToTensorData(datatype, shape, count, obj.data, `${field}.data`);
    } else {
      if (obj.data !== undefined)
        throw invalid(`${field}.data`, `must be absent when ${BINARY_DATA_SIZE} is set`);
      const sizeField = `${field}.parameters.${BINARY_DATA_SIZE}`;
      if (size > binary.length - offset) {
        throw binaryHeaderError(
          sizeField,
          `${size} bytes requested but only ${binary.length - offset} remain`,
          {
            binaryDataSize: size,
            remaining: binary.length - offset,
          },
        );
      }
      const byteSize = datatypeByteSize[datatype];
      if (byteSize !== undefined && size !== count * byteSize) {
        throw binaryHeaderError(
          sizeField,
          `${size} bytes do not fit shape [${shape.join(',')}] of ${datatype} (${count * byteSize} bytes)`,
          { binaryDataSize: size, expectedBytes: count * byteSize },
        );
      }
      data = decodeTensorBytes(datatype, shape, binary.subarray(offset, offset + size), {
        errorCode: 'ERR_BINARY_HEADER',
        tensorName: name,
      });
      offset += size;
    }
    const parameters = without(params, BINARY_DATA_SIZE);
    inputs.push(
      parameters === undefined
        ? { name, datatype, shape, data }
        : { name, datatype, shape, data, parameters },
    );
  }
  if (offset !== binary.length) {
    throw new KaleidoError(
      'ERR_BINARY_HEADER',
      `the binary part has ${binary.length} bytes but the inputs' ${BINARY_DATA_SIZE} add up to ${offset}`,
      { details: { binaryBytes: binary.length, declaredBytes: offset } },
    );
  }

  const outputs = parseRequestedOutputs(request.outputs);
  const decoded: DecodedInferRequest = {
    parameters: without(allParameters, BINARY_DATA_OUTPUT) ?? {},
    inputs,
  };
  if (request.id !== undefined) decoded.id = request.id;
  if (outputs !== undefined) decoded.outputs = outputs;
  if (binaryDataOutput !== undefined) decoded.binaryDataOutput = binaryDataOutput;
  return decoded;
}

/**
 * Decodes a raw binary request body (Inference-Header-Content-Length: 0), which carries the bytes
 * of the model's single input and nothing else. `input` is the model's full input metadata (batch
 * dimension included, -1 = variable). The request is batch-1 in Triton's sense:
 * - a non-BYTES input may have at most one variable dimension, which the byte length determines
 *   (it must divide exactly);
 * - a BYTES input must hold exactly one element (every dimension 1 or variable, e.g. [1] or
 *   [-1, 1]); the whole body is that element, with no length prefix.
 * Errors: ERR_SHAPE_MISMATCH.
 */
export function decodeRawInput(bytes: Uint8Array, input: TensorMetadata): Tensor {
  const { name, datatype } = input;
  const field = `input '${name}'`;
  if (input.shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new KaleidoError('ERR_SHAPE_MISMATCH', `${field} has an invalid shape [${input.shape.join(',')}]`, {
      details: { input: name },
    });
  }
  if (datatype === 'BYTES') {
    if (!input.shape.every((d) => d === 1 || d === -1)) {
      throw new KaleidoError(
        'ERR_SHAPE_MISMATCH',
        `a raw binary request needs a BYTES input of shape [1]; ${field} has shape [${input.shape.join(',')}]`,
        { details: { input: name, shape: [...input.shape] } },
      );
    }
    return { name, datatype, shape: input.shape.map(() => 1), data: [bytes] };
  }

  const byteSize = datatypeByteSize[datatype] as number;
  const variable = input.shape.filter((d) => d === -1).length;
  if (variable > 1) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `a raw binary request allows at most one variable dimension; ${field} has shape [${input.shape.join(',')}]`,
      { details: { input: name, shape: [...input.shape] } },
    );
  }
  const fixedBytes = input.shape.reduce((n, d) => (d === -1 ? n : n * d), byteSize);
  let shape = [...input.shape];
  if (variable === 1) {
    if (fixedBytes === 0 || bytes.length % fixedBytes !== 0) {
      throw new KaleidoError(
        'ERR_SHAPE_MISMATCH',
        `${bytes.length} bytes do not divide into elements of shape [${input.shape.join(',')}] of ${datatype}`,
        { details: { input: name, bytes: bytes.length, shape: [...input.shape] } },
      );
    }
    shape = input.shape.map((d) => (d === -1 ? bytes.length / fixedBytes : d));
  }
  return { name, datatype, shape, data: decodeTensorBytes(datatype, shape, bytes, { tensorName: name }) };
}
