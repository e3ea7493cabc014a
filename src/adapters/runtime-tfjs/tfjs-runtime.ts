/**
 * InferenceRuntime for TensorFlow.js models (`model.json` + weight shards) on the WebAssembly
 * backend, in the calling thread. {@link WorkerTfjsRuntime} (worker-runtime.ts) runs this same code
 * in a worker thread per instance, which is what the server uses.
 *
 * Model configs select it with `backend: "tfjs"` (and/or `platform: "tfjs"`); the model file is
 * `model.json` in the version directory, its weight shards beside it. Both tfjs formats load:
 * - `graph-model` (tfjs-converter output, e.g. Human's nanodet): run with `execute`, or
 *   `executeAsync` for models with control flow (detected on the first run); inputs/outputs come from the model's `signature`.
 * - `layers-model` (Keras, e.g. the nsfwjs MobileNetV2): run with `predict`; inputs/outputs are
 *   the model's input and output layers.
 * Tensor metadata is read from the model: `null`/`-1` dimensions become -1. Only numeric
 * datatypes cross (FP32, INT32, BOOL as tfjs stores them); a model with string tensors is refused.
 *
 * Threads: the wasm backend used here is single-threaded, so `intraOpThreads`/`interOpThreads`
 * are ignored; parallelism comes from instances (`instance_group.count`, a worker thread each).
 *
 * Offline and confined: model.json and every shard it lists are read from the version directory
 * with `fs` (no fetch, no URL loading); a shard path that leaves the directory is refused.
 */
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { KaleidoError } from '../../core/errors.js';
import type { InferenceRuntime, RuntimeLoadOptions, RuntimeSession } from '../../core/ports/runtime.js';
import { elementCount, type Datatype, type Tensor, type TensorMetadata } from '../../core/tensor.js';
import { tfjsWasm, type Tf } from '../image-tfjs/backend.js';

export const TFJS_BACKEND = 'tfjs';
export const TFJS_PLATFORM = 'tfjs';
export const TFJS_MODEL_FILENAME = 'model.json';

/** "1/model.json" of ".../nsfw_mobilenet_v2/1/model.json", for messages. */
export const labelOf = (modelPath: string): string => modelPath.split(sep).slice(-3).join('/');

const loadFailed = (modelPath: string, reason: string, cause?: unknown): KaleidoError =>
  new KaleidoError('ERR_MODEL_LOAD_FAILED', `cannot load tfjs model ${labelOf(modelPath)}: ${reason}`, {
    details: { path: modelPath, reason },
    ...(cause === undefined ? {} : { cause }),
  });

const TF_TO_OIP: Readonly<Record<string, Datatype>> = {
  float32: 'FP32',
  DT_FLOAT: 'FP32',
  int32: 'INT32',
  DT_INT32: 'INT32',
  bool: 'BOOL',
  DT_BOOL: 'BOOL',
};
const OIP_TO_TF: Readonly<Partial<Record<Datatype, 'float32' | 'int32' | 'bool'>>> = {
  FP32: 'float32',
  INT32: 'int32',
  BOOL: 'bool',
};

function datatypeOf(dtype: string | undefined, modelPath: string, tensor: string): Datatype {
  const d = dtype === undefined ? undefined : TF_TO_OIP[dtype];
  if (d === undefined) {
    throw loadFailed(modelPath, `tensor "${tensor}" has datatype ${dtype ?? 'unknown'}, not FP32/INT32/BOOL`);
  }
  return d;
}

const dimsOf = (shape: ReadonlyArray<number | null | undefined> | undefined): number[] =>
  (shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1));

interface ModelJson {
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string;
  readonly modelTopology?: unknown;
  readonly signature?: {
    readonly inputs?: Record<string, SignatureEntry>;
    readonly outputs?: Record<string, SignatureEntry>;
  };
  readonly weightsManifest?: ReadonlyArray<{
    readonly paths: readonly string[];
    readonly weights: tfTypes.io.WeightsManifestEntry[];
  }>;
  readonly userDefinedMetadata?: Record<string, object>;
}
interface SignatureEntry {
  readonly name?: string;
  readonly dtype?: string;
  readonly tensorShape?: { readonly dim?: ReadonlyArray<{ readonly size?: string }> };
}

/** Resolves a shard path inside `dir`, refusing absolute paths, `..` and symlinks that leave it. */
async function confinedShard(dir: string, path: string, modelPath: string): Promise<string> {
  if (path === '' || isAbsolute(path) || path.includes('\\') || path.split('/').includes('..')) {
    throw loadFailed(modelPath, `weight shard "${path.slice(0, 200)}" is not a plain relative path`);
  }
  const full = resolve(dir, path);
  let real: string;
  try {
    real = await realpath(full);
  } catch (e) {
    throw loadFailed(modelPath, `weight shard "${path}" cannot be read`, e);
  }
  const rel = relative(await realpath(dir), real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw loadFailed(modelPath, `weight shard "${path}" resolves outside the model directory`);
  }
  return real;
}

/** Reads model.json and its shards into tfjs ModelArtifacts (no network, confined to the directory). */
export async function readModelArtifacts(
  modelPath: string,
): Promise<{ json: ModelJson; artifacts: tfTypes.io.ModelArtifacts }> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelPath, 'utf8')) as ModelJson;
  } catch (e) {
    throw loadFailed(modelPath, `model.json cannot be read or parsed (${(e as Error).message})`, e);
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object') {
    throw loadFailed(modelPath, 'model.json has no modelTopology');
  }
  const format = json.format ?? 'layers-model';
  if (format !== 'graph-model' && format !== 'layers-model') {
    throw loadFailed(modelPath, `model.json format "${format}" is neither graph-model nor layers-model`);
  }
  const dir = dirname(modelPath);
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) buffers.push(await readFile(await confinedShard(dir, p, modelPath)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const artifacts: tfTypes.io.ModelArtifacts = {
    modelTopology: json.modelTopology as tfTypes.io.ModelArtifacts['modelTopology'],
    format,
    ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
    ...(json.convertedBy === undefined ? {} : { convertedBy: json.convertedBy }),
    ...(json.signature === undefined ? {} : { signature: json.signature as object }),
    ...(json.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: json.userDefinedMetadata }),
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
  };
  return { json, artifacts };
}

/** One loaded tfjs model. Runs are serialised (one tfjs instance per thread). */
export class TfjsSession implements RuntimeSession {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Graph models with control flow need executeAsync (found on the first run). */
  private needsAsync = false;

  constructor(
    private readonly tf: Tf,
    private readonly model: tfTypes.GraphModel | tfTypes.LayersModel,
    private readonly label: string,
    readonly inputs: readonly TensorMetadata[],
    readonly outputs: readonly TensorMetadata[],
    /** Names tfjs uses internally, parallel to `inputs`/`outputs` (graph models: node names). */
    private readonly internalInputs: readonly string[],
    private readonly internalOutputs: readonly string[],
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const next = this.tail.then(
      () => this.runNow(inputs, outputNames),
      () => this.runNow(inputs, outputNames),
    );
    this.tail = next.catch(() => undefined);
    return next;
  }

  private check(inputs: readonly Tensor[], outputNames: readonly string[]): void {
    if (this.closed) {
      throw new KaleidoError('ERR_MODEL_NOT_READY', `model ${this.label} has been unloaded`);
    }
    const byName = new Map<string, Tensor>();
    for (const t of inputs) {
      if (byName.has(t.name)) {
        throw new KaleidoError('ERR_DUPLICATE_NAME', `input "${t.name}" is given twice`, {
          details: { input: t.name },
        });
      }
      if (!this.inputs.some((m) => m.name === t.name)) {
        throw new KaleidoError('ERR_UNKNOWN_INPUT', `model ${this.label} has no input "${t.name}"`, {
          details: { input: t.name, inputs: this.inputs.map((m) => m.name) },
        });
      }
      byName.set(t.name, t);
    }
    for (const meta of this.inputs) {
      const t = byName.get(meta.name);
      if (t === undefined) {
        throw new KaleidoError('ERR_MISSING_INPUT', `model ${this.label} needs input "${meta.name}"`, {
          details: { input: meta.name },
        });
      }
      if (t.datatype !== meta.datatype) {
        throw new KaleidoError(
          'ERR_DATATYPE_MISMATCH',
          `input "${meta.name}" must be ${meta.datatype}, got ${t.datatype}`,
          { details: { input: meta.name, expected: meta.datatype, got: t.datatype } },
        );
      }
      const ok =
        t.shape.length === meta.shape.length &&
        t.shape.every(
          (d, i) => Number.isInteger(d) && d > 0 && (meta.shape[i] === -1 || meta.shape[i] === d),
        );
      if (!ok) {
        throw new KaleidoError(
          'ERR_SHAPE_MISMATCH',
          `input "${meta.name}" has shape [${t.shape.join(',')}], the model takes [${meta.shape.join(',')}]`,
          { details: { input: meta.name, expected: meta.shape, got: t.shape } },
        );
      }
      const data = t.data;
      const typedOk =
        (meta.datatype === 'FP32' && data instanceof Float32Array) ||
        (meta.datatype === 'INT32' && data instanceof Int32Array) ||
        (meta.datatype === 'BOOL' && data instanceof Uint8Array);
      if (!typedOk) {
        throw new KaleidoError(
          'ERR_DATATYPE_MISMATCH',
          `input "${meta.name}" data must be a typed array of ${meta.datatype}`,
          { details: { input: meta.name } },
        );
      }
      if ((data as ArrayLike<unknown>).length !== elementCount(t.shape)) {
        throw new KaleidoError(
          'ERR_SHAPE_MISMATCH',
          `input "${meta.name}" has ${(data as ArrayLike<unknown>).length} values for shape [${t.shape.join(',')}]`,
          { details: { input: meta.name, shape: t.shape } },
        );
      }
    }
    for (const name of outputNames) {
      if (!this.outputs.some((m) => m.name === name)) {
        throw new KaleidoError('ERR_UNKNOWN_OUTPUT', `model ${this.label} has no output "${name}"`, {
          details: { output: name, outputs: this.outputs.map((m) => m.name) },
        });
      }
    }
  }

  private async runNow(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    this.check(inputs, outputNames);
    const tf = this.tf;
    const wanted = outputNames.length > 0 ? outputNames : this.outputs.map((o) => o.name);
    const feed: tfTypes.Tensor[] = this.inputs.map((meta) => {
      const t = inputs.find((x) => x.name === meta.name) as Tensor;
      return tf.tensor(
        t.data as Float32Array | Int32Array | Uint8Array,
        [...t.shape],
        OIP_TO_TF[meta.datatype],
      );
    });
    let produced: tfTypes.Tensor[] = [];
    try {
      const outIdx = wanted.map((n) => this.outputs.findIndex((o) => o.name === n));
      if ('executeAsync' in this.model && !('layers' in this.model)) {
        const graph = this.model as tfTypes.GraphModel;
        const map: tfTypes.NamedTensorMap = {};
        this.internalInputs.forEach((n, i) => (map[n] = feed[i] as tfTypes.Tensor));
        const names = outIdx.map((i) => this.internalOutputs[i] as string);
        let r: tfTypes.Tensor | tfTypes.Tensor[];
        if (this.needsAsync) {
          r = await graph.executeAsync(map, names);
        } else {
          try {
            r = graph.execute(map, names);
          } catch (e) {
            // Control flow or dynamic shapes: execute() refuses them; executeAsync runs them.
            if (!/executeAsync/.test((e as Error).message)) throw e;
            this.needsAsync = true;
            r = await graph.executeAsync(map, names);
          }
        }
        produced = Array.isArray(r) ? r : [r];
      } else {
        const layers = this.model as tfTypes.LayersModel;
        const r = layers.predict(feed.length === 1 ? (feed[0] as tfTypes.Tensor) : feed);
        const all = Array.isArray(r) ? r : [r];
        produced = outIdx.map((i) => all[i] as tfTypes.Tensor);
        // Outputs not asked for are freed with the rest below.
        for (const t of all) if (!produced.includes(t)) t.dispose();
      }
      const out: Tensor[] = [];
      for (let k = 0; k < wanted.length; k++) {
        const t = produced[k] as tfTypes.Tensor;
        const meta = this.outputs[outIdx[k] as number] as TensorMetadata;
        const raw = await t.data();
        const data =
          meta.datatype === 'FP32'
            ? raw instanceof Float32Array
              ? raw
              : Float32Array.from(raw as ArrayLike<number>)
            : meta.datatype === 'INT32'
              ? raw instanceof Int32Array
                ? raw
                : Int32Array.from(raw as ArrayLike<number>)
              : Uint8Array.from(raw as ArrayLike<number>);
        out.push({ name: meta.name, datatype: meta.datatype, shape: [...t.shape], data });
      }
      return out;
    } catch (e) {
      if (e instanceof KaleidoError) throw e;
      throw new KaleidoError('ERR_INTERNAL', `model ${this.label} failed to run: ${(e as Error).message}`, {
        cause: e,
      });
    } finally {
      tf.dispose(feed);
      tf.dispose(produced);
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.model.dispose();
    }
    return Promise.resolve();
  }
}

/** Loads a model.json (graph or layers) with the process's tfjs wasm backend. */
export async function loadTfjsSession(modelPath: string): Promise<TfjsSession> {
  const { json, artifacts } = await readModelArtifacts(modelPath);
  let tf: Tf;
  try {
    tf = await tfjsWasm();
  } catch (e) {
    throw loadFailed(modelPath, (e as Error).message, e);
  }
  const handler: tfTypes.io.IOHandler = { load: () => Promise.resolve(artifacts) };
  const label = labelOf(modelPath);
  const metadata: Record<string, string> = {
    format: artifacts.format ?? 'layers-model',
    tfjs_backend: tf.getBackend(),
    tfjs_version: tf.version.tfjs,
    ...(json.generatedBy === undefined ? {} : { generated_by: json.generatedBy }),
    ...(json.convertedBy === undefined ? {} : { converted_by: json.convertedBy }),
  };
  if (artifacts.format === 'graph-model') {
    let model: tfTypes.GraphModel;
    try {
      model = await tf.loadGraphModel(handler);
    } catch (e) {
      throw loadFailed(modelPath, `tfjs could not build the graph (${(e as Error).message})`, e);
    }
    // Public names: the signature's keys when there is one (e.g. "input_1:0"); tfjs' node names
    // (e.g. "input_1") are what execute() takes.
    const sigIn = json.signature?.inputs ?? {};
    const sigOut = json.signature?.outputs ?? {};
    const describe = (
      list: ReadonlyArray<{ name: string; shape?: number[]; dtype: string }>,
      sig: Record<string, SignatureEntry>,
    ): { meta: TensorMetadata[]; internal: string[] } => {
      const meta: TensorMetadata[] = [];
      const internal: string[] = [];
      for (const info of list) {
        const key = Object.keys(sig).find((k) => k === info.name || k.split(':')[0] === info.name);
        const entry = key === undefined ? undefined : sig[key];
        const shape =
          info.shape !== undefined
            ? dimsOf(info.shape)
            : dimsOf(entry?.tensorShape?.dim?.map((d) => (d.size === undefined ? -1 : Number(d.size))));
        meta.push({
          name: info.name,
          datatype: datatypeOf(info.dtype ?? entry?.dtype, modelPath, info.name),
          shape,
        });
        internal.push(info.name);
      }
      return { meta, internal };
    };
    try {
      const i = describe(model.inputs, sigIn);
      const o = describe(model.outputs, sigOut);
      return new TfjsSession(tf, model, label, i.meta, o.meta, i.internal, o.internal, metadata);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  let model: tfTypes.LayersModel;
  try {
    model = await tf.loadLayersModel(handler);
  } catch (e) {
    throw loadFailed(modelPath, `tfjs could not build the layers model (${(e as Error).message})`, e);
  }
  try {
    const inputs = model.inputs.map((s, k) => ({
      name: model.inputNames[k] ?? s.name,
      datatype: datatypeOf(s.dtype, modelPath, s.name),
      shape: dimsOf(s.shape),
    }));
    const outputs = model.outputs.map((s, k) => ({
      name: model.outputNames[k] ?? s.name,
      datatype: datatypeOf(s.dtype, modelPath, s.name),
      shape: dimsOf(s.shape),
    }));
    return new TfjsSession(
      tf,
      model,
      label,
      inputs,
      outputs,
      inputs.map((m) => m.name),
      outputs.map((m) => m.name),
      metadata,
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The tfjs runtime in the calling thread: inference blocks the event loop while it runs. For
 * tests and tools; the server uses {@link WorkerTfjsRuntime}.
 */
export class TfjsRuntime implements InferenceRuntime {
  readonly backend = TFJS_BACKEND;
  readonly platform = TFJS_PLATFORM;
  readonly defaultModelFilename = TFJS_MODEL_FILENAME;

  load(modelPath: string, _options: RuntimeLoadOptions): Promise<RuntimeSession> {
    return loadTfjsSession(modelPath);
  }
}
