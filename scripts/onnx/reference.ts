/**
 * Reference implementations of the fixture models with plain loops in float64. They are the known
 * answers that golden files record: independent of onnxruntime (different code, different
 * precision, different summation order), so agreement within tolerance is real evidence.
 */

/** A fully connected layer y = x·W + b with W stored row-major as [inFeatures, outFeatures]. */
export interface DenseLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly relu: boolean;
}

function dense(layer: DenseLayer, x: Float64Array, batch: number): Float64Array {
  const { inFeatures: n, outFeatures: m, weights, bias } = layer;
  const y = new Float64Array(batch * m);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < m; j++) {
      let sum = bias[j] ?? 0;
      for (let i = 0; i < n; i++) sum += (x[b * n + i] ?? 0) * (weights[i * m + j] ?? 0);
      y[b * m + j] = layer.relu && sum < 0 ? 0 : sum;
    }
  }
  return y;
}

/** Row-wise softmax over the last dimension, max-subtracted for stability. */
export function softmaxRows(x: Float64Array, batch: number, width: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) max = Math.max(max, x[b * width + j] ?? 0);
    let total = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp((x[b * width + j] ?? 0) - max);
      y[b * width + j] = e;
      total += e;
    }
    for (let j = 0; j < width; j++) y[b * width + j] = (y[b * width + j] ?? 0) / total;
  }
  return y;
}

/**
 * MLP forward pass: dense layers in order, then (unless `softmax` is false) a row softmax.
 * `input` is [batch, layers[0].inFeatures]; a layer listed twice is applied twice (tied weights).
 */
export function mlpForward(
  layers: readonly DenseLayer[],
  input: ArrayLike<number>,
  batch: number,
  softmax = true,
): Float64Array {
  let x: Float64Array = Float64Array.from(input);
  for (const layer of layers) x = dense(layer, x, batch);
  const last = layers[layers.length - 1];
  return softmax ? softmaxRows(x, batch, last?.outFeatures ?? 0) : x;
}

/** Element-wise a + b and a − b. */
export function addSub(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { sum: Float64Array; difference: Float64Array } {
  const sum = new Float64Array(a.length);
  const difference = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    sum[i] = (a[i] ?? 0) + (b[i] ?? 0);
    difference[i] = (a[i] ?? 0) - (b[i] ?? 0);
  }
  return { sum, difference };
}
