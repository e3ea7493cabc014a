/**
 * Conversions between the OIP gRPC messages (wire.ts) and the domain types of the inference port.
 *
 * Requests are validated here, at the edge, with errors a client can act on: unknown datatypes,
 * bad shapes, element counts that do not fit the shape, raw and typed contents mixed in one
 * request, typed contents in the wrong field, values outside their datatype's range.
 *
 * Responses always carry output data in `raw_output_contents`, never in typed `contents`. This is
 * what Triton does, what tritonclient's `as_numpy` reads, and what KServe's and MLServer's gRPC
 * clients accept; it is also the cheapest encoding (zero-copy for numeric tensors).
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  InferRequest,
  InferResponse,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  RequestedOutput,
  StatDuration,
} from '../../core/ports/inference.js';
import { elementCount, isDatatype } from '../../core/tensor.js';
import type {
  Datatype,
  Parameters,
  ParameterValue,
  Tensor,
  TensorData,
  TensorMetadata,
} from '../../core/tensor.js';
import { decodeTensorBytes, encodeTensorBytes } from '../../core/oip/tensor-bytes.js';
import type {
  InferInputTensorMsg,
  InferTensorContentsMsg,
  ModelConfigMsg,
  ModelIndexMsg,
  ModelInferRequestMsg,
  ModelInferResponseMsg,
  ModelMetadataResponseMsg,
  ModelRepositoryParameterMsg,
  ModelStatisticsMsg,
  ParameterMapMsg,
  StatisticDurationMsg,
  TensorMetadataMsg,
} from './wire.js';

// ---- parameters ------------------------------------------------------------------------------

/** A decoded 64-bit integer as a JS number when exact, otherwise its decimal string. */
function int64Value(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * InferParameter map → Parameters. 64-bit integers beyond ±2^53 (e.g. a large uint64
 * sequence_id) cannot be JS numbers; they become decimal strings rather than lose digits.
 */
export function parametersFromProto(map: ParameterMapMsg, where: string): Parameters | undefined {
  const entries = Object.entries(map);
  if (entries.length === 0) return undefined;
  const out: Parameters = {};
  for (const [key, p] of entries) {
    let value: ParameterValue;
    switch (p.parameter_choice) {
      case 'bool_param':
        value = p.bool_param === true;
        break;
      case 'string_param':
        value = p.string_param ?? '';
        break;
      case 'double_param':
        value = p.double_param ?? 0;
        break;
      case 'int64_param':
        value = int64Value(String(p.int64_param ?? 0));
        break;
      case 'uint64_param':
        value = int64Value(String(p.uint64_param ?? 0));
        break;
      default:
        throw new KaleidoError('ERR_VALIDATION', `parameter '${key}' of ${where} has no value`, {
          details: { field: `${where}.parameters.${key}` },
        });
    }
    out[key] = value;
  }
  return out;
}

/** Parameters → InferParameter map. Integers travel as int64, other numbers as double. */
export function parametersToProto(parameters: Parameters | undefined): ParameterMapMsg {
  const out: ParameterMapMsg = {};
  if (parameters === undefined) return out;
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value === 'boolean') out[key] = { bool_param: value };
    else if (typeof value === 'string') out[key] = { string_param: value };
    else if (Number.isSafeInteger(value)) out[key] = { int64_param: value };
    else out[key] = { double_param: value };
  }
  return out;
}

// ---- tensors ---------------------------------------------------------------------------------

/** Which InferTensorContents field carries each datatype (FP16/BF16: none, raw only). */
const CONTENTS_FIELD: Record<Datatype, keyof InferTensorContentsMsg | undefined> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
  FP16: undefined,
  BF16: undefined,
};

const CONTENTS_FIELDS = Object.keys({
  bool_contents: 0,
  int_contents: 0,
  int64_contents: 0,
  uint_contents: 0,
  uint64_contents: 0,
  fp32_contents: 0,
  fp64_contents: 0,
  bytes_contents: 0,
} satisfies Record<keyof InferTensorContentsMsg, 0>) as (keyof InferTensorContentsMsg)[];

/** Inclusive value ranges of the integer datatypes carried in 32-bit protobuf fields. */
const INT_RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
};

function checkIntRange(name: string, datatype: Datatype, values: readonly number[]): void {
  const range = INT_RANGE[datatype];
  if (range === undefined) return;
  const [min, max] = range;
  const bad = values.findIndex((v) => v < min || v > max);
  if (bad !== -1) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `element ${bad} of '${name}' is ${values[bad]}, outside the ${datatype} range [${min}, ${max}]`,
      { details: { tensor: name, element: bad } },
    );
  }
}

function typedArrayOf(datatype: Datatype, values: readonly number[]): TensorData {
  switch (datatype) {
    case 'INT8':
      return Int8Array.from(values);
    case 'INT16':
      return Int16Array.from(values);
    case 'INT32':
      return Int32Array.from(values);
    case 'UINT8':
      return Uint8Array.from(values);
    case 'UINT16':
      return Uint16Array.from(values);
    case 'UINT32':
      return Uint32Array.from(values);
    case 'FP32':
      return Float32Array.from(values);
    default:
      return Float64Array.from(values);
  }
}

/** Decodes typed `contents` of one input into tensor data. */
function decodeTypedContents(
  name: string,
  datatype: Datatype,
  shape: readonly number[],
  contents: InferTensorContentsMsg,
): TensorData {
  const field = CONTENTS_FIELD[datatype];
  if (field === undefined) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `input '${name}' is ${datatype}, which has no typed contents field: send it in raw_input_contents`,
      { details: { tensor: name, datatype } },
    );
  }
  const stray = CONTENTS_FIELDS.find((f) => f !== field && contents[f].length > 0);
  if (stray !== undefined) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `input '${name}' is ${datatype}, so its data belongs in contents.${field}, not contents.${stray}`,
      { details: { tensor: name, datatype, field: stray } },
    );
  }
  const expected = elementCount(shape);
  const actual = contents[field].length;
  if (actual !== expected) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `input '${name}' has ${actual} elements in contents.${field} but shape ${JSON.stringify(shape)} needs ${expected}`,
      { details: { tensor: name, expected, actual } },
    );
  }
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(contents.bool_contents, (b) => (b ? 1 : 0));
    case 'INT64':
      return BigInt64Array.from(contents.int64_contents, (s) => BigInt(s));
    case 'UINT64':
      return BigUint64Array.from(contents.uint64_contents, (s) => BigInt(s));
    case 'BYTES':
      return contents.bytes_contents.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    default: {
      const values = contents[field] as number[];
      checkIntRange(name, datatype, values);
      return typedArrayOf(datatype, values);
    }
  }
}

function decodeShape(name: string, shape: readonly string[]): number[] {
  return shape.map((text, axis) => {
    const d = Number(text);
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new KaleidoError(
        'ERR_SHAPE_MISMATCH',
        `input '${name}' has dimension ${text} on axis ${axis}; dimensions are non-negative integers`,
        { details: { tensor: name, axis } },
      );
    }
    return d;
  });
}

/**
 * A plain Uint8Array view of protobuf bytes. protobufjs hands out Node Buffers, whose `slice()`
 * is a view rather than a copy; the shared decoder copies misaligned data with `slice()`, so it
 * must get a real Uint8Array.
 */
const plainBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function decodeInput(input: InferInputTensorMsg, raw: Uint8Array | undefined): Tensor {
  const { name } = input;
  if (name === '') {
    throw new KaleidoError('ERR_VALIDATION', 'every input needs a name', {
      details: { field: 'inputs.name' },
    });
  }
  if (!isDatatype(input.datatype)) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `input '${name}' has unknown datatype '${input.datatype}'`,
      {
        details: { tensor: name, datatype: input.datatype },
      },
    );
  }
  const datatype = input.datatype;
  const shape = decodeShape(name, input.shape);
  let data: TensorData;
  if (raw !== undefined) {
    data = decodeTensorBytes(datatype, shape, plainBytes(raw), { tensorName: name });
  } else if (input.contents !== null) {
    data = decodeTypedContents(name, datatype, shape, input.contents);
  } else if (elementCount(shape) === 0) {
    data = decodeTensorBytes(datatype, shape, new Uint8Array(0), { tensorName: name });
  } else {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `input '${name}' carries no data (neither contents nor raw_input_contents)`,
      { details: { tensor: name, expected: elementCount(shape), actual: 0 } },
    );
  }
  const parameters = parametersFromProto(input.parameters, `input '${name}'`);
  return { name, datatype, shape, data, ...(parameters ? { parameters } : {}) };
}

function checkUnique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) {
      throw new KaleidoError('ERR_DUPLICATE_NAME', `${what} '${n}' appears more than once`, {
        details: { name: n },
      });
    }
    seen.add(n);
  }
}

/** ModelInferRequest → InferRequest (without a cancel signal; the server adds it). */
export function inferRequestFromProto(msg: ModelInferRequestMsg): InferRequest {
  const modelName = requireName(msg.model_name, 'model_name');
  const raw = msg.raw_input_contents;
  if (raw.length > 0) {
    const typed = msg.inputs.find((i) => i.contents !== null);
    if (typed !== undefined) {
      throw new KaleidoError(
        'ERR_MIXED_CONTENTS',
        `input '${typed.name}' sets contents while the request uses raw_input_contents; use one or the other`,
        { details: { tensor: typed.name } },
      );
    }
    if (raw.length !== msg.inputs.length) {
      throw new KaleidoError(
        'ERR_BAD_REQUEST',
        `raw_input_contents has ${raw.length} entries for ${msg.inputs.length} inputs; it needs one per input`,
        { details: { expected: msg.inputs.length, actual: raw.length } },
      );
    }
  }
  checkUnique(
    msg.inputs.map((i) => i.name),
    'input',
  );
  checkUnique(
    msg.outputs.map((o) => o.name),
    'requested output',
  );
  const inputs = msg.inputs.map((input, i) => decodeInput(input, raw.length > 0 ? raw[i] : undefined));
  const parameters = parametersFromProto(msg.parameters, 'the request');
  const outputs =
    msg.outputs.length === 0
      ? undefined
      : msg.outputs.map((o): RequestedOutput => {
          const p = parametersFromProto(o.parameters, `output '${o.name}'`);
          return { name: o.name, ...(p ? { parameters: p } : {}) };
        });
  return {
    modelName,
    ...(msg.model_version !== '' ? { modelVersion: msg.model_version } : {}),
    ...(msg.id !== '' ? { id: msg.id } : {}),
    ...(parameters ? { parameters } : {}),
    inputs,
    ...(outputs ? { outputs } : {}),
  };
}

/** InferResponse → ModelInferResponse, every output in raw_output_contents. */
export function inferResponseToProto(res: InferResponse, requestId: string): ModelInferResponseMsg {
  // encodeTensorBytes checks each output against its shape and datatype: a mismatch is a bug in
  // a model or postprocessor, answered as INTERNAL rather than as bytes a client would misread.
  const raw = res.outputs.map((t) => encodeTensorBytes(t));
  const outputs = res.outputs.map((t) => ({
    name: t.name,
    datatype: t.datatype,
    shape: [...t.shape],
    parameters: parametersToProto(t.parameters),
  }));
  return {
    model_name: res.modelName,
    model_version: res.modelVersion,
    id: res.id ?? requestId,
    parameters: parametersToProto(res.parameters),
    outputs,
    raw_output_contents: raw,
  };
}

// ---- metadata, statistics, repository ----------------------------------------------------------

/** Rejects an empty model name up front rather than letting it read as "model '' not found". */
export function requireName(name: string, field: string): string {
  if (name === '') {
    throw new KaleidoError('ERR_VALIDATION', `${field} is required`, { details: { field } });
  }
  return name;
}

/** An empty version string means "let the server pick". */
export const optionalVersion = (version: string): string | undefined =>
  version === '' ? undefined : version;

const tensorMetadataToProto = (t: TensorMetadata): TensorMetadataMsg => ({
  name: t.name,
  datatype: t.datatype,
  shape: [...t.shape],
});

/** ModelMetadata → ModelMetadataResponse (the OIP message has no field for `properties`). */
export function modelMetadataToProto(m: ModelMetadata): ModelMetadataResponseMsg {
  return {
    name: m.name,
    versions: [...m.versions],
    platform: m.platform,
    inputs: m.inputs.map(tensorMetadataToProto),
    outputs: m.outputs.map(tensorMetadataToProto),
  };
}

const durationToProto = (d: StatDuration): StatisticDurationMsg => ({ count: d.count, ns: d.ns });

export function modelStatisticsToProto(s: ModelStatistics): ModelStatisticsMsg {
  const i = s.inferenceStats;
  return {
    name: s.name,
    version: s.version,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: durationToProto(i.success),
      fail: durationToProto(i.fail),
      queue: durationToProto(i.queue),
      compute_input: durationToProto(i.computeInput),
      compute_infer: durationToProto(i.computeInfer),
      compute_output: durationToProto(i.computeOutput),
      cache_hit: durationToProto(i.cacheHit),
      cache_miss: durationToProto(i.cacheMiss),
    },
    batch_stats: s.batchStats.map((b) => ({
      batch_size: b.batchSize,
      compute_input: durationToProto(b.computeInput),
      compute_infer: durationToProto(b.computeInfer),
      compute_output: durationToProto(b.computeOutput),
    })),
  };
}

export const repositoryEntryToProto = (e: RepositoryIndexEntry): ModelIndexMsg => ({
  name: e.name,
  version: e.version ?? '',
  state: e.state,
  reason: e.reason,
});

/**
 * RepositoryModelLoad parameters → LoadOptions. `config` (JSON text of a model configuration) is
 * honoured; Triton's `file:<version>/<name>` uploads are refused, since models are loaded from the
 * repository only; other keys are ignored, as Triton ignores parameters it does not know.
 */
export function loadOptionsFromProto(parameters: Record<string, ModelRepositoryParameterMsg>): LoadOptions {
  let config: string | undefined;
  for (const [key, p] of Object.entries(parameters)) {
    if (key === 'config') {
      if (p.parameter_choice !== 'string_param') {
        throw new KaleidoError(
          'ERR_VALIDATION',
          "load parameter 'config' must be a string_param holding JSON",
          {
            details: { field: 'parameters.config' },
          },
        );
      }
      config = p.string_param ?? '';
    } else if (key.startsWith('file:')) {
      throw new KaleidoError(
        'ERR_UNIMPLEMENTED',
        'loading model files sent with the request is not supported',
        {
          details: { field: `parameters.${key}` },
        },
      );
    }
  }
  return config === undefined ? {} : { config };
}

// ---- model configuration --------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An integer as a JS number or as the decimal string protobuf's JSON form uses for 64 bits. */
const isInteger = (v: unknown): boolean =>
  (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));

type FieldKind = 'string' | 'boolean' | 'int' | 'ints' | 'strings';

const FIELD_CHECK: Record<FieldKind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  int: isInteger,
  ints: (v) => Array.isArray(v) && v.every(isInteger),
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};

/** Copies the listed keys whose values have the expected type; anything else is left out. */
function pick(source: unknown, spec: Record<string, FieldKind>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(source)) return out;
  for (const [key, kind] of Object.entries(spec)) {
    const v = source[key];
    if (FIELD_CHECK[kind](v)) out[key] = v;
  }
  return out;
}

const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/** Triton enum name of a datatype; accepts either spelling ("TYPE_FP32" or the OIP "FP32"). */
function dataTypeEnum(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.startsWith('TYPE_')) return v;
  if (v === 'BYTES') return 'TYPE_STRING';
  return isDatatype(v) ? `TYPE_${v}` : undefined;
}

function withDataType(
  out: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  const dataType = dataTypeEnum(source['data_type']);
  if (dataType !== undefined) out['data_type'] = dataType;
  if (isRecord(source['reshape'])) out['reshape'] = pick(source['reshape'], { shape: 'ints' });
  return out;
}

const TENSOR_FIELDS = {
  name: 'string',
  dims: 'ints',
  is_shape_tensor: 'boolean',
  is_non_linear_format_io: 'boolean',
} as const;

function versionPolicy(v: unknown): Record<string, unknown> | undefined {
  if (!isRecord(v)) return undefined;
  if (isRecord(v['latest'])) return { latest: pick(v['latest'], { num_versions: 'int' }) };
  if (isRecord(v['specific'])) return { specific: pick(v['specific'], { versions: 'ints' }) };
  if (isRecord(v['all'])) return { all: {} };
  return undefined;
}

const QUEUE_POLICY_FIELDS = {
  timeout_action: 'string',
  default_timeout_microseconds: 'int',
  allow_timeout_override: 'boolean',
  max_queue_size: 'int',
} as const;

function dynamicBatching(v: Record<string, unknown>): Record<string, unknown> {
  const out = pick(v, {
    preferred_batch_size: 'ints',
    max_queue_delay_microseconds: 'int',
    preserve_ordering: 'boolean',
    priority_levels: 'int',
    default_priority_level: 'int',
  });
  if (isRecord(v['default_queue_policy']))
    out['default_queue_policy'] = pick(v['default_queue_policy'], QUEUE_POLICY_FIELDS);
  if (isRecord(v['priority_queue_policy'])) {
    const byLevel: Record<string, unknown> = {};
    for (const [level, policy] of Object.entries(v['priority_queue_policy'])) {
      if (isInteger(level) && isRecord(policy)) byLevel[level] = pick(policy, QUEUE_POLICY_FIELDS);
    }
    out['priority_queue_policy'] = byLevel;
  }
  return out;
}

function warmup(w: Record<string, unknown>): Record<string, unknown> {
  const out = pick(w, { name: 'string', batch_size: 'int', count: 'int' });
  const inputs: Record<string, unknown> = {};
  if (isRecord(w['inputs'])) {
    for (const [key, value] of Object.entries(w['inputs'])) {
      if (!isRecord(value)) continue;
      const input = pick(value, {
        dims: 'ints',
        zero_data: 'boolean',
        random_data: 'boolean',
        input_data_file: 'string',
      });
      inputs[key] = withDataType(input, value);
    }
  }
  out['inputs'] = inputs;
  return out;
}

/**
 * The service's model configuration (Triton's JSON form, snake_case) → the reduced ModelConfig
 * message of model_config.proto. Only declared fields are copied, each only when its value has
 * the right type, so nothing the service adds can break serialisation. Parameters are accepted
 * both as Triton's `{string_value}` objects and as plain strings; datatypes in either spelling.
 */
export function modelConfigToProto(json: Record<string, unknown>): ModelConfigMsg {
  const out = pick(json, {
    name: 'string',
    platform: 'string',
    backend: 'string',
    runtime: 'string',
    max_batch_size: 'int',
    default_model_filename: 'string',
  });
  const policy = versionPolicy(json['version_policy']);
  if (policy !== undefined) out['version_policy'] = policy;
  out['input'] = records(json['input']).map((t) =>
    withDataType(
      pick(t, { ...TENSOR_FIELDS, format: 'string', allow_ragged_batch: 'boolean', optional: 'boolean' }),
      t,
    ),
  );
  out['output'] = records(json['output']).map((t) =>
    withDataType(pick(t, { ...TENSOR_FIELDS, label_filename: 'string' }), t),
  );
  out['instance_group'] = records(json['instance_group']).map((g) =>
    pick(g, {
      name: 'string',
      kind: 'string',
      count: 'int',
      gpus: 'ints',
      profile: 'strings',
      passive: 'boolean',
      host_policy: 'string',
    }),
  );
  if (isRecord(json['dynamic_batching'])) out['dynamic_batching'] = dynamicBatching(json['dynamic_batching']);
  const stringMap = (v: unknown, wrap: boolean): Record<string, unknown> => {
    const map: Record<string, unknown> = {};
    if (!isRecord(v)) return map;
    for (const [key, value] of Object.entries(v)) {
      const text = isRecord(value) ? value['string_value'] : value;
      if (typeof text === 'string') map[key] = wrap ? { string_value: text } : text;
    }
    return map;
  };
  out['parameters'] = stringMap(json['parameters'], true);
  out['metric_tags'] = stringMap(json['metric_tags'], false);
  out['model_warmup'] = records(json['model_warmup']).map(warmup);
  if (isRecord(json['model_transaction_policy'])) {
    out['model_transaction_policy'] = pick(json['model_transaction_policy'], { decoupled: 'boolean' });
  }
  if (isRecord(json['response_cache']))
    out['response_cache'] = pick(json['response_cache'], { enable: 'boolean' });
  return out;
}
