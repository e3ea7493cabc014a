import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../core/tensor.js';
import { concatBatch, shapeKey, splitBatch } from './tensor-ops.js';

const t = (rows: number, cols: number, start: number): Tensor => ({
  name: 'x',
  datatype: 'FP32',
  shape: [rows, cols],
  data: Float32Array.from({ length: rows * cols }, (_, i) => start + i),
});

describe('batch tensor ops', () => {
  it('concatenates along dim 0 and splits back exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (rows, cols) => {
          let start = 0;
          const parts = rows.map((r) => {
            const p = t(r, cols, start);
            start += r * cols;
            return p;
          });
          const merged = concatBatch(parts);
          expect(merged.shape).toEqual([rows.reduce((a, b) => a + b, 0), cols]);
          const back = splitBatch(merged, rows);
          back.forEach((b, i) => {
            expect(b.shape).toEqual(parts[i]?.shape);
            expect(Array.from(b.data as Float32Array)).toEqual(Array.from(parts[i]?.data as Float32Array));
          });
        },
      ),
    );
  });

  it('handles BYTES tensors', () => {
    const e = new TextEncoder();
    const a: Tensor = { name: 's', datatype: 'BYTES', shape: [1, 2], data: [e.encode('a'), e.encode('b')] };
    const b: Tensor = {
      name: 's',
      datatype: 'BYTES',
      shape: [2, 2],
      data: [e.encode('c'), e.encode('d'), e.encode('e'), e.encode('f')],
    };
    const m = concatBatch([a, b]);
    expect(m.shape).toEqual([3, 2]);
    const [x, y] = splitBatch(m, [1, 2]);
    expect((x?.data as Uint8Array[]).map((u) => new TextDecoder().decode(u))).toEqual(['a', 'b']);
    expect(y?.shape).toEqual([2, 2]);
  });

  it('refuses an output whose batch dimension does not match', () => {
    expect(() => splitBatch(t(3, 2, 0), [1, 1])).toThrow(/batch size 2/);
    expect(() => concatBatch([])).toThrow();
  });

  it('groups by non-batch dims', () => {
    expect(shapeKey([t(1, 3, 0), t(2, 4, 0)])).toBe('3|4');
    expect(shapeKey([t(5, 3, 0)])).toBe(shapeKey([t(1, 3, 0)]));
  });
});
