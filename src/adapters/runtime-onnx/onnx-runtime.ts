/**
 * InferenceRuntime over onnxruntime-node (CPU execution provider).
 *
 * Tensors cross into ORT without copies: our typed arrays are the data ORT reads (BOOL as a 0/1
 * Uint8Array, FP16 as a Uint16Array of bit patterns, both accepted natively by ort.Tensor). The one
 * exception is BYTES: onnxruntime-node only takes JavaScript strings for ONNX `string` tensors, so
 * each element is decoded as UTF-8 on the way in and encoded on the way out. Elements that are not
 * valid UTF-8 therefore do not round-trip byte-exactly (invalid sequences become U+FFFD), which
 * matches ONNX itself: its string tensors are defined as UTF-8 text.
 *
 * Note that onnxruntime-node runs a session synchronously on the JavaScript thread (inside a
 * setImmediate), so a long inference blocks the event loop for its duration; the serving layer
 * bounds that with batch sizes and instance counts.
 */
import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import ort from 'onnxruntime-node';
import { KaleidoError } from '../../core/errors.js';
import type { InferenceRuntime, RuntimeLoadOptions, RuntimeSession } from '../../core/ports/runtime.js';
import {
  elementCount,
  shapeMatches,
  type Datatype,
  type Tensor,
  type TensorData,
  type TensorMetadata,
} from '../../core/tensor.js';
import { datatypeOfOnnxElemType, decodeModelSignature, type ValueInfo } from './onnx-schema.js';

type OrtTensor = ort.Tensor;
type OrtType = ort.Tensor.Type;

/** ORT tensor type ↔ OIP datatype. BF16 has no onnxruntime-node JavaScript type. */
const ortTypeOf: Readonly<Record<Exclude<Datatype, 'BF16'>, OrtType>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const datatypeOfOrt = new Map<string, Datatype>(
  Object.entries(ortTypeOf).map(([datatype, ortType]) => [ortType, datatype as Datatype]),
);

/** The OIP datatype of an onnxruntime tensor type ('float32' → 'FP32'), or undefined. */
export const datatypeOfOrtType = (type: string): Datatype | undefined => datatypeOfOrt.get(type);

/** The onnxruntime tensor type of an OIP datatype ('FP32' → 'float32'); undefined for BF16. */
export const ortTypeOfDatatype = (datatype: Datatype): OrtType | undefined =>
  datatype === 'BF16' ? undefined : ortTypeOf[datatype];

/** Typed-array class our Tensor must hold for each datatype (BYTES is checked separately). */
const storageOf: Readonly<Record<Exclude<Datatype, 'BYTES'>, abstract new (...args: never[]) => unknown>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
};

/** Signature and header of an ONNX file, read without creating a session. */
export interface OnnxSignature {
  /** Graph inputs that are not initializers (i.e. what a caller must feed). */
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Names of inputs/outputs whose rank the model does not declare (their `shape` is []). */
  readonly unranked: readonly string[];
  /** See {@link modelMetadata}. */
  readonly metadata: Readonly<Record<string, string>>;
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** "mlp_fp32/1/model.onnx": enough of the path to name the model in messages. */
export const labelOf = (modelPath: string): string => modelPath.split(sep).slice(-3).join('/');

const loadFailed = (modelPath: string, reason: string, cause?: unknown): KaleidoError =>
  new KaleidoError('ERR_MODEL_LOAD_FAILED', `cannot load ONNX model ${labelOf(modelPath)}: ${reason}`, {
    details: { path: modelPath, reason },
    cause,
  });

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Model metadata as flat strings: the ONNX header under `onnx.*` keys (ir_version, opset,
 * producer_name, producer_version, domain, model_version, doc_string, graph_name), plus every
 * metadata_props entry under its own key. Header keys are namespaced so that they cannot collide
 * with author-defined metadata_props.
 */
function modelMetadata(header: ReturnType<typeof decodeModelSignature>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of header.metadataProps ?? []) {
    if (p.key !== undefined) out[p.key] = p.value ?? '';
  }
  const put = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') out[`onnx.${key}`] = String(value);
  };
  put('ir_version', header.irVersion);
  const defaultOpset = header.opsetImport?.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  put('opset', defaultOpset?.version);
  put('producer_name', header.producerName);
  put('producer_version', header.producerVersion);
  put('domain', header.domain);
  put('model_version', header.modelVersion);
  put('doc_string', header.docString);
  put('graph_name', header.graph?.name);
  return out;
}

function tensorMetadataOfValueInfo(
  v: ValueInfo,
  modelPath: string,
): { meta: TensorMetadata; ranked: boolean } {
  const tensorType = v.type?.tensorType;
  if (!tensorType)
    throw loadFailed(modelPath, `value "${v.name}" is not a tensor (sequences and maps are not supported)`);
  const datatype = datatypeOfOnnxElemType(tensorType.elemType ?? 0);
  if (datatype === undefined) {
    throw loadFailed(
      modelPath,
      `value "${v.name}" has unsupported ONNX element type ${tensorType.elemType ?? 0}`,
    );
  }
  const dims = tensorType.shape?.dim;
  return {
    meta: {
      name: v.name,
      datatype,
      // dim_param (symbolic) and dims with neither field are variable: -1.
      shape: (dims ?? []).map((d) => (typeof d.dimValue === 'number' ? d.dimValue : -1)),
    },
    ranked: tensorType.shape !== undefined,
  };
}

function parseSignature(bytes: Uint8Array, modelPath: string): OnnxSignature {
  let header: ReturnType<typeof decodeModelSignature>;
  try {
    header = decodeModelSignature(bytes);
  } catch (e) {
    throw loadFailed(modelPath, `not a valid ONNX protobuf (${messageOf(e)})`, e);
  }
  if (!header.graph) throw loadFailed(modelPath, 'the model has no graph');
  const initializers = new Set((header.graph.initializer ?? []).map((t) => t.name));
  const unranked: string[] = [];
  const convert = (values: ValueInfo[] | undefined): TensorMetadata[] =>
    (values ?? []).map((v) => {
      const { meta, ranked } = tensorMetadataOfValueInfo(v, modelPath);
      if (!ranked) unranked.push(v.name);
      return meta;
    });
  return {
    // Before IR 4 initializers had to be listed as graph inputs too; they are not feeds.
    inputs: convert(header.graph.input?.filter((v) => !initializers.has(v.name))),
    outputs: convert(header.graph.output),
    unranked,
    metadata: modelMetadata(header),
  };
}

/**
 * Reads the signature and metadata of an ONNX file without creating a session (cheap: node lists
 * and initializer data are skipped by the decoder). Used to complete a model config that has no
 * inputs/outputs. Throws ERR_MODEL_LOAD_FAILED when the file is missing or not an ONNX model.
 */
export async function readOnnxSignature(modelPath: string): Promise<OnnxSignature> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (e) {
    throw loadFailed(modelPath, messageOf(e), e);
  }
  return parseSignature(bytes, modelPath);
}

/** Throws ERR_BAD_CONFIG unless `value` is a valid onnxruntime thread count (0 = default). */
export function checkThreads(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 1024) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `${name} must be an integer in [0, 1024] (0 = runtime default)`,
      {
        details: { field: name, value },
      },
    );
  }
}

function sessionOptions(modelPath: string, options: RuntimeLoadOptions): ort.InferenceSession.SessionOptions {
  checkThreads('intraOpThreads', options.intraOpThreads);
  checkThreads('interOpThreads', options.interOpThreads);
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Inter-op threads only matter when independent graph branches may run concurrently.
    executionMode: options.interOpThreads > 1 ? 'parallel' : 'sequential',
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    enableCpuMemArena: true,
    enableMemPattern: true,
    // ORT would print to stderr, outside our logger; every failure reaches us as an exception.
    logSeverityLevel: 4,
    logId: labelOf(modelPath),
  };
}

function signatureOfSession(
  metadata: readonly ort.InferenceSession.ValueMetadata[],
  modelPath: string,
): TensorMetadata[] {
  return metadata.map((m) => {
    if (!m.isTensor) throw loadFailed(modelPath, `value "${m.name}" is not a tensor`);
    const datatype = datatypeOfOrtType(m.type);
    if (datatype === undefined)
      throw loadFailed(modelPath, `value "${m.name}" has unsupported type ${m.type}`);
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)) };
  });
}

function toOrtTensor(t: Tensor, meta: TensorMetadata, ranked: boolean): OrtTensor {
  if (t.datatype === 'BF16') {
    throw new KaleidoError(
      'ERR_UNIMPLEMENTED',
      `input ${t.name}: BF16 tensors are not supported by onnxruntime-node`,
      {
        details: { input: t.name, datatype: t.datatype },
      },
    );
  }
  if (t.datatype !== meta.datatype) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `input ${t.name}: datatype ${t.datatype} does not match the model (${meta.datatype})`,
      { details: { input: t.name, expected: meta.datatype, actual: t.datatype } },
    );
  }
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `input ${t.name}: shape [${t.shape.join(',')}] is not concrete`,
      {
        details: { input: t.name, shape: t.shape },
      },
    );
  }
  if (ranked && !shapeMatches(meta.shape, t.shape)) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `input ${t.name}: shape [${t.shape.join(',')}] does not match the model [${meta.shape.join(',')}]`,
      { details: { input: t.name, expected: meta.shape, actual: t.shape } },
    );
  }
  const count = elementCount(t.shape);
  if (t.data.length !== count) {
    throw new KaleidoError(
      'ERR_SHAPE_MISMATCH',
      `input ${t.name}: ${t.data.length} elements for shape [${t.shape.join(',')}] (${count} expected)`,
      { details: { input: t.name, expected: count, actual: t.data.length } },
    );
  }
  const dims = [...t.shape];
  if (t.datatype === 'BYTES') {
    if (!Array.isArray(t.data) || !t.data.every((e) => e instanceof Uint8Array)) {
      throw new KaleidoError(
        'ERR_DATATYPE_MISMATCH',
        `input ${t.name}: BYTES data must be an array of Uint8Array`,
        {
          details: { input: t.name },
        },
      );
    }
    // onnxruntime-node hands strings to the native side as C strings, so an element would be cut
    // at its first NUL byte. Refuse instead of silently changing the data.
    const nul = t.data.findIndex((e) => e.includes(0));
    if (nul >= 0) {
      throw new KaleidoError(
        'ERR_DATATYPE_MISMATCH',
        `input ${t.name}: element ${nul} contains a NUL byte, which onnxruntime string tensors cannot hold`,
        { details: { input: t.name, element: nul } },
      );
    }
    return new ort.Tensor(
      'string',
      t.data.map((e) => utf8Decoder.decode(e)),
      dims,
    );
  }
  const storage = storageOf[t.datatype];
  if (!(t.data instanceof storage)) {
    throw new KaleidoError(
      'ERR_DATATYPE_MISMATCH',
      `input ${t.name}: ${t.datatype} data must be a ${storage.name}, got ${t.data.constructor.name}`,
      { details: { input: t.name, datatype: t.datatype } },
    );
  }
  // Typed arrays are passed by reference (views with a byteOffset included): no copy.
  return new ort.Tensor(ortTypeOf[t.datatype], t.data as Exclude<TensorData, Uint8Array[]>, dims);
}

function fromOrtTensor(name: string, value: ort.OnnxValue | undefined): Tensor {
  if (!(value instanceof ort.Tensor)) {
    throw new KaleidoError('ERR_INTERNAL', `onnxruntime returned no tensor for output ${name}`);
  }
  const datatype = datatypeOfOrtType(value.type);
  if (datatype === undefined) {
    throw new KaleidoError('ERR_UNIMPLEMENTED', `output ${name} has unsupported type ${value.type}`, {
      details: { output: name, type: value.type },
    });
  }
  const shape = [...value.dims];
  const raw = value.data;
  let data: TensorData;
  if (datatype === 'BYTES') {
    data = (raw as string[]).map((s) => utf8Encoder.encode(s));
  } else if (datatype === 'FP16' && !(raw instanceof Uint16Array)) {
    // Where the platform has Float16Array ORT returns it; we keep FP16 as raw bit patterns.
    const view = raw as ArrayBufferView;
    data = new Uint16Array(view.buffer, view.byteOffset, view.byteLength / 2);
  } else {
    data = raw as TensorData;
  }
  return { name, datatype, shape, data };
}

/**
 * Shortens an onnxruntime run error to what a caller can act on: the failing node and the reason,
 * without ORT's source paths ("Non-zero status code returned while running Sub node. Name:'sub'
 * Status Message: /onnxruntime_src/…/element_wise_ops.h:583 … was false. Attempting to broadcast
 * an axis by a dimension other than 1. 2 by 3" → "node sub (Sub): Attempting to broadcast …").
 */
export function summarizeOrtError(message: string): string {
  const node = /running (\S+) node\. Name:'([^']*)'/.exec(message);
  let reason = message.split('Status Message:').pop()?.trim() ?? message;
  reason = reason.replace(/^\S+:\d+\s+/, ''); // "/path/file.h:583 "
  const afterAssert = /\bwas false\.\s*(.+)$/s.exec(reason);
  if (afterAssert?.[1]) reason = afterAssert[1];
  reason = reason.trim();
  return node ? `node ${node[2]} (${node[1]}): ${reason}` : reason;
}

/**
 * Maps an error thrown by InferenceSession.run. Per-tensor checks happen before the run, so what
 * ORT still rejects is mostly inputs that disagree with each other (shapes that do not broadcast,
 * a reshape that does not fit); those are the caller's. Anything else is a server-side failure whose
 * details stay in the logged cause.
 */
function runFailed(e: unknown, modelLabel: string): KaleidoError {
  const message = messageOf(e);
  if (/broadcast|dimension|shape|rank/i.test(message)) {
    const summary = summarizeOrtError(message);
    return new KaleidoError('ERR_SHAPE_MISMATCH', `model ${modelLabel} rejected the inputs: ${summary}`, {
      details: { reason: summary },
      cause: e,
    });
  }
  return new KaleidoError('ERR_INTERNAL', `model ${modelLabel} failed to run`, { cause: e });
}

class OnnxSession implements RuntimeSession {
  private readonly inputIndex: ReadonlyMap<string, TensorMetadata>;
  private readonly outputIndex: ReadonlySet<string>;
  private closed = false;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly label: string,
    readonly inputs: readonly TensorMetadata[],
    readonly outputs: readonly TensorMetadata[],
    private readonly unranked: ReadonlySet<string>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.inputIndex = new Map(inputs.map((i) => [i.name, i]));
    this.outputIndex = new Set(outputs.map((o) => o.name));
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    if (this.closed) {
      throw new KaleidoError('ERR_MODEL_NOT_READY', `model ${this.label} has been unloaded`);
    }
    const feeds: Record<string, OrtTensor> = {};
    for (const t of inputs) {
      const meta = this.inputIndex.get(t.name);
      if (!meta) {
        throw new KaleidoError('ERR_UNKNOWN_INPUT', `unknown input ${t.name} for model ${this.label}`, {
          details: { input: t.name, expected: [...this.inputIndex.keys()] },
        });
      }
      if (Object.hasOwn(feeds, t.name)) {
        throw new KaleidoError('ERR_DUPLICATE_NAME', `input ${t.name} is given twice`, {
          details: { input: t.name },
        });
      }
      feeds[t.name] = toOrtTensor(t, meta, !this.unranked.has(t.name));
    }
    for (const name of this.inputIndex.keys()) {
      if (!Object.hasOwn(feeds, name)) {
        throw new KaleidoError('ERR_MISSING_INPUT', `model ${this.label} needs input ${name}`, {
          details: { input: name },
        });
      }
    }
    const seen = new Set<string>();
    for (const name of outputNames) {
      if (!this.outputIndex.has(name)) {
        throw new KaleidoError('ERR_UNKNOWN_OUTPUT', `unknown output ${name} for model ${this.label}`, {
          details: { output: name, expected: [...this.outputIndex] },
        });
      }
      if (seen.has(name)) {
        throw new KaleidoError('ERR_DUPLICATE_NAME', `output ${name} is requested twice`, {
          details: { output: name },
        });
      }
      seen.add(name);
    }
    if (outputNames.length === 0) return [];
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [...outputNames]);
    } catch (e) {
      throw runFailed(e, this.label);
    }
    return outputNames.map((name) => fromOrtTensor(name, results[name]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

/** The onnxruntime backend (Triton names: backend "onnxruntime", platform "onnxruntime_onnx"). */
export class OnnxRuntime implements InferenceRuntime {
  readonly backend = 'onnxruntime';
  readonly platform = 'onnxruntime_onnx';
  readonly defaultModelFilename = 'model.onnx';

  async load(modelPath: string, options: RuntimeLoadOptions): Promise<RuntimeSession> {
    const sessionOpts = sessionOptions(modelPath, options);
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (e) {
      throw loadFailed(modelPath, messageOf(e), e);
    }
    // Our decoder reads the header (metadata_props, producer …), which onnxruntime-node does not
    // expose, and catches non-ONNX files with a clearer message than ORT's.
    const signature = parseSignature(bytes, modelPath);
    let session: ort.InferenceSession;
    try {
      // Created from the path, not the bytes, so that external-data files next to the model resolve.
      session = await ort.InferenceSession.create(modelPath, sessionOpts);
    } catch (e) {
      throw loadFailed(modelPath, messageOf(e), e);
    }
    try {
      return new OnnxSession(
        session,
        labelOf(modelPath),
        signatureOfSession(session.inputMetadata, modelPath),
        signatureOfSession(session.outputMetadata, modelPath),
        new Set(signature.unranked),
        signature.metadata,
      );
    } catch (e) {
      await session.release();
      throw e;
    }
  }
}
