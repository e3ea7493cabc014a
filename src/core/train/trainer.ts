/**
 * The trainer: mini-batch Adam over a network from network.ts, with class weights, standardisation,
 * early stopping on a validation split, per-epoch metrics and exact checkpoints.
 *
 * Determinism: every random choice (initial weights, the validation split, the shuffle of each
 * epoch) comes from generators seeded by `config.seed`, and the arithmetic order is fixed, so the
 * same data and config give bit-identical weights. A checkpoint holds the whole mutable state
 * (parameters, Adam moments, the shuffle generator's state, the best weights so far and the
 * patience counter), so a run resumed from any epoch ends with the same bits as one that never
 * stopped.
 */
import { KaleidoError } from '../errors.js';
import { trainTestSplitStratified } from '../eval/splits.js';
import { deriveSeed, Rng, type RngState } from '../random.js';
import {
  adamStep,
  crossEntropy,
  forward,
  initialParameters,
  layerCount,
  lossAndGradient,
  networkLayout,
  newAdamState,
  Workspace,
  type AdamState,
  type NetworkLayout,
} from './network.js';
import {
  Activation,
  resolveTrainConfig,
  StopReason,
  type DenseLayer,
  type EpochMetrics,
  type LabelledFeatures,
  type TrainConfig,
  type TrainedHead,
  type TrainingData,
} from './types.js';

/** The mutable state of a run: exactly what a checkpoint stores. */
export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  params: Float64Array;
  adam: AdamState;
  /** The shuffle generator, positioned after the last completed epoch. */
  rngState: RngState;
  bestParams: Float64Array;
  bestValLoss: number;
  bestEpoch: number;
  epochsWithoutImprovement: number;
  history: EpochMetrics[];
  stopReason: StopReason | null;
}

/** What ties a checkpoint to its run: resuming with other data or another config is refused. */
export interface RunIdentity {
  readonly config: TrainConfig;
  readonly classes: readonly string[];
  readonly dim: number;
  readonly trainRows: number;
  readonly validationRows: number;
}

const invalid = (message: string, details: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details });

function checkFeatures(name: string, f: LabelledFeatures, dim: number, classes: number): void {
  if (!(f.x instanceof Float32Array) || !(f.y instanceof Int32Array)) {
    throw invalid(`${name}: x must be a Float32Array and y an Int32Array`, { field: name });
  }
  if (f.x.length !== f.y.length * dim) {
    throw invalid(`${name}: x has ${f.x.length} values, expected rows (${f.y.length}) × dim (${dim})`, {
      field: name,
    });
  }
  for (let i = 0; i < f.y.length; i++) {
    const c = f.y[i] as number;
    if (c < 0 || c >= classes) {
      throw invalid(`${name}: row ${i} has class index ${c}, outside [0, ${classes})`, {
        field: name,
        row: i,
      });
    }
  }
  for (let i = 0; i < f.x.length; i++) {
    if (!Number.isFinite(f.x[i])) {
      throw invalid(`${name}: row ${Math.floor(i / dim)} column ${i % dim} is not a finite number`, {
        field: name,
        row: Math.floor(i / dim),
        column: i % dim,
      });
    }
  }
}

function checkData(data: TrainingData): void {
  if (!Array.isArray(data.classes) || data.classes.length < 2) {
    throw invalid('training needs at least two classes', { classes: data.classes?.length });
  }
  if (new Set(data.classes).size !== data.classes.length) throw invalid('class names must be distinct');
  if (!Number.isSafeInteger(data.dim) || data.dim < 1) throw invalid('dim must be a positive integer');
  checkFeatures('train', data.train, data.dim, data.classes.length);
  if (data.train.y.length === 0) throw invalid('train has no rows');
  if (data.validation !== undefined)
    checkFeatures('validation', data.validation, data.dim, data.classes.length);
}

function subset(f: LabelledFeatures, rows: readonly number[], dim: number): LabelledFeatures {
  const x = new Float32Array(rows.length * dim);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(f.x.subarray(r * dim, (r + 1) * dim), i * dim);
    y[i] = f.y[r] as number;
  });
  return { x, y };
}

/** Per-class weights from the config and the training labels (balanced: n / (C · n_k)). */
export function classWeights(config: TrainConfig, classes: readonly string[], y: Int32Array): Float64Array {
  const weights = new Float64Array(classes.length).fill(1);
  const cw = config.classWeight;
  if (cw === 'none') return weights;
  if (cw === 'balanced') {
    const counts = new Float64Array(classes.length);
    for (const c of y) counts[c] = (counts[c] as number) + 1;
    for (let k = 0; k < classes.length; k++) {
      // A class absent from training gets weight 1: it contributes no loss terms either way.
      const count = counts[k] as number;
      weights[k] = count > 0 ? y.length / (classes.length * count) : 1;
    }
    return weights;
  }
  for (const name of Object.keys(cw)) {
    if (!classes.includes(name)) throw invalid(`classWeight names unknown class "${name}"`, { class: name });
  }
  classes.forEach((name, k) => {
    weights[k] = cw[name] ?? 1;
  });
  return weights;
}

/** Column means and (population) standard deviations, rounded to Float32 as they will be exported. */
export function standardizationOf(x: Float32Array, dim: number): { mean: Float32Array; std: Float32Array } {
  const rows = x.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (x[r * dim + j] as number);
  }
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / rows;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const d = (x[r * dim + j] as number) - (mean[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const std = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const s = Math.sqrt((sq[j] as number) / rows);
    // A constant column would divide by zero; sklearn's StandardScaler uses 1 there too.
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean: Float32Array.from(mean), std };
}

function standardized(
  x: Float32Array,
  dim: number,
  s: { mean: Float32Array; std: Float32Array },
): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % dim;
    out[i] = ((x[i] as number) - (s.mean[j] as number)) / (s.std[j] as number);
  }
  return out;
}

const identityIndex = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

interface Evaluation {
  loss: number;
  accuracy: number;
  macroF1: number;
}

export class Trainer {
  readonly config: TrainConfig;
  readonly classes: readonly string[];
  readonly dim: number;
  readonly layout: NetworkLayout;
  readonly standardization: { mean: Float32Array; std: Float32Array } | null;
  readonly identity: RunIdentity;
  private readonly train: LabelledFeatures;
  private readonly validation: LabelledFeatures | undefined;
  private readonly weights: Float64Array;
  private readonly ws: Workspace;
  private readonly grad: Float64Array;
  private readonly order: Int32Array;
  private state: TrainerState;

  /**
   * Prepares a run (validation split, standardisation, class weights, initial weights). Pass a
   * checkpointed state to continue a run; it must come from the same data and config.
   */
  constructor(
    data: TrainingData,
    config: Partial<TrainConfig> = {},
    resume?: { identity: RunIdentity; state: TrainerState },
  ) {
    this.config = resolveTrainConfig(config);
    checkData(data);
    this.classes = [...data.classes];
    this.dim = data.dim;
    let train = data.train;
    let validation = data.validation;
    if (validation === undefined && this.config.earlyStopping !== null) {
      if (train.y.length < 4) throw invalid('early stopping needs at least 4 training rows to hold some out');
      const labels = Array.from(train.y);
      const split = trainTestSplitStratified(
        labels,
        this.config.validationFraction,
        deriveSeed(this.config.seed, 'validation'),
      );
      validation = subset(train, split.test, this.dim);
      train = subset(train, split.train, this.dim);
    }
    if (validation !== undefined && validation.y.length === 0) validation = undefined;
    if (this.config.earlyStopping !== null && validation === undefined) {
      throw invalid('early stopping needs validation rows');
    }
    this.standardization = this.config.standardize ? standardizationOf(train.x, this.dim) : null;
    this.train = this.standardization
      ? { x: standardized(train.x, this.dim, this.standardization), y: train.y }
      : train;
    this.validation =
      validation && this.standardization
        ? { x: standardized(validation.x, this.dim, this.standardization), y: validation.y }
        : validation;
    this.weights = classWeights(this.config, this.classes, this.train.y);
    this.layout = networkLayout([this.dim, ...this.config.hiddenUnits, this.classes.length]);
    const batch = Math.min(this.config.batchSize, this.train.y.length);
    this.ws = new Workspace(this.layout, Math.max(batch, 256));
    this.grad = new Float64Array(this.layout.parameterCount);
    this.order = identityIndex(this.train.y.length);
    this.identity = {
      config: this.config,
      classes: this.classes,
      dim: this.dim,
      trainRows: this.train.y.length,
      validationRows: this.validation?.y.length ?? 0,
    };
    if (resume === undefined) {
      const params = initialParameters(this.layout, new Rng(deriveSeed(this.config.seed, 'init')));
      this.state = {
        epoch: 0,
        params,
        adam: newAdamState(params.length),
        rngState: new Rng(deriveSeed(this.config.seed, 'shuffle')).state(),
        bestParams: params.slice(),
        bestValLoss: Infinity,
        bestEpoch: 0,
        epochsWithoutImprovement: 0,
        history: [],
        stopReason: null,
      };
    } else {
      const mismatch = identityMismatch(this.identity, resume.identity);
      if (mismatch !== undefined) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `the checkpoint belongs to another run: ${mismatch} differs`,
          {
            details: { field: mismatch },
          },
        );
      }
      if (resume.state.params.length !== this.layout.parameterCount) {
        throw invalid('the checkpoint has the wrong number of parameters', {
          expected: this.layout.parameterCount,
          actual: resume.state.params.length,
        });
      }
      this.state = resume.state;
    }
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get done(): boolean {
    return this.state.stopReason !== null;
  }

  get history(): readonly EpochMetrics[] {
    return this.state.history;
  }

  /** A deep copy of the state (safe to serialise while training continues). */
  snapshot(): TrainerState {
    const s = this.state;
    return {
      ...s,
      params: s.params.slice(),
      adam: { m: s.adam.m.slice(), v: s.adam.v.slice(), t: s.adam.t },
      // RngState is an immutable tuple, replaced (never mutated) after each epoch.
      rngState: s.rngState,
      bestParams: s.bestParams.slice(),
      history: [...s.history],
    };
  }

  /** Runs one epoch (shuffle, mini-batches, evaluation, early-stopping bookkeeping). */
  runEpoch(): EpochMetrics {
    if (this.done) throw new KaleidoError('ERR_VALIDATION', 'the run is already finished');
    const s = this.state;
    const { batchSize, learningRate, l2, adam } = this.config;
    const rng = Rng.fromState(s.rngState);
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    // Fisher–Yates on the row order; the generator's state is saved with the epoch.
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(start + batchSize, order.length);
      lossSum += lossAndGradient(
        this.layout,
        s.params,
        this.train.x,
        this.train.y,
        this.weights,
        l2,
        order,
        start,
        end,
        this.ws,
        this.grad,
      );
      adamStep(s.params, this.grad, s.adam, learningRate, adam.beta1, adam.beta2, adam.epsilon);
      batches++;
    }
    s.rngState = rng.state();
    s.epoch += 1;
    const val = this.validation ? this.evaluate(this.validation, s.params) : undefined;
    const metrics: EpochMetrics = {
      epoch: s.epoch,
      trainLoss: lossSum / batches,
      valLoss: val?.loss ?? null,
      valAccuracy: val?.accuracy ?? null,
      valMacroF1: val?.macroF1 ?? null,
    };
    s.history.push(metrics);
    const es = this.config.earlyStopping;
    if (es !== null && val !== undefined) {
      if (val.loss < s.bestValLoss - es.minDelta) {
        s.bestValLoss = val.loss;
        s.bestEpoch = s.epoch;
        s.bestParams.set(s.params);
        s.epochsWithoutImprovement = 0;
      } else {
        s.epochsWithoutImprovement += 1;
        if (s.epochsWithoutImprovement >= es.patience) s.stopReason = StopReason.EARLY_STOPPING;
      }
    } else {
      s.bestEpoch = s.epoch;
      s.bestParams.set(s.params);
      if (val !== undefined) s.bestValLoss = val.loss;
    }
    if (s.stopReason === null && s.epoch >= this.config.epochs) s.stopReason = StopReason.MAX_EPOCHS;
    return metrics;
  }

  /** Runs epochs until done; `onEpoch` sees each epoch's metrics (e.g. to checkpoint or report). */
  runToEnd(onEpoch?: (metrics: EpochMetrics, trainer: Trainer) => void): TrainedHead {
    while (!this.done) {
      const m = this.runEpoch();
      onEpoch?.(m, this);
    }
    return this.result();
  }

  /** The trained head with the kept (best) weights, as Float32. */
  result(): TrainedHead {
    if (!this.done) throw new KaleidoError('ERR_VALIDATION', 'the run is not finished');
    const s = this.state;
    return {
      kind: this.config.kind,
      classes: [...this.classes],
      inputDim: this.dim,
      standardization: this.standardization,
      layers: headLayers(this.layout, s.bestParams),
      training: {
        config: this.config,
        epochs: s.epoch,
        bestEpoch: s.bestEpoch,
        stopReason: s.stopReason as StopReason,
        history: [...s.history],
      },
    };
  }

  /** Weighted loss, accuracy and macro-F1 of `params` on `data` (features already standardised). */
  private evaluate(data: LabelledFeatures, params: Float64Array): Evaluation {
    const n = data.y.length;
    const classes = this.classes.length;
    const tp = new Float64Array(classes);
    const predicted = new Float64Array(classes);
    const actual = new Float64Array(classes);
    const index = identityIndex(n);
    const probs = this.ws.z[layerCount(this.layout) - 1] as Float64Array;
    let loss = 0;
    let hits = 0;
    for (let start = 0; start < n; start += this.ws.maxRows) {
      const end = Math.min(start + this.ws.maxRows, n);
      forward(this.layout, params, data.x, index, start, end, this.ws);
      for (let r = 0; r < end - start; r++) {
        const label = data.y[start + r] as number;
        const o = r * classes;
        loss += (this.weights[label] as number) * crossEntropy(probs[o + label] as number);
        const guess = argmax(probs, o, classes);
        predicted[guess] = (predicted[guess] as number) + 1;
        actual[label] = (actual[label] as number) + 1;
        if (guess === label) {
          hits++;
          tp[label] = (tp[label] as number) + 1;
        }
      }
    }
    let f1Sum = 0;
    let present = 0;
    for (let k = 0; k < classes; k++) {
      // Classes with neither true nor predicted rows are left out of the macro average.
      if ((actual[k] as number) + (predicted[k] as number) === 0) continue;
      present++;
      f1Sum += (2 * (tp[k] as number)) / ((actual[k] as number) + (predicted[k] as number));
    }
    return { loss: loss / n, accuracy: hits / n, macroF1: present === 0 ? 0 : f1Sum / present };
  }
}

export function argmax(v: ArrayLike<number>, o: number, len: number): number {
  let best = 0;
  for (let k = 1; k < len; k++) if ((v[o + k] as number) > (v[o + best] as number)) best = k;
  return best;
}

function identityMismatch(a: RunIdentity, b: RunIdentity): string | undefined {
  if (JSON.stringify(a.config) !== JSON.stringify(b.config)) return 'config';
  if (JSON.stringify(a.classes) !== JSON.stringify(b.classes)) return 'classes';
  if (a.dim !== b.dim) return 'dim';
  if (a.trainRows !== b.trainRows) return 'trainRows';
  if (a.validationRows !== b.validationRows) return 'validationRows';
  return undefined;
}

function headLayers(layout: NetworkLayout, params: Float64Array): DenseLayer[] {
  const layers: DenseLayer[] = [];
  const count = layerCount(layout);
  for (let l = 0; l < count; l++) {
    const inDim = layout.sizes[l] as number;
    const outDim = layout.sizes[l + 1] as number;
    const w = layout.weightOffsets[l] as number;
    const b = layout.biasOffsets[l] as number;
    layers.push({
      inDim,
      outDim,
      weight: Float32Array.from(params.subarray(w, w + inDim * outDim)),
      bias: Float32Array.from(params.subarray(b, b + outDim)),
      activation: l + 1 < count ? Activation.RELU : Activation.SOFTMAX,
    });
  }
  return layers;
}

/** Trains a head from scratch (the whole run in one call; see Trainer for epoch-by-epoch control). */
export function trainHead(
  data: TrainingData,
  config: Partial<TrainConfig> = {},
  onEpoch?: (metrics: EpochMetrics) => void,
): TrainedHead {
  return new Trainer(data, config).runToEnd(onEpoch);
}

/**
 * Class probabilities of a trained head for `rows` feature rows (row-major), computed as the
 * exported ONNX graph computes them: standardise, affine + ReLU layers, softmax. Float64 inside,
 * Float32 out. This is the reference the ONNX export is checked against.
 */
export function predictProba(head: TrainedHead, x: Float32Array): Float32Array {
  const dim = head.inputDim;
  if (x.length % dim !== 0) {
    throw invalid(`x has ${x.length} values, not a multiple of the input dimension ${dim}`);
  }
  const rows = x.length / dim;
  const layout = networkLayout([dim, ...head.layers.map((l) => l.outDim)]);
  const params = new Float64Array(layout.parameterCount);
  head.layers.forEach((layer, l) => {
    params.set(layer.weight, layout.weightOffsets[l] as number);
    params.set(layer.bias, layout.biasOffsets[l] as number);
  });
  const input = head.standardization ? standardizedF64(x, dim, head.standardization) : x;
  const chunk = 256;
  const ws = new Workspace(layout, chunk);
  const classes = head.classes.length;
  const out = new Float32Array(rows * classes);
  const index = identityIndex(rows);
  const probs = ws.z[layerCount(layout) - 1] as Float64Array;
  for (let start = 0; start < rows; start += chunk) {
    const end = Math.min(start + chunk, rows);
    forward(layout, params, input, index, start, end, ws);
    out.set(probs.subarray(0, (end - start) * classes), start * classes);
  }
  return out;
}

/** The class index with the highest probability, per row. */
export function predictClass(head: TrainedHead, x: Float32Array): Int32Array {
  const p = predictProba(head, x);
  const classes = head.classes.length;
  const out = new Int32Array(p.length / classes);
  for (let r = 0; r < out.length; r++) out[r] = argmax(p, r * classes, classes);
  return out;
}

function standardizedF64(
  x: Float32Array,
  dim: number,
  s: { mean: Float32Array; std: Float32Array },
): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % dim;
    out[i] = ((x[i] as number) - (s.mean[j] as number)) / (s.std[j] as number);
  }
  return out;
}
