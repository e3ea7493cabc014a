/**
 * Byte formats of the trainer: checkpoints (the whole TrainerState plus the run identity) and
 * trained heads. Both are one small container:
 *
 *   "KHD1" | u32 header length | header (UTF-8 JSON) | zero padding to 8 bytes | arrays
 *
 * The header lists each typed array (name, type: f32 | f64 | i32, element count) in order; arrays
 * follow back to back, each 8-byte aligned, little-endian. Float64 parameters are stored bit-exactly, which is what
 * makes a resumed run end with the same weights as an uninterrupted one.
 */
import { KaleidoError } from '../errors.js';
import type { RngState } from '../random.js';
import type { RunIdentity, TrainerState } from './trainer.js';
import {
  resolveTrainConfig,
  type LabelledFeatures,
  type TrainingData,
  type DenseLayer,
  type EpochMetrics,
  type StopReason,
  type TrainConfig,
  type TrainedHead,
} from './types.js';

const MAGIC = [0x4b, 0x48, 0x44, 0x31]; // "KHD1"

type ArrayType = 'f32' | 'f64' | 'i32';
type TypedArray = Float32Array | Float64Array | Int32Array;

interface ArrayEntry {
  readonly name: string;
  readonly type: ArrayType;
  readonly length: number;
}

const corrupt = (what: string, reason: string): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `${what} is not a valid Kaleido ${what}: ${reason}`, {
    details: { reason },
  });

const align8 = (n: number): number => (n + 7) & ~7;

/** Every mainstream host is little-endian; there the bytes are copied as they are (fast path). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function encodeContainer(
  header: Record<string, unknown>,
  arrays: ReadonlyArray<[string, TypedArray]>,
): Uint8Array {
  const entries: ArrayEntry[] = arrays.map(([name, a]) => ({
    name,
    type: a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'f32',
    length: a.length,
  }));
  const json = new TextEncoder().encode(JSON.stringify({ ...header, arrays: entries }));
  let size = align8(8 + json.length);
  for (const [, a] of arrays) size = align8(size + a.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, json.length, true);
  out.set(json, 8);
  let at = align8(8 + json.length);
  for (const [, a] of arrays) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    else if (a instanceof Float64Array)
      for (let i = 0; i < a.length; i++) view.setFloat64(at + i * 8, a[i] as number, true);
    else if (a instanceof Int32Array)
      for (let i = 0; i < a.length; i++) view.setInt32(at + i * 4, a[i] as number, true);
    else for (let i = 0; i < a.length; i++) view.setFloat32(at + i * 4, a[i] as number, true);
    at = align8(at + a.byteLength);
  }
  return out;
}

function decodeContainer(
  bytes: Uint8Array,
  what: string,
): { header: Record<string, unknown>; arrays: Map<string, TypedArray> } {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw corrupt(what, 'bad magic');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > bytes.length) throw corrupt(what, 'truncated header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + jsonLength)),
    ) as Record<string, unknown>;
  } catch {
    throw corrupt(what, 'header is not JSON');
  }
  const entries = header['arrays'];
  if (!Array.isArray(entries)) throw corrupt(what, 'no array table');
  const arrays = new Map<string, TypedArray>();
  let at = align8(8 + jsonLength);
  for (const e of entries as ArrayEntry[]) {
    const width = e.type === 'f64' ? 8 : e.type === 'f32' || e.type === 'i32' ? 4 : 0;
    if (width === 0 || !Number.isSafeInteger(e.length) || e.length < 0)
      throw corrupt(what, `bad array entry ${e.name}`);
    if (at + e.length * width > bytes.length) throw corrupt(what, `array ${e.name} is truncated`);
    let a: TypedArray;
    if (LITTLE_ENDIAN) {
      // Copy into a fresh, exactly sized, aligned buffer (the input's byteOffset may be
      // unaligned). Not bytes.slice(): on a Node Buffer slice() is a view, and .buffer would be the
      // whole (possibly pooled) allocation, giving an array of the wrong length.
      const fresh = new Uint8Array(e.length * width);
      fresh.set(bytes.subarray(at, at + e.length * width));
      const copy = fresh.buffer;
      a =
        e.type === 'f64'
          ? new Float64Array(copy)
          : e.type === 'i32'
            ? new Int32Array(copy)
            : new Float32Array(copy);
    } else if (e.type === 'f64') {
      a = new Float64Array(e.length);
      for (let i = 0; i < e.length; i++) a[i] = view.getFloat64(at + i * 8, true);
    } else if (e.type === 'i32') {
      a = new Int32Array(e.length);
      for (let i = 0; i < e.length; i++) a[i] = view.getInt32(at + i * 4, true);
    } else {
      a = new Float32Array(e.length);
      for (let i = 0; i < e.length; i++) a[i] = view.getFloat32(at + i * 4, true);
    }
    arrays.set(e.name, a);
    at = align8(at + e.length * width);
  }
  return { header, arrays };
}

function take<T extends TypedArray>(
  arrays: Map<string, TypedArray>,
  name: string,
  type: new (n: number) => T,
  what: string,
): T {
  const a = arrays.get(name);
  if (!(a instanceof type)) throw corrupt(what, `array ${name} is missing`);
  return a;
}

export interface Checkpoint {
  readonly identity: RunIdentity;
  readonly state: TrainerState;
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { identity, state } = checkpoint;
  return encodeContainer(
    {
      format: 'kaleido.train.checkpoint/v1',
      identity,
      epoch: state.epoch,
      adamT: state.adam.t,
      rngState: state.rngState,
      // JSON has no Infinity: a run that has not evaluated yet stores null.
      bestValLoss: Number.isFinite(state.bestValLoss) ? state.bestValLoss : null,
      bestEpoch: state.bestEpoch,
      epochsWithoutImprovement: state.epochsWithoutImprovement,
      history: state.history,
      stopReason: state.stopReason,
    },
    [
      ['params', state.params],
      ['adamM', state.adam.m],
      ['adamV', state.adam.v],
      ['bestParams', state.bestParams],
    ],
  );
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const what = 'checkpoint';
  const { header: h, arrays } = decodeContainer(bytes, what);
  if (h['format'] !== 'kaleido.train.checkpoint/v1') throw corrupt(what, 'unknown format');
  const identity = h['identity'] as RunIdentity;
  return {
    identity: { ...identity, config: resolveTrainConfig(identity.config) },
    state: {
      epoch: h['epoch'] as number,
      params: take(arrays, 'params', Float64Array, what),
      adam: {
        m: take(arrays, 'adamM', Float64Array, what),
        v: take(arrays, 'adamV', Float64Array, what),
        t: h['adamT'] as number,
      },
      rngState: h['rngState'] as RngState,
      bestParams: take(arrays, 'bestParams', Float64Array, what),
      bestValLoss: typeof h['bestValLoss'] === 'number' ? h['bestValLoss'] : Infinity,
      bestEpoch: h['bestEpoch'] as number,
      epochsWithoutImprovement: h['epochsWithoutImprovement'] as number,
      history: h['history'] as EpochMetrics[],
      stopReason: h['stopReason'] as StopReason | null,
    },
  };
}

export function encodeHead(head: TrainedHead): Uint8Array {
  const arrays: Array<[string, TypedArray]> = [];
  if (head.standardization) {
    arrays.push(['mean', head.standardization.mean], ['std', head.standardization.std]);
  }
  head.layers.forEach((l, i) => arrays.push([`w${i}`, l.weight], [`b${i}`, l.bias]));
  return encodeContainer(
    {
      format: 'kaleido.train.head/v1',
      kind: head.kind,
      classes: head.classes,
      inputDim: head.inputDim,
      standardized: head.standardization !== null,
      layers: head.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, activation: l.activation })),
      training: head.training,
    },
    arrays,
  );
}

export function decodeHead(bytes: Uint8Array): TrainedHead {
  const what = 'head';
  const { header: h, arrays } = decodeContainer(bytes, what);
  if (h['format'] !== 'kaleido.train.head/v1') throw corrupt(what, 'unknown format');
  const layers = (h['layers'] as Array<Omit<DenseLayer, 'weight' | 'bias'>>).map((l, i) => ({
    ...l,
    weight: take(arrays, `w${i}`, Float32Array, what),
    bias: take(arrays, `b${i}`, Float32Array, what),
  }));
  const training = h['training'] as TrainedHead['training'];
  return {
    kind: h['kind'] as TrainedHead['kind'],
    classes: h['classes'] as string[],
    inputDim: h['inputDim'] as number,
    standardization:
      h['standardized'] === true
        ? { mean: take(arrays, 'mean', Float32Array, what), std: take(arrays, 'std', Float32Array, what) }
        : null,
    layers,
    training: { ...training, config: resolveTrainConfig(training.config as TrainConfig) },
  };
}

/** Training data as bytes (what a training job stores, content-addressed, and hands its worker). */
export function encodeTrainingData(data: TrainingData): Uint8Array {
  const arrays: Array<[string, TypedArray]> = [
    ['trainX', data.train.x],
    ['trainY', data.train.y],
  ];
  if (data.validation) arrays.push(['validationX', data.validation.x], ['validationY', data.validation.y]);
  return encodeContainer(
    {
      format: 'kaleido.train.data/v1',
      classes: data.classes,
      dim: data.dim,
      validation: data.validation !== undefined,
    },
    arrays,
  );
}

export function decodeTrainingData(bytes: Uint8Array): TrainingData {
  const what = 'training data';
  const { header: h, arrays } = decodeContainer(bytes, what);
  if (h['format'] !== 'kaleido.train.data/v1') throw corrupt(what, 'unknown format');
  const train: LabelledFeatures = {
    x: take(arrays, 'trainX', Float32Array, what),
    y: take(arrays, 'trainY', Int32Array, what),
  };
  const validation: LabelledFeatures | undefined =
    h['validation'] === true
      ? {
          x: take(arrays, 'validationX', Float32Array, what),
          y: take(arrays, 'validationY', Int32Array, what),
        }
      : undefined;
  return {
    classes: h['classes'] as string[],
    dim: h['dim'] as number,
    train,
    ...(validation === undefined ? {} : { validation }),
  };
}
