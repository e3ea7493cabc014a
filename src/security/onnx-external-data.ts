/**
 * Finds every `external_data` location an ONNX model refers to, wherever a tensor can live:
 * graph initializers, sparse initializers, tensor-valued node attributes (Constant …),
 * subgraphs of control-flow nodes (If/Loop/Scan), training-info graphs and model-local functions.
 *
 * A decode-only protobufjs schema with just those paths (field numbers from onnx/onnx.proto).
 * It sits here rather than in adapters/runtime-onnx/onnx-schema.ts because that subset has no
 * external_data fields; every field not declared (raw weights included) is skipped by length, so
 * decoding a large model costs a scan, not a copy of its tensors.
 */
import protobuf from 'protobufjs';
import { KaleidoError } from '../core/errors.js';

const r = (type: string, id: number) => ({ rule: 'repeated', type, id });
const o = (type: string, id: number) => ({ type, id });

const root = protobuf.Root.fromJSON({
  nested: {
    onnxext: {
      nested: {
        Entry: { fields: { key: o('string', 1), value: o('string', 2) } },
        Tensor: {
          fields: { name: o('string', 8), externalData: r('Entry', 13), dataLocation: o('int32', 14) },
        },
        SparseTensor: { fields: { values: o('Tensor', 1), indices: o('Tensor', 2) } },
        Attribute: {
          fields: {
            t: o('Tensor', 5),
            g: o('Graph', 6),
            tensors: r('Tensor', 10),
            graphs: r('Graph', 11),
            sparseTensor: o('SparseTensor', 22),
            sparseTensors: r('SparseTensor', 23),
          },
        },
        Node: { fields: { attribute: r('Attribute', 5) } },
        Graph: {
          fields: {
            node: r('Node', 1),
            initializer: r('Tensor', 5),
            sparseInitializer: r('SparseTensor', 15),
          },
        },
        TrainingInfo: { fields: { initialization: o('Graph', 1), algorithm: o('Graph', 2) } },
        Function: { fields: { node: r('Node', 7) } },
        Model: {
          fields: { graph: o('Graph', 7), trainingInfo: r('TrainingInfo', 20), functions: r('Function', 25) },
        },
      },
    },
  },
});
const ModelType = root.lookupType('onnxext.Model');

interface TensorMsg {
  name?: string;
  externalData?: { key?: string; value?: string }[];
}
interface SparseMsg {
  values?: TensorMsg;
  indices?: TensorMsg;
}
interface AttributeMsg {
  t?: TensorMsg;
  g?: GraphMsg;
  tensors?: TensorMsg[];
  graphs?: GraphMsg[];
  sparseTensor?: SparseMsg;
  sparseTensors?: SparseMsg[];
}
interface NodeMsg {
  attribute?: AttributeMsg[];
}
interface GraphMsg {
  node?: NodeMsg[];
  initializer?: TensorMsg[];
  sparseInitializer?: SparseMsg[];
}
interface ModelMsg {
  graph?: GraphMsg;
  trainingInfo?: { initialization?: GraphMsg; algorithm?: GraphMsg }[];
  functions?: { node?: NodeMsg[] }[];
}

export interface ExternalDataRef {
  /** Name of the tensor ("" when unnamed, e.g. a Constant's value). */
  readonly tensor: string;
  /** The raw `location` value, as written in the file. */
  readonly location: string;
}

/** Subgraphs nest (If inside Loop …); past this depth the file is hostile, not a model. */
const MAX_DEPTH = 64;

/** Every external-data reference in an ONNX model. A tensor with external_data but no location is an error. */
export function externalDataRefs(modelBytes: Uint8Array): ExternalDataRef[] {
  let model: ModelMsg;
  try {
    model = ModelType.toObject(ModelType.decode(modelBytes), { defaults: false }) as ModelMsg;
  } catch (cause) {
    throw new KaleidoError('ERR_MODEL_LOAD_FAILED', 'the model file is not a valid ONNX protobuf', {
      cause,
      details: { reason: 'decode' },
    });
  }
  const refs: ExternalDataRef[] = [];
  const tensor = (t: TensorMsg | undefined): void => {
    if (t?.externalData === undefined || t.externalData.length === 0) return;
    const loc = t.externalData.find((e) => e.key === 'location');
    if (loc?.value === undefined) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `tensor "${t.name ?? ''}" has external_data without a location`,
        {
          details: { reason: 'external-data', tensor: t.name ?? '' },
        },
      );
    }
    refs.push({ tensor: t.name ?? '', location: loc.value });
  };
  const sparse = (s: SparseMsg | undefined): void => {
    tensor(s?.values);
    tensor(s?.indices);
  };
  const nodes = (list: NodeMsg[] | undefined, depth: number): void => {
    for (const n of list ?? []) {
      for (const a of n.attribute ?? []) {
        tensor(a.t);
        a.tensors?.forEach(tensor);
        sparse(a.sparseTensor);
        a.sparseTensors?.forEach(sparse);
        if (a.g !== undefined) graph(a.g, depth + 1);
        for (const g of a.graphs ?? []) graph(g, depth + 1);
      }
    }
  };
  const graph = (g: GraphMsg | undefined, depth: number): void => {
    if (g === undefined) return;
    if (depth > MAX_DEPTH) {
      throw new KaleidoError('ERR_MODEL_LOAD_FAILED', `subgraphs nest deeper than ${MAX_DEPTH}`, {
        details: { reason: 'depth' },
      });
    }
    g.initializer?.forEach(tensor);
    g.sparseInitializer?.forEach(sparse);
    nodes(g.node, depth);
  };
  graph(model.graph, 0);
  for (const ti of model.trainingInfo ?? []) {
    graph(ti.initialization, 1);
    graph(ti.algorithm, 1);
  }
  for (const f of model.functions ?? []) nodes(f.node, 1);
  return refs;
}
