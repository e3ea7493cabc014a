/**
 * The data set upload and new-study forms: their fields, defaults (docs/lifecycle.md), checks
 * before submitting (the same rules the server applies, so most mistakes are caught at the field),
 * and the request each form sends. Pure: no React, no I/O.
 */
import type { Distribution, Metric, StudySpecInput, UploadOptions } from '../api/lifecycle';

/** Field name → what is wrong with it. Empty = valid. */
export type FieldErrors = Record<string, string>;

/** Names of data sets, studies and models (src/lifecycle/studies/spec.ts NAME). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Registry aliases (src/lifecycle/registry.ts ALIAS). */
export const ALIAS = /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/;

export const UPLOAD_EXTENSIONS = ['jsonl', 'ndjson', 'csv', 'tsv', 'zip'] as const;

const NAME_RULE = '1–128 letters, digits, “_”, “.” or “-”, starting with a letter or digit';

// ---- upload ------------------------------------------------------------------------------------

export interface UploadForm {
  name: string;
  labelField: string;
  textField: string;
  badRows: 'reject' | 'skip';
  splitSeed: string;
  validationFraction: string;
  testFraction: string;
  description: string;
}

export const UPLOAD_DEFAULTS: UploadForm = {
  name: '',
  labelField: '',
  textField: '',
  badRows: 'reject',
  splitSeed: '0',
  validationFraction: '0.1',
  testFraction: '0.1',
  description: '',
};

/** A data set name suggested by a file name: "UCI sentences (2).csv" → "UCI-sentences-2". */
export function nameFromFile(fileName: string): string {
  const base = fileName.replace(/\.[^.]*$/, '');
  const cleaned = base
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 128);
  return cleaned === 'blobs' ? 'blobs-data' : cleaned;
}

export const fileExtension = (fileName: string): string =>
  fileName.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? '';

function numberField(errors: FieldErrors, field: string, raw: string, label: string): number | undefined {
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    errors[field] = `${label} must be a number.`;
    return undefined;
  }
  return n;
}

export function checkUpload(
  form: UploadForm,
  file: { name: string; size: number } | undefined,
  maxBytes?: number,
): { errors: FieldErrors; options?: UploadOptions } {
  const errors: FieldErrors = {};
  if (file === undefined) errors['file'] = 'Choose a JSONL, CSV, TSV or zip file.';
  else if (!(UPLOAD_EXTENSIONS as readonly string[]).includes(fileExtension(file.name)))
    errors['file'] =
      `“${file.name}” is not a data set file: use .jsonl, .csv, .tsv or .zip (one folder per class).`;
  else if (file.size === 0) errors['file'] = 'The file is empty.';
  else if (maxBytes !== undefined && file.size > maxBytes)
    errors['file'] =
      `The file is larger than the server accepts (${Math.floor(maxBytes / 1024 / 1024)} MiB).`;
  const name = form.name.trim();
  if (name === '') errors['name'] = 'Give the data set a name.';
  else if (!NAME.test(name) || name === 'blobs')
    errors['name'] = `The name must be ${NAME_RULE} (and not “blobs”).`;
  const seed = numberField(errors, 'splitSeed', form.splitSeed, 'The split seed');
  if (seed !== undefined && !Number.isSafeInteger(seed))
    errors['splitSeed'] = 'The split seed must be a whole number.';
  const val = numberField(errors, 'validationFraction', form.validationFraction, 'The validation fraction');
  const test = numberField(errors, 'testFraction', form.testFraction, 'The test fraction');
  for (const [field, f] of [
    ['validationFraction', val],
    ['testFraction', test],
  ] as const) {
    if (f !== undefined && (f < 0 || f >= 1))
      errors[field] = 'Use a fraction from 0 up to (not including) 1, e.g. 0.1.';
  }
  if (
    val !== undefined &&
    test !== undefined &&
    !errors['validationFraction'] &&
    !errors['testFraction'] &&
    val + test >= 1
  )
    errors['testFraction'] = 'Validation and test together must leave rows for training (sum below 1).';
  if (Object.keys(errors).length > 0) return { errors };
  const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());
  const labelField = opt(form.labelField);
  const textField = opt(form.textField);
  const description = opt(form.description);
  return {
    errors,
    options: {
      name,
      badRows: form.badRows,
      ...(labelField ? { labelField } : {}),
      ...(textField ? { textField } : {}),
      ...(seed !== undefined ? { splitSeed: seed } : {}),
      ...(val !== undefined ? { validationFraction: val } : {}),
      ...(test !== undefined ? { testFraction: test } : {}),
      ...(description ? { description } : {}),
    },
  };
}

// ---- studies -----------------------------------------------------------------------------------

export const SEARCHABLE = ['model', 'lr', 'hidden', 'hidden2', 'l2', 'batchSize', 'epochs'] as const;
export type Searchable = (typeof SEARCHABLE)[number];

export const PARAM_INFO: Record<Searchable, { label: string; kind: 'float' | 'int' | 'model' }> = {
  model: { label: 'Model (logistic or mlp)', kind: 'model' },
  lr: { label: 'Learning rate', kind: 'float' },
  hidden: { label: 'Hidden units (mlp)', kind: 'int' },
  hidden2: { label: 'Second hidden layer (mlp)', kind: 'int' },
  l2: { label: 'L2 regularisation', kind: 'float' },
  batchSize: { label: 'Batch size', kind: 'int' },
  epochs: { label: 'Epochs', kind: 'int' },
};

export interface ParamRow {
  enabled: boolean;
  /** A range (low..high) or a list of choices. */
  mode: 'range' | 'choices';
  low: string;
  high: string;
  log: boolean;
  choices: string;
}

/** The featurisers for data sets of files, with what a person reads in the form. */
export const MEDIA_FEATURIZERS = {
  'image-embedding': 'Images: MobileNetV2 embeddings (1280 values)',
  'audio-features': 'Audio: log-mel statistics (116 values)',
  'video-features': 'Video: pooled frame embeddings + audio track (1397 values)',
} as const;
export type MediaFeaturizer = keyof typeof MEDIA_FEATURIZERS;

export interface StudyForm {
  name: string;
  dataset: string;
  /** "latest" or a version number. */
  datasetVersion: string;
  metric: Metric;
  direction: 'minimize' | 'maximize';
  nTrials: string;
  concurrency: string;
  sampler: 'tpe' | 'random' | 'grid';
  seed: string;
  pruner: 'median' | 'nop' | 'successive-halving';
  /** Epochs every trial trains when `epochs` is not searched. */
  epochs: string;
  /** Hashed bag-of-words dimensions for text data sets ('' = the server's default). */
  dimensions: string;
  /**
   * Frozen-encoder features for data sets of files (a folder per class): '' = none (text and
   * tabular data sets), else the featuriser type the server computes in the background.
   */
  mediaFeatures: '' | MediaFeaturizer;
  modelName: string;
  alias: string;
  params: Record<Searchable, ParamRow>;
}

const row = (enabled: boolean, p: Partial<ParamRow>): ParamRow => ({
  enabled,
  mode: 'range',
  low: '',
  high: '',
  log: false,
  choices: '',
  ...p,
});

/** The docs' example search space (docs/lifecycle.md), the others ready to switch on. */
export const defaultStudyForm = (): StudyForm => ({
  name: '',
  dataset: '',
  datasetVersion: 'latest',
  metric: 'valAccuracy',
  direction: 'maximize',
  nTrials: '20',
  concurrency: '2',
  sampler: 'tpe',
  seed: '7',
  pruner: 'median',
  epochs: '10',
  dimensions: '',
  mediaFeatures: '',
  modelName: '',
  alias: 'champion',
  params: {
    model: row(true, { mode: 'choices', choices: 'logistic, mlp' }),
    lr: row(true, { low: '0.001', high: '0.3', log: true }),
    hidden: row(true, { low: '8', high: '128', log: true }),
    hidden2: row(false, { low: '8', high: '64', log: true }),
    l2: row(false, { low: '0.000001', high: '0.01', log: true }),
    batchSize: row(false, { mode: 'choices', choices: '32, 64, 128' }),
    epochs: row(false, { low: '2', high: '10' }),
  },
});

/** The metric's usual direction: loss down, accuracy and F1 up. */
export const directionOf = (metric: Metric): 'minimize' | 'maximize' =>
  metric === 'valLoss' ? 'minimize' : 'maximize';

function intIn(
  errors: FieldErrors,
  field: string,
  raw: string,
  label: string,
  min: number,
  max: number,
): number | undefined {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    errors[field] = `${label} must be a whole number from ${min} to ${max}.`;
    return undefined;
  }
  return n;
}

function paramDistribution(errors: FieldErrors, name: Searchable, p: ParamRow): Distribution | undefined {
  const field = `param.${name}`;
  const kind = PARAM_INFO[name].kind;
  if (kind === 'model' || p.mode === 'choices') {
    const items = p.choices
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    if (items.length === 0) {
      errors[field] = 'List at least one choice, separated by commas.';
      return undefined;
    }
    if (kind === 'model') {
      const bad = items.filter((c) => c !== 'logistic' && c !== 'mlp');
      if (bad.length > 0) {
        errors[field] = `Models are “logistic” and “mlp” (not ${bad.map((b) => `“${b}”`).join(', ')}).`;
        return undefined;
      }
      return { type: 'categorical', choices: [...new Set(items)] };
    }
    const nums = items.map(Number);
    if (nums.some((n) => !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n)) || n <= 0)) {
      errors[field] = `Choices must be positive ${kind === 'int' ? 'whole numbers' : 'numbers'}.`;
      return undefined;
    }
    return { type: 'categorical', choices: [...new Set(nums)] };
  }
  const low = Number(p.low);
  const high = Number(p.high);
  if (p.low.trim() === '' || p.high.trim() === '' || !Number.isFinite(low) || !Number.isFinite(high)) {
    errors[field] = 'Give the range as two numbers, low and high.';
    return undefined;
  }
  if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) {
    errors[field] = 'This parameter takes whole numbers.';
    return undefined;
  }
  if (low > high) {
    errors[field] = 'Low must not be above high.';
    return undefined;
  }
  if (low <= 0 && (p.log || kind === 'int')) {
    errors[field] = p.log ? 'A log scale needs a low above 0.' : 'The range must start at 1 or more.';
    return undefined;
  }
  if (kind === 'int') return { type: 'int', low, high, log: p.log };
  return { type: 'float', low, high, log: p.log };
}

/** Checks the form; with no errors, the spec to POST to /v1/studies. */
export function checkStudy(form: StudyForm): { errors: FieldErrors; spec?: StudySpecInput } {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (!NAME.test(name)) errors['name'] = `The study name must be ${NAME_RULE}.`;
  if (form.dataset === '') errors['dataset'] = 'Pick a data set (upload one on the Data sets page first).';
  let version: number | undefined;
  if (form.datasetVersion !== 'latest')
    version = intIn(errors, 'datasetVersion', form.datasetVersion, 'The version', 1, Number.MAX_SAFE_INTEGER);
  const nTrials = intIn(errors, 'nTrials', form.nTrials, 'The number of trials', 1, 10_000);
  const concurrency = intIn(errors, 'concurrency', form.concurrency, 'Concurrency', 1, 64);
  const seed = intIn(errors, 'seed', form.seed, 'The seed', 0, Number.MAX_SAFE_INTEGER);
  const searchingEpochs = form.params.epochs.enabled;
  const epochs = searchingEpochs ? undefined : intIn(errors, 'epochs', form.epochs, 'Epochs', 1, 10_000);
  let dimensions: number | undefined;
  if (form.dimensions.trim() !== '')
    dimensions = intIn(errors, 'dimensions', form.dimensions, 'Feature dimensions', 1, 1 << 20);
  const modelName = form.modelName.trim() === '' ? name : form.modelName.trim();
  if (form.modelName.trim() !== '' && !NAME.test(modelName))
    errors['modelName'] = `The model name must be ${NAME_RULE}.`;
  const alias = form.alias.trim();
  if (!ALIAS.test(alias))
    errors['alias'] = 'The alias must start with a letter or “_” and hold only letters, digits, “_” and “-”.';
  else if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias))
    errors['alias'] = `“${alias}” reads as a version; pick another alias.`;

  const space: Record<string, Distribution> = {};
  for (const p of SEARCHABLE) {
    const r = form.params[p];
    if (!r.enabled) continue;
    const d = paramDistribution(errors, p, r);
    if (d) space[p] = d;
  }
  if (SEARCHABLE.every((p) => !form.params[p].enabled))
    errors['searchSpace'] = 'Search at least one parameter.';
  if (form.sampler === 'grid') {
    const ranged = SEARCHABLE.filter(
      (p) => form.params[p].enabled && PARAM_INFO[p].kind !== 'model' && form.params[p].mode === 'range',
    );
    if (ranged.length > 0)
      errors['sampler'] =
        `A grid search needs a list of choices for every parameter (change ${ranged.join(', ')} to choices).`;
  }
  if (Object.keys(errors).length > 0) return { errors };

  const grid: Record<string, unknown[]> = {};
  for (const [k, d] of Object.entries(space)) if (d.type === 'categorical') grid[k] = d.choices;
  const spec: StudySpecInput = {
    name,
    metric: form.metric,
    direction: form.direction,
    nTrials: nTrials!,
    concurrency: concurrency!,
    sampler:
      form.sampler === 'grid'
        ? { type: 'grid', seed: seed!, searchSpace: grid }
        : { type: form.sampler, seed: seed! },
    pruner: { type: form.pruner },
    dataset: { id: form.dataset, ...(version === undefined ? {} : { version }) },
    searchSpace: space,
    ...(epochs === undefined ? {} : { training: { epochs } }),
    ...(form.mediaFeatures !== ''
      ? { featurizer: { type: form.mediaFeatures } }
      : dimensions === undefined
        ? {}
        : { featurizer: { type: 'hashed-bow', dimensions, bigrams: false } }),
    modelName,
    alias,
  };
  return { errors, spec };
}
