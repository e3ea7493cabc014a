/**
 * Tiny ONNX models written byte by byte (protobufjs Writer, field numbers from onnx/onnx.proto),
 * for the external-data tests: y = x + w with `w` stored outside the model file at a chosen
 * location. The location is exactly what an attacker controls in a crafted model
 * (CVE-2022-25882: ONNX external_data path traversal).
 */
import protobuf from 'protobufjs';

const FLOAT = 1;
const EXTERNAL = 1;

type W = protobuf.Writer;
const sub = (w: W, field: number, write: (inner: W) => void): void => {
  w.uint32((field << 3) | 2).fork();
  write(w);
  w.ldelim();
};
const str = (w: W, field: number, value: string): void => {
  w.uint32((field << 3) | 2).string(value);
};
const varint = (w: W, field: number, value: number): void => {
  w.uint32(field << 3).int64(value);
};

/** ValueInfoProto: a float tensor of shape [1]. */
const valueInfo = (w: W, field: number, name: string): void =>
  sub(w, field, (v) => {
    str(v, 1, name);
    sub(v, 2, (type) =>
      sub(type, 1, (tensor) => {
        varint(tensor, 1, FLOAT);
        sub(tensor, 2, (shape) => sub(shape, 1, (dim) => varint(dim, 1, 1)));
      }),
    );
  });

/** An ONNX model computing y = x + w (float[1]), with `w` in external data at `location`. */
export function externalDataModel(location: string): Uint8Array {
  const w = protobuf.Writer.create();
  varint(w, 1, 8); // ir_version
  str(w, 2, 'kaleido-security-tests'); // producer_name
  sub(w, 7, (graph) => {
    sub(graph, 1, (node) => {
      str(node, 1, 'x');
      str(node, 1, 'w');
      str(node, 2, 'y');
      str(node, 3, 'add');
      str(node, 4, 'Add');
    });
    str(graph, 2, 'g');
    sub(graph, 5, (tensor) => {
      varint(tensor, 1, 1); // dims [1]
      varint(tensor, 2, FLOAT);
      str(tensor, 8, 'w');
      sub(tensor, 13, (e) => {
        str(e, 1, 'location');
        str(e, 2, location);
      });
      sub(tensor, 13, (e) => {
        str(e, 1, 'length');
        str(e, 2, '4');
      });
      varint(tensor, 14, EXTERNAL);
    });
    valueInfo(graph, 11, 'x');
    valueInfo(graph, 12, 'y');
  });
  sub(w, 8, (opset) => varint(opset, 2, 13));
  return w.finish();
}

/** The 4 bytes of float32 1.0 (little-endian): the legitimate external weights. */
export const ONE_F32 = Buffer.from(new Float32Array([1]).buffer);
