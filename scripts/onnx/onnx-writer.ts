/**
 * Builds ONNX ModelProto bytes from TypeScript, so that test and benchmark models are generated
 * from reviewed source instead of being opaque binaries produced by Python tooling.
 *
 * The schema (field numbers from the official onnx.proto) lives in the runtime adapter, which also
 * decodes model headers; this module adds a small typed builder and graph checks on top of it.
 *
 *   const bytes = buildModel({
 *     graphName: 'add', opset: 17,
 *     inputs: [{ name: 'a', elemType: 'FLOAT', shape: ['batch', 4] }, …],
 *     outputs: [{ name: 'y', elemType: 'FLOAT', shape: ['batch', 4] }],
 *     nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
 *   });
 */
import { KaleidoError } from '../../src/core/errors.js';
import {
  OnnxAttributeType,
  OnnxElemType,
  encodeModelProto,
  type AttributeProtoObject,
  type DimensionProto,
  type ModelProtoObject,
  type NodeProtoObject,
  type OnnxElemTypeName,
  type TensorProtoObject,
  type ValueInfo,
} from '../../src/adapters/runtime-onnx/onnx-schema.js';

export { OnnxElemType, type OnnxElemTypeName };

/** A dimension: a fixed size, a symbolic name (dim_param), or null for "unknown, unnamed". */
export type Dim = number | string | null;

export interface ValueSpec {
  readonly name: string;
  readonly elemType: OnnxElemTypeName;
  readonly shape: readonly Dim[];
  readonly docString?: string;
}

/**
 * Element values of a tensor, row-major. Numbers for numeric types (FLOAT16/BFLOAT16 take raw
 * 16-bit patterns), bigint or number for 64-bit integers, booleans or 0/1 for BOOL, strings or
 * UTF-8 bytes for STRING.
 */
export type TensorValues =
  ArrayLike<number | bigint> | readonly boolean[] | readonly string[] | readonly Uint8Array[];

export interface TensorSpec {
  readonly name: string;
  readonly elemType: OnnxElemTypeName;
  readonly dims: readonly number[];
  readonly values: TensorValues;
  readonly docString?: string;
}

export type AttributeSpec =
  | { readonly name: string; readonly type: 'FLOAT'; readonly value: number }
  | { readonly name: string; readonly type: 'INT'; readonly value: number }
  | { readonly name: string; readonly type: 'STRING'; readonly value: string }
  | { readonly name: string; readonly type: 'FLOATS'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'INTS'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'STRINGS'; readonly value: readonly string[] }
  | { readonly name: string; readonly type: 'TENSOR'; readonly value: Omit<TensorSpec, 'name'> };

/** Shorthands for attributes: `attr.int('transB', 1)`. */
export const attr = {
  float: (name: string, value: number): AttributeSpec => ({ name, type: 'FLOAT', value }),
  int: (name: string, value: number): AttributeSpec => ({ name, type: 'INT', value }),
  string: (name: string, value: string): AttributeSpec => ({ name, type: 'STRING', value }),
  floats: (name: string, value: readonly number[]): AttributeSpec => ({ name, type: 'FLOATS', value }),
  ints: (name: string, value: readonly number[]): AttributeSpec => ({ name, type: 'INTS', value }),
  strings: (name: string, value: readonly string[]): AttributeSpec => ({ name, type: 'STRINGS', value }),
  tensor: (name: string, value: Omit<TensorSpec, 'name'>): AttributeSpec => ({ name, type: 'TENSOR', value }),
};

export interface NodeSpec {
  readonly opType: string;
  /** Value names; "" marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** Operator set domain; "" (default) is the standard ONNX domain. */
  readonly domain?: string;
  readonly attributes?: readonly AttributeSpec[];
}

export interface BuildModelOptions {
  readonly graphName: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  /** Default ONNX domain opset version (default 17). */
  readonly opset?: number;
  /** Extra operator sets, e.g. { domain: 'com.microsoft', version: 1 }. */
  readonly extraOpsets?: readonly { readonly domain: string; readonly version: number }[];
  /** ModelProto.ir_version (default 8, the IR of opset 17). */
  readonly irVersion?: number;
  readonly producer?: { readonly name: string; readonly version: string };
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  /** Written as metadata_props, in key order as given. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const invalid = (message: string, details: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details });

const utf8 = new TextEncoder();

/** Bytes per element of each fixed-width element type (STRING and complex types excluded). */
const elementBytes: Partial<Record<OnnxElemTypeName, number>> = {
  FLOAT: 4,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  BOOL: 1,
  FLOAT16: 2,
  DOUBLE: 8,
  UINT32: 4,
  UINT64: 8,
  BFLOAT16: 2,
};

function toNumber(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  throw invalid(`${where}: expected a number, got ${typeof v}`);
}

function toBigInt(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw invalid(`${where}: expected an integer or bigint, got ${String(v)}`);
}

/**
 * Encodes tensor values as raw_data (fixed width, little-endian, as onnx.proto requires) or, for
 * STRING, as string_data. DataView makes the byte order explicit on any host.
 */
export function tensorProto(spec: TensorSpec): TensorProtoObject {
  const count = spec.dims.reduce((n, d) => n * d, 1);
  for (const d of spec.dims) {
    if (!Number.isInteger(d) || d < 0) throw invalid(`tensor ${spec.name}: bad dimension ${d}`);
  }
  if (spec.values.length !== count) {
    throw invalid(`tensor ${spec.name}: ${spec.values.length} values for dims [${spec.dims.join(',')}]`, {
      expected: count,
      actual: spec.values.length,
    });
  }
  const base: TensorProtoObject = {
    name: spec.name,
    dims: [...spec.dims],
    dataType: OnnxElemType[spec.elemType],
    ...(spec.docString === undefined ? {} : { docString: spec.docString }),
  };
  if (spec.elemType === 'STRING') {
    const stringData: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const v: unknown = spec.values[i];
      if (typeof v === 'string') stringData.push(utf8.encode(v));
      else if (v instanceof Uint8Array) stringData.push(v);
      else throw invalid(`tensor ${spec.name}[${i}]: expected a string or bytes`);
    }
    return { ...base, stringData };
  }
  const width = elementBytes[spec.elemType];
  if (width === undefined)
    throw invalid(`tensor ${spec.name}: element type ${spec.elemType} is not supported`);
  const raw = new Uint8Array(count * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v: unknown = spec.values[i];
    const at = i * width;
    const where = `tensor ${spec.name}[${i}]`;
    switch (spec.elemType) {
      case 'FLOAT':
        view.setFloat32(at, toNumber(v, where), true);
        break;
      case 'DOUBLE':
        view.setFloat64(at, toNumber(v, where), true);
        break;
      case 'UINT8':
      case 'BOOL':
        view.setUint8(at, toNumber(v, where));
        break;
      case 'INT8':
        view.setInt8(at, toNumber(v, where));
        break;
      case 'UINT16':
      case 'FLOAT16':
      case 'BFLOAT16':
        view.setUint16(at, toNumber(v, where), true);
        break;
      case 'INT16':
        view.setInt16(at, toNumber(v, where), true);
        break;
      case 'UINT32':
        view.setUint32(at, toNumber(v, where), true);
        break;
      case 'INT32':
        view.setInt32(at, toNumber(v, where), true);
        break;
      case 'UINT64':
        view.setBigUint64(at, toBigInt(v, where), true);
        break;
      case 'INT64':
        view.setBigInt64(at, toBigInt(v, where), true);
        break;
      default:
        throw invalid(`tensor ${spec.name}: element type ${spec.elemType} is not supported`);
    }
  }
  return { ...base, rawData: raw };
}

function dimension(d: Dim, where: string): DimensionProto {
  if (d === null) return {};
  if (typeof d === 'string') {
    if (d.length === 0) throw invalid(`${where}: empty symbolic dimension name (use null for unnamed)`);
    return { dimParam: d };
  }
  if (!Number.isInteger(d) || d < 0) {
    throw invalid(`${where}: dimension ${d} must be a non-negative integer, a name or null`);
  }
  return { dimValue: d };
}

function valueInfo(v: ValueSpec): ValueInfo {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: OnnxElemType[v.elemType],
        shape: { dim: v.shape.map((d, i) => dimension(d, `${v.name} dim ${i}`)) },
      },
    },
    ...(v.docString === undefined ? {} : { docString: v.docString }),
  };
}

function attribute(a: AttributeSpec): AttributeProtoObject {
  const type = OnnxAttributeType[a.type];
  switch (a.type) {
    case 'FLOAT':
      return { name: a.name, type, f: a.value };
    case 'INT':
      if (!Number.isInteger(a.value)) throw invalid(`attribute ${a.name}: ${a.value} is not an integer`);
      return { name: a.name, type, i: a.value };
    case 'STRING':
      return { name: a.name, type, s: utf8.encode(a.value) };
    case 'FLOATS':
      return { name: a.name, type, floats: [...a.value] };
    case 'INTS':
      if (!a.value.every(Number.isInteger)) throw invalid(`attribute ${a.name}: values must be integers`);
      return { name: a.name, type, ints: [...a.value] };
    case 'STRINGS':
      return { name: a.name, type, strings: a.value.map((s) => utf8.encode(s)) };
    case 'TENSOR':
      return { name: a.name, type, t: tensorProto({ name: '', ...a.value }) };
  }
}

/**
 * Checks that the graph is well formed before it is written: unique value names (SSA), nodes in
 * topological order, every graph output produced. ORT would reject such models at load time, but
 * with a far less helpful message and only when a test happens to load them.
 */
function checkGraph(options: BuildModelOptions): void {
  const defined = new Set<string>();
  const define = (name: string, what: string): void => {
    if (name.length === 0) throw invalid(`${what} has an empty name`);
    if (defined.has(name)) throw invalid(`value "${name}" is defined twice (${what})`, { name });
    defined.add(name);
  };
  for (const v of options.inputs) define(v.name, 'graph input');
  for (const t of options.initializers ?? []) define(t.name, 'initializer');
  options.nodes.forEach((node, index) => {
    const label = node.name ?? `#${index} ${node.opType}`;
    if (node.opType.length === 0) throw invalid(`node ${label} has no op type`);
    for (const input of node.inputs) {
      if (input !== '' && !defined.has(input)) {
        throw invalid(`node ${label} reads "${input}" before it is defined`, { node: label, input });
      }
    }
    for (const output of node.outputs) define(output, `output of node ${label}`);
  });
  const outputNames = new Set<string>();
  for (const v of options.outputs) {
    if (!defined.has(v.name)) throw invalid(`graph output "${v.name}" is not produced by any node or input`);
    if (outputNames.has(v.name)) throw invalid(`graph output "${v.name}" is listed twice`);
    outputNames.add(v.name);
  }
}

/** The ModelProto as a plain object (exposed for tests that inspect structure). */
export function modelProto(options: BuildModelOptions): ModelProtoObject {
  const opset = options.opset ?? 17;
  const irVersion = options.irVersion ?? 8;
  if (!Number.isInteger(opset) || opset < 1) throw invalid(`opset ${opset} must be a positive integer`);
  if (!Number.isInteger(irVersion) || irVersion < 3) {
    throw invalid(`irVersion ${irVersion} must be an integer >= 3 (opset_import needs IR 3)`);
  }
  checkGraph(options);
  const nodes: NodeProtoObject[] = options.nodes.map((n, index) => ({
    name: n.name ?? `${n.opType.toLowerCase()}_${index}`,
    opType: n.opType,
    ...(n.domain ? { domain: n.domain } : {}),
    input: [...n.inputs],
    output: [...n.outputs],
    ...(n.attributes?.length ? { attribute: n.attributes.map(attribute) } : {}),
  }));
  return {
    irVersion,
    ...(options.producer
      ? { producerName: options.producer.name, producerVersion: options.producer.version }
      : {}),
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.modelVersion === undefined ? {} : { modelVersion: options.modelVersion }),
    ...(options.docString === undefined ? {} : { docString: options.docString }),
    opsetImport: [
      { domain: '', version: opset },
      ...(options.extraOpsets ?? []).map((o) => ({ domain: o.domain, version: o.version })),
    ],
    graph: {
      name: options.graphName,
      node: nodes,
      initializer: (options.initializers ?? []).map(tensorProto),
      input: options.inputs.map(valueInfo),
      output: options.outputs.map(valueInfo),
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/** Serialized ONNX model (the bytes of a model.onnx file). Deterministic for equal options. */
export function buildModel(options: BuildModelOptions): Uint8Array {
  return encodeModelProto(modelProto(options));
}
