/**
 * A dense feed-forward network over one flat Float64Array of parameters: the shared maths of
 * logistic regression (no hidden layer) and the MLP (1–2 hidden ReLU layers). Softmax output and
 * class-weighted cross-entropy with an L2 penalty on weights.
 *
 * Why one flat array: Adam, checkpoints and gradient checks then work on a single vector, and the
 * order of every floating-point operation is fixed by the loops below, so a seed gives the same
 * bits on every run and every machine (JavaScript numbers are IEEE doubles with no fused or
 * reordered arithmetic).
 *
 * Layer l maps in_l → out_l with W_l ([out_l, in_l], row-major) and b_l ([out_l]); in the flat
 * array W_l comes first, then b_l, layer after layer.
 */
import { KaleidoError } from '../errors.js';
import type { Rng } from '../random.js';

export interface NetworkLayout {
  /** [inputDim, hidden…, classes]. */
  readonly sizes: readonly number[];
  /** Offset of W_l in the parameter array. */
  readonly weightOffsets: readonly number[];
  /** Offset of b_l in the parameter array. */
  readonly biasOffsets: readonly number[];
  readonly parameterCount: number;
}

export function networkLayout(sizes: readonly number[]): NetworkLayout {
  if (sizes.length < 2 || !sizes.every((s) => Number.isSafeInteger(s) && s > 0)) {
    throw new KaleidoError('ERR_VALIDATION', 'a network needs at least an input and an output size', {
      details: { sizes: [...sizes] },
    });
  }
  const weightOffsets: number[] = [];
  const biasOffsets: number[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l] as number;
    const fanOut = sizes[l + 1] as number;
    weightOffsets.push(at);
    at += fanIn * fanOut;
    biasOffsets.push(at);
    at += fanOut;
  }
  return { sizes: [...sizes], weightOffsets, biasOffsets, parameterCount: at };
}

export const layerCount = (layout: NetworkLayout): number => layout.sizes.length - 1;

/**
 * Initial parameters. Logistic regression starts at zero (the loss is convex, and zero is the
 * usual start); hidden layers use He-uniform weights (±√(6/fan_in), suited to ReLU) from `rng`,
 * and the output layer of an MLP Glorot-uniform. Biases start at zero.
 */
export function initialParameters(layout: NetworkLayout, rng: Rng): Float64Array {
  const params = new Float64Array(layout.parameterCount);
  const layers = layerCount(layout);
  if (layers === 1) return params;
  for (let l = 0; l < layers; l++) {
    const fanIn = layout.sizes[l] as number;
    const fanOut = layout.sizes[l + 1] as number;
    const limit = l + 1 < layers ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
    const w = layout.weightOffsets[l] as number;
    for (let i = 0; i < fanIn * fanOut; i++) params[w + i] = rng.uniform(-limit, limit);
  }
  return params;
}

/**
 * Preallocated activations for batches of up to `maxRows` rows, so that an epoch allocates
 * nothing per batch.
 */
export class Workspace {
  /** z[l]: pre-activations of layer l, [rows, out_l]. After forward, z[last] holds probabilities. */
  readonly z: Float64Array[];
  /** delta[l]: ∂loss/∂z_l. */
  readonly delta: Float64Array[];
  constructor(
    readonly layout: NetworkLayout,
    readonly maxRows: number,
  ) {
    this.z = [];
    this.delta = [];
    for (let l = 0; l < layerCount(layout); l++) {
      this.z.push(new Float64Array(maxRows * (layout.sizes[l + 1] as number)));
      this.delta.push(new Float64Array(maxRows * (layout.sizes[l + 1] as number)));
    }
  }
}

/** Feature rows: anything indexable by number (Float32Array for training data, Float64Array too). */
export type Rows = ArrayLike<number>;

/**
 * Forward pass over rows `index[start … end)` of `x` (row-major, `dim` = sizes[0] per row).
 * Afterwards ws.z[l] holds ReLU outputs for hidden layers (the pre-activation sign is kept by the
 * ReLU output itself: a > 0 ⇔ z > 0) and softmax probabilities for the last layer.
 *
 * Zero inputs are skipped in the first layer: adding 0·w leaves a sum unchanged bit for bit, and
 * hashed text features are mostly zeros, so this is exact and much faster.
 */
export function forward(
  layout: NetworkLayout,
  params: Float64Array,
  x: Rows,
  index: ArrayLike<number>,
  start: number,
  end: number,
  ws: Workspace,
): void {
  const n = end - start;
  const layers = layerCount(layout);
  for (let l = 0; l < layers; l++) {
    const fanIn = layout.sizes[l] as number;
    const fanOut = layout.sizes[l + 1] as number;
    const wOff = layout.weightOffsets[l] as number;
    const bOff = layout.biasOffsets[l] as number;
    const out = ws.z[l] as Float64Array;
    const prev = l === 0 ? undefined : (ws.z[l - 1] as Float64Array);
    for (let r = 0; r < n; r++) {
      const o = r * fanOut;
      for (let k = 0; k < fanOut; k++) out[o + k] = params[bOff + k] as number;
      if (prev === undefined) {
        const base = (index[start + r] as number) * fanIn;
        for (let j = 0; j < fanIn; j++) {
          const v = x[base + j] as number;
          if (v === 0) continue;
          for (let k = 0; k < fanOut; k++)
            out[o + k] = (out[o + k] as number) + v * (params[wOff + k * fanIn + j] as number);
        }
      } else {
        const base = r * fanIn;
        for (let j = 0; j < fanIn; j++) {
          const v = prev[base + j] as number;
          if (v === 0) continue;
          for (let k = 0; k < fanOut; k++)
            out[o + k] = (out[o + k] as number) + v * (params[wOff + k * fanIn + j] as number);
        }
      }
      if (l + 1 < layers) {
        for (let k = 0; k < fanOut; k++) if (!((out[o + k] as number) > 0)) out[o + k] = 0;
      } else {
        softmaxInPlace(out, o, fanOut);
      }
    }
  }
}

/** Numerically stable softmax of v[o … o+len) in place. */
export function softmaxInPlace(v: Float64Array, o: number, len: number): void {
  let max = -Infinity;
  for (let k = 0; k < len; k++) if ((v[o + k] as number) > max) max = v[o + k] as number;
  let sum = 0;
  for (let k = 0; k < len; k++) {
    const e = Math.exp((v[o + k] as number) - max);
    v[o + k] = e;
    sum += e;
  }
  for (let k = 0; k < len; k++) v[o + k] = (v[o + k] as number) / sum;
}

/** −log p, with p clamped so that a confident mistake costs a large finite amount, not ∞. */
const MIN_PROBABILITY = 1e-15;
export const crossEntropy = (p: number): number => -Math.log(p > MIN_PROBABILITY ? p : MIN_PROBABILITY);

/** (λ/2)·Σ W² over all weight matrices (biases are not penalised). */
export function l2Penalty(layout: NetworkLayout, params: Float64Array, l2: number): number {
  if (l2 === 0) return 0;
  let s = 0;
  for (let l = 0; l < layerCount(layout); l++) {
    const w = layout.weightOffsets[l] as number;
    const count = (layout.sizes[l] as number) * (layout.sizes[l + 1] as number);
    for (let i = 0; i < count; i++) s += (params[w + i] as number) * (params[w + i] as number);
  }
  return 0.5 * l2 * s;
}

/**
 * Objective and gradient on one mini-batch (rows index[start … end)):
 *   L = (1/n)·Σᵢ w(yᵢ)·(−log p(yᵢ | xᵢ)) + (λ/2)·Σ W²
 * (sklearn's convention: class weights scale each sample's loss, the mean is over samples).
 * `grad` is overwritten. Returns L.
 */
export function lossAndGradient(
  layout: NetworkLayout,
  params: Float64Array,
  x: Rows,
  y: Int32Array,
  classWeights: Float64Array,
  l2: number,
  index: ArrayLike<number>,
  start: number,
  end: number,
  ws: Workspace,
  grad: Float64Array,
): number {
  const n = end - start;
  const layers = layerCount(layout);
  const classes = layout.sizes[layers] as number;
  forward(layout, params, x, index, start, end, ws);
  grad.fill(0);
  const probs = ws.z[layers - 1] as Float64Array;
  const dOut = ws.delta[layers - 1] as Float64Array;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const label = y[index[start + r] as number] as number;
    const w = classWeights[label] as number;
    const o = r * classes;
    loss += w * crossEntropy(probs[o + label] as number);
    for (let k = 0; k < classes; k++) {
      dOut[o + k] = (w * ((probs[o + k] as number) - (k === label ? 1 : 0))) / n;
    }
  }
  loss /= n;
  for (let l = layers - 1; l >= 0; l--) {
    const fanIn = layout.sizes[l] as number;
    const fanOut = layout.sizes[l + 1] as number;
    const wOff = layout.weightOffsets[l] as number;
    const bOff = layout.biasOffsets[l] as number;
    const delta = ws.delta[l] as Float64Array;
    const prev = l === 0 ? undefined : (ws.z[l - 1] as Float64Array);
    for (let r = 0; r < n; r++) {
      const o = r * fanOut;
      for (let k = 0; k < fanOut; k++) grad[bOff + k] = (grad[bOff + k] as number) + (delta[o + k] as number);
      const base = prev === undefined ? (index[start + r] as number) * fanIn : r * fanIn;
      const a = prev ?? x;
      for (let j = 0; j < fanIn; j++) {
        const v = a[base + j] as number;
        if (v === 0) continue;
        for (let k = 0; k < fanOut; k++) {
          const at = wOff + k * fanIn + j;
          grad[at] = (grad[at] as number) + (delta[o + k] as number) * v;
        }
      }
    }
    if (prev !== undefined) {
      // δ_{l−1} = (δ_l · W_l) ⊙ ReLU′(z_{l−1}); ReLU′ is read from the stored output (a > 0).
      const prevDelta = ws.delta[l - 1] as Float64Array;
      for (let r = 0; r < n; r++) {
        const o = r * fanOut;
        const p = r * fanIn;
        for (let j = 0; j < fanIn; j++) {
          if (!((prev[p + j] as number) > 0)) {
            prevDelta[p + j] = 0;
            continue;
          }
          let s = 0;
          for (let k = 0; k < fanOut; k++)
            s += (delta[o + k] as number) * (params[wOff + k * fanIn + j] as number);
          prevDelta[p + j] = s;
        }
      }
    }
  }
  if (l2 !== 0) {
    for (let l = 0; l < layers; l++) {
      const w = layout.weightOffsets[l] as number;
      const count = (layout.sizes[l] as number) * (layout.sizes[l + 1] as number);
      for (let i = 0; i < count; i++) grad[w + i] = (grad[w + i] as number) + l2 * (params[w + i] as number);
    }
    loss += l2Penalty(layout, params, l2);
  }
  return loss;
}

/** Adam (Kingma & Ba, 2015) with bias correction; the state is plain data so it can be checkpointed. */
export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  /** Steps taken. */
  t: number;
}

export const newAdamState = (size: number): AdamState => ({
  m: new Float64Array(size),
  v: new Float64Array(size),
  t: 0,
});

export function adamStep(
  params: Float64Array,
  grad: Float64Array,
  state: AdamState,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
): void {
  state.t += 1;
  const c1 = 1 - Math.pow(beta1, state.t);
  const c2 = 1 - Math.pow(beta2, state.t);
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i] as number;
    const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
    const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = (params[i] as number) - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
}
