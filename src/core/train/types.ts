/**
 * The vocabulary of the trainer: classifier heads trained on feature vectors (frozen encoder
 * embeddings, hashed text features or plain tabular columns — the trainer only sees Float32 rows),
 * their configuration, and the trained head that the ONNX exporter turns into a served model.
 */
import { KaleidoError } from '../errors.js';

export const HeadKind = {
  /** Multinomial (softmax) logistic regression: one affine layer. */
  LOGISTIC: 'logistic',
  /** A small multi-layer perceptron: 1–2 hidden ReLU layers, then an affine layer and softmax. */
  MLP: 'mlp',
} as const;
export type HeadKind = (typeof HeadKind)[keyof typeof HeadKind];

/** Feature rows with their class indices (0 … classes−1), row-major: x[i·dim + j]. */
export interface LabelledFeatures {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export interface TrainingData {
  /** Class names; index k of this list is class index k in `y`. */
  readonly classes: readonly string[];
  /** Feature dimension D (each row has D values). */
  readonly dim: number;
  readonly train: LabelledFeatures;
  /**
   * Held-out rows for early stopping and per-epoch metrics. When absent and early stopping is on,
   * a stratified `validationFraction` of `train` is held out (seeded).
   */
  readonly validation?: LabelledFeatures;
}

/** 'balanced' is sklearn's n / (classes · count_k); a record gives a weight per class name. */
export type ClassWeightSpec = 'none' | 'balanced' | Readonly<Record<string, number>>;

export interface EarlyStopping {
  /** Epochs without an improvement of the validation loss by more than minDelta before stopping. */
  readonly patience: number;
  readonly minDelta: number;
}

export interface TrainConfig {
  readonly kind: HeadKind;
  /** Hidden layer widths: [] for logistic, one or two positive integers for mlp. */
  readonly hiddenUnits: readonly number[];
  /** The maximum number of epochs (early stopping may end sooner). */
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** L2 penalty (λ/2)·‖W‖² on weights (not biases). */
  readonly l2: number;
  readonly classWeight: ClassWeightSpec;
  /**
   * Standardise each feature with the training mean and standard deviation. The statistics are
   * folded into the exported model (Sub, Div), so clients send raw features. Leave it off for
   * sparse features (hashed text): standardising makes them dense and slow without helping.
   */
  readonly standardize: boolean;
  /** null: train all epochs and keep the last weights. */
  readonly earlyStopping: EarlyStopping | null;
  /** Share of `train` held out for validation when the data has no validation rows. */
  readonly validationFraction: number;
  readonly seed: number;
  readonly adam: { readonly beta1: number; readonly beta2: number; readonly epsilon: number };
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  kind: HeadKind.LOGISTIC,
  hiddenUnits: [],
  epochs: 50,
  batchSize: 32,
  learningRate: 0.01,
  l2: 1e-4,
  classWeight: 'none',
  standardize: true,
  earlyStopping: { patience: 5, minDelta: 1e-4 },
  validationFraction: 0.1,
  seed: 0,
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/** Metrics after one epoch. Validation fields are null when there is no validation data. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean of the mini-batch objectives (weighted cross-entropy + L2) over the epoch. */
  readonly trainLoss: number;
  /** Class-weighted cross-entropy on the validation rows (the early-stopping monitor). */
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
  /** Unweighted mean of per-class F1 (robust to imbalance). */
  readonly valMacroF1: number | null;
}

export const StopReason = {
  MAX_EPOCHS: 'max-epochs',
  EARLY_STOPPING: 'early-stopping',
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export const Activation = { RELU: 'relu', SOFTMAX: 'softmax' } as const;
export type Activation = (typeof Activation)[keyof typeof Activation];

/** One affine layer y = x·Wᵀ + b followed by `activation`; weight is [outDim, inDim] row-major. */
export interface DenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly activation: Activation;
}

/** A trained head: everything needed to run it (TS forward pass) or export it (ONNX). */
export interface TrainedHead {
  readonly kind: HeadKind;
  readonly classes: readonly string[];
  readonly inputDim: number;
  /** Standardisation (x − mean) / std, or null when features are used as they are. */
  readonly standardization: { readonly mean: Float32Array; readonly std: Float32Array } | null;
  readonly layers: readonly DenseLayer[];
  readonly training: {
    readonly config: TrainConfig;
    /** Epochs run (including the patience epochs after the best one). */
    readonly epochs: number;
    /** The epoch whose weights were kept (the best validation loss, or the last). */
    readonly bestEpoch: number;
    readonly stopReason: StopReason;
    readonly history: readonly EpochMetrics[];
  };
}

export function invalidConfig(field: string, message: string, value?: unknown): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', `training config: ${field} ${message}`, {
    details: { field, ...(value === undefined ? {} : { value }) },
  });
}

const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isFiniteNonNegative = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0;

function normalizeEarlyStopping(
  given: EarlyStopping | null | undefined,
  fallback: EarlyStopping | null,
): EarlyStopping | null {
  if (given === undefined) return fallback;
  if (given === null || typeof given !== 'object') return given;
  return { patience: given.patience, minDelta: given.minDelta ?? 0 };
}

/**
 * Fills defaults and validates. The result is what a checkpoint records and what a resumed run
 * must match exactly.
 */
export function resolveTrainConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const d = DEFAULT_TRAIN_CONFIG;
  const kind = partial.kind ?? d.kind;
  // Built key by key (unknown keys dropped, fixed order) so that two equal configs serialise to
  // the same JSON: a checkpoint compares them that way.
  const config: TrainConfig = {
    kind,
    hiddenUnits: partial.hiddenUnits ?? (kind === HeadKind.MLP ? [64] : []),
    epochs: partial.epochs ?? d.epochs,
    batchSize: partial.batchSize ?? d.batchSize,
    learningRate: partial.learningRate ?? d.learningRate,
    l2: partial.l2 ?? d.l2,
    classWeight: partial.classWeight ?? d.classWeight,
    standardize: partial.standardize ?? d.standardize,
    earlyStopping: normalizeEarlyStopping(partial.earlyStopping, d.earlyStopping),
    validationFraction: partial.validationFraction ?? d.validationFraction,
    seed: partial.seed ?? d.seed,
    adam: {
      beta1: partial.adam?.beta1 ?? d.adam.beta1,
      beta2: partial.adam?.beta2 ?? d.adam.beta2,
      epsilon: partial.adam?.epsilon ?? d.adam.epsilon,
    },
  };
  if (config.kind !== HeadKind.LOGISTIC && config.kind !== HeadKind.MLP) {
    throw invalidConfig('kind', "must be 'logistic' or 'mlp'", config.kind);
  }
  if (!Array.isArray(config.hiddenUnits) || !config.hiddenUnits.every(isPositiveInt)) {
    throw invalidConfig('hiddenUnits', 'must be a list of positive integers', config.hiddenUnits);
  }
  if (config.kind === HeadKind.LOGISTIC && config.hiddenUnits.length !== 0) {
    throw invalidConfig('hiddenUnits', 'must be empty for logistic regression', config.hiddenUnits);
  }
  if (config.kind === HeadKind.MLP && (config.hiddenUnits.length < 1 || config.hiddenUnits.length > 2)) {
    throw invalidConfig('hiddenUnits', 'must have one or two layers for an mlp', config.hiddenUnits);
  }
  if (!isPositiveInt(config.epochs) || config.epochs > 100_000) {
    throw invalidConfig('epochs', 'must be an integer in [1, 100000]', config.epochs);
  }
  if (!isPositiveInt(config.batchSize)) throw invalidConfig('batchSize', 'must be a positive integer');
  if (!(typeof config.learningRate === 'number' && config.learningRate > 0 && config.learningRate < 10)) {
    throw invalidConfig('learningRate', 'must be in (0, 10)', config.learningRate);
  }
  if (!isFiniteNonNegative(config.l2)) throw invalidConfig('l2', 'must be a finite number ≥ 0', config.l2);
  const cw = config.classWeight;
  if (cw !== 'none' && cw !== 'balanced') {
    if (cw === null || typeof cw !== 'object' || Array.isArray(cw)) {
      throw invalidConfig('classWeight', "must be 'none', 'balanced' or a record of class → weight");
    }
    for (const [name, w] of Object.entries(cw)) {
      if (!(typeof w === 'number' && Number.isFinite(w) && w > 0)) {
        throw invalidConfig('classWeight', `weight of class "${name}" must be a positive number`, w);
      }
    }
  }
  if (typeof config.standardize !== 'boolean') throw invalidConfig('standardize', 'must be a boolean');
  const es = config.earlyStopping;
  if (es !== null) {
    if (typeof es !== 'object' || !isPositiveInt(es.patience) || !isFiniteNonNegative(es.minDelta)) {
      throw invalidConfig('earlyStopping', 'must be null or { patience ≥ 1, minDelta ≥ 0 }');
    }
  }
  if (!(config.validationFraction > 0 && config.validationFraction < 1)) {
    throw invalidConfig('validationFraction', 'must be in (0, 1)', config.validationFraction);
  }
  if (!Number.isSafeInteger(config.seed)) throw invalidConfig('seed', 'must be a safe integer', config.seed);
  const { beta1, beta2, epsilon } = config.adam;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0 && Number.isFinite(epsilon))) {
    throw invalidConfig('adam', 'needs beta1, beta2 in [0, 1) and epsilon > 0');
  }
  return config;
}
