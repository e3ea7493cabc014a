/**
 * Batch-dimension operations for the dynamic batcher: concatenate request tensors along dim 0
 * and split model outputs back into per-request views (subarray views, no copies).
 */
import { KaleidoError } from '../core/errors.js';
import { allocate, elementCount, type NumericArray, type Tensor, type TensorData } from '../core/tensor.js';

/** Concatenates same-named tensors along dimension 0 (shapes must agree past dim 0). */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  if (!first) throw new KaleidoError('ERR_INTERNAL', 'concatBatch of nothing');
  if (parts.length === 1) return first;
  const rows = parts.reduce((n, t) => n + (t.shape[0] ?? 0), 0);
  const shape = [rows, ...first.shape.slice(1)];
  const total = elementCount(shape);
  if (first.datatype === 'BYTES') {
    const out: Uint8Array[] = [];
    for (const p of parts) for (const e of p.data as Uint8Array[]) out.push(e);
    return { name: first.name, datatype: first.datatype, shape, data: out };
  }
  const out = allocate(first.datatype, total) as NumericArray;
  let offset = 0;
  for (const p of parts) {
    const d = p.data as NumericArray;
    // All parts share one typed-array type (the datatype decides it), so set() is a memcpy.
    (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(d as ArrayLike<unknown>, offset);
    offset += d.length;
  }
  return { name: first.name, datatype: first.datatype, shape, data: out };
}

/** Splits a batched output into consecutive row ranges (views into the same buffer). */
export function splitBatch(t: Tensor, rows: readonly number[]): Tensor[] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (t.shape.length === 0 || t.shape[0] !== total) {
    throw new KaleidoError(
      'ERR_INTERNAL',
      `output "${t.name}" has first dimension ${t.shape[0] ?? 'none'}, expected the batch size ${total}`,
    );
  }
  const perRow = elementCount(t.shape.slice(1));
  const out: Tensor[] = [];
  let row = 0;
  for (const r of rows) {
    const start = row * perRow;
    const end = (row + r) * perRow;
    const data: TensorData =
      t.datatype === 'BYTES'
        ? (t.data as Uint8Array[]).slice(start, end)
        : (t.data as NumericArray).subarray(start, end);
    out.push({ name: t.name, datatype: t.datatype, shape: [r, ...t.shape.slice(1)], data });
    row += r;
  }
  return out;
}

/** Key that groups tensors that can share one batch: same dims past dimension 0. */
export function shapeKey(tensors: readonly Tensor[]): string {
  return tensors.map((t) => t.shape.slice(1).join('x')).join('|');
}
