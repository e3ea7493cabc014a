/**
 * Exports a trained classifier head (core/train) as an ONNX model:
 *
 *   features FP32 [batch, D] → Sub(mean) → Div(std) → Gemm(W₁ᵀ, b₁) → Relu → … → Gemm → Softmax
 *   → probabilities FP32 [batch, C]
 *
 * (Sub/Div only when the head was trained on standardised features: the statistics are folded into
 * the graph so clients send raw features.) Gemm with transB = 1 takes the weights in the trainer's
 * [out, in] layout as they are. Opset 13 (Softmax over the last axis, per row) with IR 7, which any
 * onnxruntime of the last years loads. Only the protobuf schema of the runtime adapter is used;
 * the builder is this small module, not the fixture generator in scripts/.
 */
import { KaleidoError } from '../../core/errors.js';
import type { TrainedHead } from '../../core/train/types.js';
import {
  OnnxAttributeType,
  OnnxElemType,
  encodeModelProto,
  type NodeProtoObject,
  type TensorProtoObject,
  type ValueInfo,
} from '../runtime-onnx/onnx-schema.js';

export const HEAD_INPUT_NAME = 'features';
export const HEAD_OUTPUT_NAME = 'probabilities';
export const HEAD_OPSET = 13;
const IR_VERSION = 7;

export interface HeadExportOptions {
  /** Graph name (and the model name recorded in metadata). */
  readonly graphName?: string;
  /** Extra metadata_props (e.g. dataset version, job id); keys must not start with "kaleido.". */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Float32 values as raw little-endian bytes (onnx.proto's raw_data layout). */
function floatTensor(name: string, dims: number[], values: Float32Array): TensorProtoObject {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dims, dataType: OnnxElemType.FLOAT, rawData: raw };
}

function floatValue(name: string, dims: Array<number | string>): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxElemType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function checkHead(head: TrainedHead): void {
  const bad = (message: string): KaleidoError =>
    new KaleidoError('ERR_VALIDATION', `cannot export head: ${message}`, { details: { field: 'head' } });
  if (head.layers.length === 0) throw bad('it has no layers');
  let width = head.inputDim;
  head.layers.forEach((l, i) => {
    if (l.inDim !== width) throw bad(`layer ${i} takes ${l.inDim} inputs, the previous layer gives ${width}`);
    if (l.weight.length !== l.inDim * l.outDim || l.bias.length !== l.outDim) {
      throw bad(`layer ${i} has weights of the wrong size`);
    }
    const last = i + 1 === head.layers.length;
    if (l.activation !== (last ? 'softmax' : 'relu')) {
      throw bad(`layer ${i} has activation ${l.activation}; hidden layers are relu, the last softmax`);
    }
    width = l.outDim;
  });
  if (width !== head.classes.length)
    throw bad(`it outputs ${width} values for ${head.classes.length} classes`);
  const s = head.standardization;
  if (
    s &&
    (s.mean.length !== head.inputDim || s.std.length !== head.inputDim || s.std.some((v) => !(v > 0)))
  ) {
    throw bad('its standardisation must have D means and D positive standard deviations');
  }
}

/** The serialized ONNX model (model.onnx bytes) of a head; deterministic for equal heads. */
export function exportHeadToOnnx(head: TrainedHead, options: HeadExportOptions = {}): Uint8Array {
  checkHead(head);
  const nodes: NodeProtoObject[] = [];
  const initializers: TensorProtoObject[] = [];
  let current = HEAD_INPUT_NAME;
  if (head.standardization) {
    initializers.push(
      floatTensor('feature_mean', [head.inputDim], head.standardization.mean),
      floatTensor('feature_std', [head.inputDim], head.standardization.std),
    );
    nodes.push(
      { name: 'center', opType: 'Sub', input: [current, 'feature_mean'], output: ['centered'] },
      { name: 'scale', opType: 'Div', input: ['centered', 'feature_std'], output: ['standardized'] },
    );
    current = 'standardized';
  }
  head.layers.forEach((layer, i) => {
    const last = i + 1 === head.layers.length;
    initializers.push(
      floatTensor(`dense${i}_weight`, [layer.outDim, layer.inDim], layer.weight),
      floatTensor(`dense${i}_bias`, [layer.outDim], layer.bias),
    );
    const affine = last ? 'logits' : `dense${i}_out`;
    nodes.push({
      name: `dense${i}`,
      opType: 'Gemm',
      input: [current, `dense${i}_weight`, `dense${i}_bias`],
      output: [affine],
      attribute: [{ name: 'transB', type: OnnxAttributeType.INT, i: 1 }],
    });
    if (last) {
      nodes.push({
        name: 'softmax',
        opType: 'Softmax',
        input: [affine],
        output: [HEAD_OUTPUT_NAME],
        attribute: [{ name: 'axis', type: OnnxAttributeType.INT, i: -1 }],
      });
    } else {
      nodes.push({ name: `relu${i}`, opType: 'Relu', input: [affine], output: [`hidden${i}`] });
      current = `hidden${i}`;
    }
  });
  const extra = options.metadata ?? {};
  for (const key of Object.keys(extra)) {
    if (key.startsWith('kaleido.')) {
      throw new KaleidoError('ERR_VALIDATION', `metadata key "${key}" is reserved`, {
        details: { field: 'metadata' },
      });
    }
  }
  const t = head.training;
  const metadata: Record<string, string> = {
    'kaleido.head.kind': head.kind,
    'kaleido.head.classes': JSON.stringify(head.classes),
    'kaleido.head.input_dim': String(head.inputDim),
    'kaleido.head.standardized': String(head.standardization !== null),
    'kaleido.train.config': JSON.stringify(t.config),
    'kaleido.train.epochs': String(t.epochs),
    'kaleido.train.best_epoch': String(t.bestEpoch),
    'kaleido.train.stop_reason': t.stopReason,
    ...extra,
  };
  return encodeModelProto({
    irVersion: IR_VERSION,
    producerName: 'kaleido',
    producerVersion: 'train-head/1',
    docString: `${head.kind} classifier head over ${head.inputDim} features, ${head.classes.length} classes`,
    opsetImport: [{ domain: '', version: HEAD_OPSET }],
    graph: {
      name: options.graphName ?? `${head.kind}_head`,
      node: nodes,
      initializer: initializers,
      input: [floatValue(HEAD_INPUT_NAME, ['batch', head.inputDim])],
      output: [floatValue(HEAD_OUTPUT_NAME, ['batch', head.classes.length])],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
