/**
 * From a data set version's rows to the trainer's input: feature rows (Float32) and class indices
 * for the train / validation / test splits. Tabular features and hashed text are built in; any
 * other featuriser (an encoder's embeddings, once the encoders exist) plugs in as a function.
 */
import { KaleidoError } from '../../core/errors.js';
import type { DatasetRow, DatasetSchema, DatasetSplitIndices } from '../../core/ports/dataset-store.js';
import { hashedBagOfWords } from '../../core/train/features.js';
import type { LabelledFeatures, TrainingData } from '../../core/train/types.js';

/** Turns rows into a row-major Float32 matrix of rows.length × dim. */
export type Featurizer = (
  rows: readonly DatasetRow[],
  schema: DatasetSchema,
) => { x: Float32Array; dim: number };

/** The numeric and vector feature fields, concatenated in schema order. */
export const tabularFeatures: Featurizer = (rows, schema) => {
  const fields = schema.featureFields;
  if (fields.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', 'the data set has no numeric feature fields', {
      details: { field: 'featureFields' },
    });
  }
  const widths = fields.map((f) => schema.fields.find((d) => d.name === f)?.dimensions ?? 1);
  const dim = widths.reduce((a, b) => a + b, 0);
  const x = new Float32Array(rows.length * dim);
  rows.forEach((row, r) => {
    let at = r * dim;
    fields.forEach((f, i) => {
      const v = row.fields[f];
      if (Array.isArray(v)) x.set(v as number[], at);
      else x[at] = v as number;
      at += widths[i] as number;
    });
  });
  return { x, dim };
};

/** Hashed bag of words over the text field (see core/train/features.ts). */
export function hashedTextFeatures(options: { dimensions: number; bigrams?: boolean }): Featurizer {
  return (rows, schema) => {
    const field = schema.textField;
    if (field === null) {
      throw new KaleidoError('ERR_VALIDATION', 'the data set has no text field', {
        details: { field: 'textField' },
      });
    }
    const texts = rows.map((r) => r.fields[field] as string);
    return { x: hashedBagOfWords(texts, options), dim: options.dimensions };
  };
}

function take(x: Float32Array, y: Int32Array, dim: number, index: readonly number[]): LabelledFeatures {
  const xs = new Float32Array(index.length * dim);
  const ys = new Int32Array(index.length);
  index.forEach((r, i) => {
    xs.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
    ys[i] = y[r] as number;
  });
  return { x: xs, y: ys };
}

/**
 * Training data (train + validation split) and the held-out test rows of a data set version.
 * Class index k is `classes[k]` (the version's sorted class list).
 */
export function trainingDataFromDataset(
  rows: readonly DatasetRow[],
  schema: DatasetSchema,
  classes: readonly string[],
  split: DatasetSplitIndices,
  featurize: Featurizer,
): { data: TrainingData; test: LabelledFeatures } {
  const { x, dim } = featurize(rows, schema);
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(rows, (r) => {
    const k = index.get(r.label);
    if (k === undefined) {
      throw new KaleidoError('ERR_VALIDATION', `row at line ${r.line} has a label outside the class list`, {
        details: { line: r.line },
      });
    }
    return k;
  });
  const validation = split.validation.length > 0 ? take(x, y, dim, split.validation) : undefined;
  return {
    data: {
      classes: [...classes],
      dim,
      train: take(x, y, dim, split.train),
      ...(validation === undefined ? {} : { validation }),
    },
    test: take(x, y, dim, split.test),
  };
}
