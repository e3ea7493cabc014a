/**
 * The subset of onnx.proto (package `onnx`, proto2) that Kaleido reads and writes, as a protobufjs
 * reflection schema. Field numbers follow the official onnx/onnx.proto; field names are camelCase
 * because protobufjs uses the JSON names as JavaScript property names.
 *
 * Why our own schema instead of the generated onnx package: we only need model headers, graph
 * signatures and enough of the graph to *write* small test models, and protobufjs is already a
 * dependency. Unknown fields (training info, sparse initializers, functions …) are skipped by the
 * decoder, so reading real-world models with this subset is safe.
 */
import protobuf from 'protobufjs';
import { KaleidoError } from '../../core/errors.js';
import type { Datatype } from '../../core/tensor.js';

/** TensorProto.DataType, by name (numbers from onnx.proto). */
export const OnnxElemType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;
export type OnnxElemTypeName = keyof typeof OnnxElemType;

/** AttributeProto.AttributeType, by name. */
export const OnnxAttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

/** OIP datatype ↔ ONNX element type. Every OIP datatype (BF16 included) has an ONNX counterpart. */
export const onnxElemTypeOfDatatype: Record<Datatype, OnnxElemTypeName> = {
  BOOL: 'BOOL',
  UINT8: 'UINT8',
  UINT16: 'UINT16',
  UINT32: 'UINT32',
  UINT64: 'UINT64',
  INT8: 'INT8',
  INT16: 'INT16',
  INT32: 'INT32',
  INT64: 'INT64',
  FP16: 'FLOAT16',
  FP32: 'FLOAT',
  FP64: 'DOUBLE',
  BYTES: 'STRING',
  BF16: 'BFLOAT16',
};

const datatypeOfElemTypeNumber = new Map<number, Datatype>(
  Object.entries(onnxElemTypeOfDatatype).map(([dt, onnx]) => [OnnxElemType[onnx], dt as Datatype]),
);

/** The OIP datatype of an ONNX element type number, or undefined (complex types have none). */
export const datatypeOfOnnxElemType = (elemType: number): Datatype | undefined =>
  datatypeOfElemTypeNumber.get(elemType);

const repeated = (type: string, id: number, packed?: boolean) => ({
  rule: 'repeated',
  type,
  id,
  // proto2 repeated scalars are unpacked unless onnx.proto says `[packed = true]`.
  ...(packed === undefined ? {} : { options: { packed } }),
});
const optional = (type: string, id: number) => ({ type, id });

/**
 * onnx.proto subset. `GraphSignatureProto`/`ModelSignatureProto` are decode-only views of
 * GraphProto/ModelProto without the nodes (same field numbers, fewer fields): decoding through them
 * skips node lists cheaply when only the signature and header are wanted.
 */
const schemaJson = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: optional('string', 1), value: optional('string', 2) },
        },
        OperatorSetIdProto: {
          fields: { domain: optional('string', 1), version: optional('int64', 2) },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: optional('int64', 1),
                dimParam: optional('string', 2),
                denotation: optional('string', 3),
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: optional('Tensor', 1), denotation: optional('string', 6) },
          nested: {
            Tensor: {
              fields: { elemType: optional('int32', 1), shape: optional('TensorShapeProto', 2) },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: optional('string', 1),
            type: optional('TypeProto', 2),
            docString: optional('string', 3),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1, false),
            dataType: optional('int32', 2),
            floatData: repeated('float', 4, true),
            int32Data: repeated('int32', 5, true),
            stringData: repeated('bytes', 6),
            int64Data: repeated('int64', 7, true),
            name: optional('string', 8),
            rawData: optional('bytes', 9),
            doubleData: repeated('double', 10, true),
            uint64Data: repeated('uint64', 11, true),
            docString: optional('string', 12),
          },
        },
        AttributeProto: {
          fields: {
            name: optional('string', 1),
            f: optional('float', 2),
            i: optional('int64', 3),
            s: optional('bytes', 4),
            t: optional('TensorProto', 5),
            g: optional('GraphProto', 6),
            floats: repeated('float', 7, false),
            ints: repeated('int64', 8, false),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
            docString: optional('string', 13),
            type: optional('int32', 20),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: optional('string', 3),
            opType: optional('string', 4),
            attribute: repeated('AttributeProto', 5),
            docString: optional('string', 6),
            domain: optional('string', 7),
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: optional('string', 2),
            initializer: repeated('TensorProto', 5),
            docString: optional('string', 10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        ModelProto: {
          fields: {
            irVersion: optional('int64', 1),
            producerName: optional('string', 2),
            producerVersion: optional('string', 3),
            domain: optional('string', 4),
            modelVersion: optional('int64', 5),
            docString: optional('string', 6),
            graph: optional('GraphProto', 7),
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        // Decode-only views (see the doc comment above).
        InitializerNameProto: { fields: { name: optional('string', 8) } },
        GraphSignatureProto: {
          fields: {
            name: optional('string', 2),
            initializer: repeated('InitializerNameProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        ModelSignatureProto: {
          fields: {
            irVersion: optional('int64', 1),
            producerName: optional('string', 2),
            producerVersion: optional('string', 3),
            domain: optional('string', 4),
            modelVersion: optional('int64', 5),
            docString: optional('string', 6),
            graph: optional('GraphSignatureProto', 7),
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schemaJson);

export const ModelProtoType = root.lookupType('onnx.ModelProto');
export const ModelSignatureProtoType = root.lookupType('onnx.ModelSignatureProto');

// ---- Plain-object shapes (what encode accepts and toObject({longs: Number}) returns) ----

export interface StringStringEntry {
  key: string;
  value: string;
}
export interface OperatorSetId {
  domain?: string;
  version: number;
}
export interface DimensionProto {
  dimValue?: number;
  dimParam?: string;
}
export interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } } };
  docString?: string;
}
export interface TensorProtoObject {
  name?: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  stringData?: Uint8Array[];
  docString?: string;
}
export interface AttributeProtoObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface NodeProtoObject {
  name?: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute?: AttributeProtoObject[];
  docString?: string;
}
export interface GraphProtoObject {
  name: string;
  node: NodeProtoObject[];
  initializer: TensorProtoObject[];
  input: ValueInfo[];
  output: ValueInfo[];
  docString?: string;
}
export interface ModelProtoObject {
  irVersion: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphProtoObject;
  opsetImport: OperatorSetId[];
  metadataProps?: StringStringEntry[];
}

/** What `ModelSignatureProtoType` decodes to (via toObject with longs as numbers). */
export interface ModelSignatureObject {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: {
    name?: string;
    initializer?: { name?: string }[];
    input?: ValueInfo[];
    output?: ValueInfo[];
  };
  opsetImport?: { domain?: string; version?: number }[];
  metadataProps?: { key?: string; value?: string }[];
}

/** Serializes a ModelProto; throws protobufjs' error when the object does not fit the schema. */
export function encodeModelProto(model: ModelProtoObject): Uint8Array {
  const problem = ModelProtoType.verify(model);
  if (problem) {
    throw new KaleidoError('ERR_VALIDATION', `invalid ONNX ModelProto: ${problem}`, {
      details: { reason: problem },
    });
  }
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/** Decodes header + graph signature of ONNX model bytes (nodes are skipped, not materialized). */
export function decodeModelSignature(bytes: Uint8Array): ModelSignatureObject {
  const message = ModelSignatureProtoType.decode(bytes);
  return ModelSignatureProtoType.toObject(message, {
    longs: Number,
    defaults: false,
  }) as ModelSignatureObject;
}

/** Decodes full ONNX model bytes (used by tests to inspect what the writer produced). */
export function decodeModelProto(bytes: Uint8Array): ModelProtoObject {
  const message = ModelProtoType.decode(bytes);
  return ModelProtoType.toObject(message, { longs: Number, defaults: false }) as ModelProtoObject;
}
