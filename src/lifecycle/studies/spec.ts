/**
 * Study specifications: validation of what a client sends (`POST /v1/studies`, `kaleido study
 * create`), the searchable training knobs, and the mapping from a trial's sampled parameters to
 * the trainer's configuration.
 *
 * The search space names the trainer's knobs directly:
 *
 *   model     categorical of 'logistic' | 'mlp'   → TrainConfig.kind
 *   lr        float (usually log)                  → learningRate
 *   hidden    int                                  → width of the first hidden layer (mlp only)
 *   hidden2   int                                  → a second hidden layer (mlp only)
 *   l2        float                                → l2
 *   batchSize int                                  → batchSize
 *   epochs    int                                  → epochs
 *
 * `hidden` and `hidden2` are conditional (Optuna's define-by-run style): a trial samples them
 * only when its model is an mlp, so logistic trials do not carry meaningless widths into the
 * sampler's history.
 */
import { KaleidoError } from '../../core/errors.js';
import {
  categoricalDistribution,
  floatDistribution,
  intDistribution,
  type Distribution,
  type ParamValue,
} from '../../core/hpo/distributions.js';
import { prunerFromSpec, samplerFromSpec } from '../../core/hpo/registry.js';
import type { Trial } from '../../core/hpo/study.js';
import type { JsonValue } from '../../core/hpo/types.js';
import type { FeaturizerSpec, StudySpec } from '../../core/ports/study-store.js';
import { HeadKind, resolveTrainConfig, type TrainConfig } from '../../core/train/types.js';
import {
  VIDEO_FEATURES_DEFAULT_FPS,
  VIDEO_FEATURES_DEFAULT_MAX_FRAMES,
  VIDEO_FEATURES_MAX_FPS,
  VIDEO_FEATURES_MAX_FRAMES,
} from '../datasets/media-features.js';
import { aliasName } from '../registry.js';

export const SEARCHABLE_PARAMS = ['model', 'lr', 'hidden', 'hidden2', 'l2', 'batchSize', 'epochs'] as const;
export type SearchableParam = (typeof SEARCHABLE_PARAMS)[number];

/** TrainConfig fields a study may fix for every trial (`training` in the spec). */
const TRAINING_KEYS = [
  'kind',
  'hiddenUnits',
  'epochs',
  'batchSize',
  'learningRate',
  'l2',
  'classWeight',
  'standardize',
  'earlyStopping',
  'validationFraction',
  'seed',
  'adam',
] as const;

export const OBJECTIVE_METRICS = ['valLoss', 'valAccuracy', 'valMacroF1'] as const;

/** Data set, study and model names share one portable alphabet (they become paths and URLs). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_TRIALS = 10_000;
const MAX_CONCURRENCY = 64;
const MAX_HASH_DIMENSIONS = 1 << 20;

function invalid(field: string, message: string, value?: unknown): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', `${field} ${message}`, {
    details: { field, ...(value === undefined ? {} : { value: value as JsonValue }) },
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function checkKeys(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) {
      throw new KaleidoError('ERR_VALIDATION', `${field}.${k} is not a known field`, {
        details: { field: `${field}.${k}`, allowed: [...allowed] },
      });
    }
  }
}

function positiveInt(field: string, value: unknown, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw invalid(field, `must be an integer in [1, ${max}]`, value);
  }
  return value as number;
}

/** A distribution in the spec's JSON form ({type, low, high, log, step} or {type, choices}). */
export function parseDistribution(field: string, raw: unknown): Distribution {
  if (!isObject(raw)) throw invalid(field, "must be {type: 'float'|'int'|'categorical', …}");
  const num = (k: string): number => {
    const v = raw[k];
    if (typeof v !== 'number') throw invalid(`${field}.${k}`, 'must be a number', v);
    return v;
  };
  const log = raw['log'] ?? false;
  if (typeof log !== 'boolean') throw invalid(`${field}.log`, 'must be a boolean', log);
  const step = raw['step'] ?? null;
  if (step !== null && typeof step !== 'number') throw invalid(`${field}.step`, 'must be a number', step);
  try {
    switch (raw['type']) {
      case 'float':
        checkKeys(field, raw, ['type', 'low', 'high', 'log', 'step']);
        return floatDistribution(num('low'), num('high'), { log, step });
      case 'int':
        checkKeys(field, raw, ['type', 'low', 'high', 'log', 'step']);
        return intDistribution(num('low'), num('high'), { log, ...(step === null ? {} : { step }) });
      case 'categorical': {
        checkKeys(field, raw, ['type', 'choices']);
        const choices = raw['choices'];
        if (!Array.isArray(choices)) throw invalid(`${field}.choices`, 'must be a list');
        return categoricalDistribution(choices as ParamValue[]);
      }
      default:
        throw invalid(`${field}.type`, "must be 'float', 'int' or 'categorical'", raw['type']);
    }
  } catch (e) {
    // The distribution constructors name their own fields; say which parameter they were about.
    if (e instanceof KaleidoError && !e.message.startsWith(field)) {
      throw new KaleidoError('ERR_VALIDATION', `${field}: ${e.message}`, {
        details: { field, ...e.details },
        cause: e,
      });
    }
    throw e;
  }
}

function parseSearchSpace(raw: unknown): Record<string, Distribution> {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    throw invalid('searchSpace', 'must be an object with at least one parameter');
  }
  const space: Record<string, Distribution> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!(SEARCHABLE_PARAMS as readonly string[]).includes(name)) {
      throw new KaleidoError('ERR_VALIDATION', `searchSpace.${name} is not a searchable parameter`, {
        details: { field: `searchSpace.${name}`, allowed: [...SEARCHABLE_PARAMS] },
      });
    }
    const d = parseDistribution(`searchSpace.${name}`, value);
    const expected: Record<SearchableParam, Distribution['type'][]> = {
      model: ['categorical'],
      lr: ['float', 'categorical'],
      l2: ['float', 'categorical'],
      hidden: ['int', 'categorical'],
      hidden2: ['int', 'categorical'],
      batchSize: ['int', 'categorical'],
      epochs: ['int', 'categorical'],
    };
    if (!expected[name as SearchableParam].includes(d.type)) {
      throw invalid(
        `searchSpace.${name}.type`,
        `must be one of ${expected[name as SearchableParam].join(', ')}`,
      );
    }
    if (name === 'model' && d.type === 'categorical') {
      const bad = d.choices.filter((c) => c !== HeadKind.LOGISTIC && c !== HeadKind.MLP);
      if (bad.length > 0)
        throw invalid('searchSpace.model.choices', "may hold only 'logistic' and 'mlp'", bad);
    }
    if (d.type === 'categorical' && name !== 'model') {
      const numeric = d.choices.every((c) => typeof c === 'number');
      if (!numeric) throw invalid(`searchSpace.${name}.choices`, 'must be numbers');
    }
    space[name] = d;
  }
  return space;
}

export function parseFeaturizer(raw: unknown, field = 'featurizer'): FeaturizerSpec {
  if (!isObject(raw))
    throw invalid(
      field,
      "must be {type: 'hashed-bow', dimensions}, {type: 'tabular'}, {type: 'image-embedding'}, {type: 'audio-features'} or {type: 'video-features'}",
    );
  if (raw['type'] === 'image-embedding') {
    checkKeys(field, raw, ['type', 'model']);
    const model = raw['model'] ?? 'mobilenet_v2';
    if (model !== 'mobilenet_v2') throw invalid(`${field}.model`, "must be 'mobilenet_v2'", model);
    return { type: 'image-embedding', model };
  }
  if (raw['type'] === 'audio-features') {
    checkKeys(field, raw, ['type', 'method']);
    const method = raw['method'] ?? 'log-mel-stats';
    if (method !== 'log-mel-stats') throw invalid(`${field}.method`, "must be 'log-mel-stats'", method);
    return { type: 'audio-features', method };
  }
  if (raw['type'] === 'video-features') {
    checkKeys(field, raw, ['type', 'model', 'audio', 'fps', 'maxFrames']);
    const model = raw['model'] ?? 'mobilenet_v2';
    if (model !== 'mobilenet_v2') throw invalid(`${field}.model`, "must be 'mobilenet_v2'", model);
    const audio = raw['audio'] ?? 'log-mel-stats';
    if (audio !== 'log-mel-stats') throw invalid(`${field}.audio`, "must be 'log-mel-stats'", audio);
    const fps = raw['fps'] ?? VIDEO_FEATURES_DEFAULT_FPS;
    if (typeof fps !== 'number' || !(fps > 0 && fps <= VIDEO_FEATURES_MAX_FPS)) {
      throw invalid(`${field}.fps`, `must be a number in (0, ${VIDEO_FEATURES_MAX_FPS}]`, fps);
    }
    const maxFrames = raw['maxFrames'] ?? VIDEO_FEATURES_DEFAULT_MAX_FRAMES;
    if (
      !Number.isSafeInteger(maxFrames) ||
      (maxFrames as number) < 1 ||
      (maxFrames as number) > VIDEO_FEATURES_MAX_FRAMES
    ) {
      throw invalid(
        `${field}.maxFrames`,
        `must be an integer in [1, ${VIDEO_FEATURES_MAX_FRAMES}]`,
        maxFrames,
      );
    }
    return { type: 'video-features', model, audio, fps, maxFrames: maxFrames as number };
  }
  if (raw['type'] === 'tabular') {
    checkKeys(field, raw, ['type']);
    return { type: 'tabular' };
  }
  if (raw['type'] === 'hashed-bow') {
    checkKeys(field, raw, ['type', 'dimensions', 'bigrams']);
    const bigrams = raw['bigrams'] ?? false;
    if (typeof bigrams !== 'boolean') throw invalid(`${field}.bigrams`, 'must be a boolean', bigrams);
    const dimensions = raw['dimensions'] ?? 1024;
    if (
      !Number.isSafeInteger(dimensions) ||
      (dimensions as number) < 2 ||
      (dimensions as number) > MAX_HASH_DIMENSIONS
    ) {
      throw invalid(`${field}.dimensions`, `must be an integer in [2, ${MAX_HASH_DIMENSIONS}]`, dimensions);
    }
    return { type: 'hashed-bow', dimensions: dimensions as number, bigrams };
  }
  throw invalid(
    `${field}.type`,
    "must be 'hashed-bow', 'tabular', 'image-embedding', 'audio-features' or 'video-features'",
    raw['type'],
  );
}

/** The fixed training settings: known TrainConfig keys only (their values are checked per trial). */
export function parseTraining(raw: unknown, field = 'training'): Record<string, JsonValue> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw invalid(field, 'must be an object of TrainConfig fields');
  checkKeys(field, raw, TRAINING_KEYS);
  return JSON.parse(JSON.stringify(raw)) as Record<string, JsonValue>;
}

/** What `parseStudySpec` returns: a StudySpec whose data set version and featuriser may still be open. */
export type StudySpecInput = Omit<StudySpec, 'dataset' | 'featurizer'> & {
  readonly dataset: { readonly id: string; readonly version?: number };
  readonly featurizer?: FeaturizerSpec;
};

const SPEC_KEYS = [
  'name',
  'direction',
  'metric',
  'sampler',
  'pruner',
  'nTrials',
  'concurrency',
  'searchSpace',
  'dataset',
  'featurizer',
  'training',
  'modelName',
  'alias',
  'fairness',
] as const;

const FAIRNESS_THRESHOLDS = [
  'maxDemographicParityDifference',
  'maxEqualizedOddsDifference',
  'minDisparateImpactRatio',
] as const;

/** `fairness: {thresholds?: {…}, positiveLabel?}` (see lifecycle/fairness.ts). */
function parseFairnessSpec(raw: unknown): NonNullable<StudySpec['fairness']> {
  if (!isObject(raw)) throw invalid('fairness', 'must be {thresholds?, positiveLabel?}', raw);
  checkKeys('fairness', raw, ['thresholds', 'positiveLabel']);
  const out: { thresholds?: Record<string, number>; positiveLabel?: string } = {};
  const t = raw['thresholds'];
  if (t !== undefined && t !== null) {
    if (!isObject(t)) throw invalid('fairness.thresholds', 'must be an object', t);
    checkKeys('fairness.thresholds', t, FAIRNESS_THRESHOLDS);
    for (const [k, v] of Object.entries(t)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        throw invalid(`fairness.thresholds.${k}`, 'must be a number in [0, 1]', v);
    }
    out.thresholds = t as Record<string, number>;
  }
  const p = raw['positiveLabel'];
  if (p !== undefined && p !== null) {
    if (typeof p !== 'string' || p === '') throw invalid('fairness.positiveLabel', 'must be a class name', p);
    out.positiveLabel = p;
  }
  return out;
}

/** Validates a client's study specification and fills the defaults that need no data. */
export function parseStudySpec(raw: unknown): StudySpecInput {
  if (!isObject(raw)) throw invalid('(body)', 'must be a study specification object');
  checkKeys('spec', raw, SPEC_KEYS);
  const name = raw['name'];
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(
      'name',
      'must be 1–128 letters, digits, "_", "." or "-" (starting with a letter or digit)',
      name,
    );
  }
  const metric = raw['metric'] ?? 'valLoss';
  if (!(OBJECTIVE_METRICS as readonly unknown[]).includes(metric)) {
    throw invalid('metric', `must be one of ${OBJECTIVE_METRICS.join(', ')}`, metric);
  }
  const direction = raw['direction'] ?? (metric === 'valLoss' ? 'minimize' : 'maximize');
  if (direction !== 'minimize' && direction !== 'maximize') {
    throw invalid('direction', "must be 'minimize' or 'maximize'", direction);
  }
  // The registries validate the specs and fill their defaults; the stored spec is the full one.
  const sampler = samplerFromSpec(raw['sampler'] ?? { type: 'tpe', seed: 0 }).spec;
  const pruner = prunerFromSpec(raw['pruner'] ?? { type: 'median' }).spec;
  const nTrials = positiveInt('nTrials', raw['nTrials'], MAX_TRIALS);
  const concurrency = positiveInt('concurrency', raw['concurrency'] ?? 1, MAX_CONCURRENCY);
  const searchSpace = parseSearchSpace(raw['searchSpace']);
  const ds = raw['dataset'];
  if (!isObject(ds)) throw invalid('dataset', 'must be {id, version?}');
  checkKeys('dataset', ds, ['id', 'version']);
  if (typeof ds['id'] !== 'string' || !NAME.test(ds['id']))
    throw invalid('dataset.id', 'must be a data set name', ds['id']);
  if (ds['version'] !== undefined && ds['version'] !== null)
    positiveInt('dataset.version', ds['version'], Number.MAX_SAFE_INTEGER);
  const modelName = raw['modelName'] ?? name;
  if (typeof modelName !== 'string' || !NAME.test(modelName)) {
    throw invalid('modelName', 'must be 1–128 letters, digits, "_", "." or "-"', modelName);
  }
  const alias = aliasName(raw['alias'] ?? 'champion', 'alias');
  return {
    name,
    direction,
    metric: metric as StudySpec['metric'],
    sampler,
    pruner,
    nTrials,
    concurrency,
    searchSpace,
    dataset: {
      id: ds['id'],
      ...(typeof ds['version'] === 'number' ? { version: ds['version'] } : {}),
    },
    ...(raw['featurizer'] === undefined || raw['featurizer'] === null
      ? {}
      : { featurizer: parseFeaturizer(raw['featurizer']) }),
    training: parseTraining(raw['training']),
    modelName,
    alias,
    ...(raw['fairness'] === undefined || raw['fairness'] === null
      ? {}
      : { fairness: parseFairnessSpec(raw['fairness']) }),
  };
}

/** Sampling order: the model kind first (the widths depend on it), then by name. */
function paramOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'model') return -1;
  if (b === 'model') return 1;
  return a < b ? -1 : 1;
}

/** Samples the trial's parameters from the spec's search space (conditional widths for mlp only). */
export function suggestTrialParams(
  trial: Trial,
  spec: Pick<StudySpec, 'searchSpace' | 'training'>,
): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  const baseKind = typeof spec.training['kind'] === 'string' ? spec.training['kind'] : HeadKind.LOGISTIC;
  for (const name of Object.keys(spec.searchSpace).sort(paramOrder)) {
    const d = spec.searchSpace[name] as Distribution;
    const kind = params['model'] ?? baseKind;
    if ((name === 'hidden' || name === 'hidden2') && kind !== HeadKind.MLP) continue;
    switch (d.type) {
      case 'float':
        params[name] = trial.suggestFloat(name, d.low, d.high, { log: d.log, step: d.step });
        break;
      case 'int':
        params[name] = trial.suggestInt(name, d.low, d.high, { log: d.log, step: d.step });
        break;
      case 'categorical':
        params[name] = trial.suggestCategorical(name, d.choices);
        break;
    }
  }
  return params;
}

const numberParam = (params: Readonly<Record<string, ParamValue>>, name: string): number | undefined => {
  const v = params[name];
  return typeof v === 'number' ? v : undefined;
};

/** The trainer configuration of a trial: the spec's fixed settings overridden by its parameters. */
export function trialConfig(
  spec: Pick<StudySpec, 'training' | 'featurizer' | 'sampler'>,
  params: Readonly<Record<string, ParamValue>>,
): TrainConfig {
  const base = spec.training as Partial<TrainConfig>;
  const kind = (params['model'] as TrainConfig['kind'] | undefined) ?? base.kind ?? HeadKind.LOGISTIC;
  let hiddenUnits: number[] = [];
  if (kind === HeadKind.MLP) {
    const baseHidden = Array.isArray(base.hiddenUnits) ? base.hiddenUnits : [];
    const first = numberParam(params, 'hidden') ?? baseHidden[0] ?? 32;
    const second = numberParam(params, 'hidden2') ?? baseHidden[1];
    hiddenUnits = second === undefined ? [first] : [first, second];
  }
  const pick = (param: string, field: keyof TrainConfig): Record<string, number> => {
    const v = numberParam(params, param);
    return v === undefined ? {} : { [field]: v };
  };
  return resolveTrainConfig({
    ...base,
    kind,
    hiddenUnits,
    ...pick('lr', 'learningRate'),
    ...pick('l2', 'l2'),
    ...pick('batchSize', 'batchSize'),
    ...pick('epochs', 'epochs'),
    // Hashed text features are sparse: standardising makes them dense and slow without helping.
    // Dense features (columns, embeddings, audio statistics) are standardised.
    standardize: base.standardize ?? spec.featurizer.type !== 'hashed-bow',
    seed: base.seed ?? spec.sampler.seed,
  });
}

/**
 * Checks up front that every kind of trial the space can produce has a valid configuration (the
 * corners of the space), so a bad fixed setting fails the request, not twenty trials later.
 */
export function checkTrialConfigs(spec: StudySpec): void {
  const model = spec.searchSpace['model'];
  const kinds = model?.type === 'categorical' ? model.choices : [undefined];
  for (const kind of kinds) {
    for (const corner of ['low', 'high'] as const) {
      const params: Record<string, ParamValue> = kind === undefined ? {} : { model: kind };
      for (const [name, d] of Object.entries(spec.searchSpace)) {
        if (name === 'model') continue;
        params[name] =
          d.type === 'categorical'
            ? (d.choices[corner === 'low' ? 0 : d.choices.length - 1] as ParamValue)
            : d[corner];
      }
      try {
        trialConfig(spec, params);
      } catch (e) {
        if (e instanceof KaleidoError) {
          throw new KaleidoError(
            'ERR_VALIDATION',
            `a trial with ${JSON.stringify(params)} would fail: ${e.message}`,
            {
              details: { ...e.details, params },
              cause: e,
            },
          );
        }
        throw e;
      }
    }
  }
}
