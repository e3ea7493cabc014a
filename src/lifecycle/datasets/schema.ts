/**
 * From parsed rows to a data set: field roles (label, text, file, features), inferred field types,
 * row validation with line-numbered issues, class balance, and the seeded stratified split.
 */
import { KaleidoError } from '../../core/errors.js';
import { trainTestSplitStratified } from '../../core/eval/splits.js';
import type { JsonValue } from '../../core/hpo/types.js';
import {
  DatasetFieldRole,
  type DatasetField,
  type DatasetFieldType,
  type DatasetRow,
  type DatasetSchema,
  type DatasetSplitIndices,
  type DatasetSplitSpec,
  type RegisterDatasetRequest,
  type RowIssue,
  type SplitName,
} from '../../core/ports/dataset-store.js';
import { deriveSeed } from '../../core/random.js';
import type { ParseResult } from './parse.js';

const LABEL_CANDIDATES = ['label', 'class', 'y'];
/** Most distinct values a sensitive attribute may take (a continuous column must be binned first). */
export const MAX_SENSITIVE_GROUPS = 50;
const FILE_CANDIDATES = ['file', 'path'];

export interface ValidatedRows {
  readonly rows: DatasetRow[];
  readonly issues: RowIssue[];
  readonly schema: DatasetSchema;
  readonly classes: string[];
  readonly classBalance: Record<string, number>;
}

const invalid = (message: string, details: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details });

function typeOf(v: JsonValue): DatasetFieldType | null {
  if (v === null || v === '') return null;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'number' && Number.isFinite(e)))
    return 'vector';
  return 'object';
}

/** The label as text: strings as they are, numbers and booleans written out. */
function labelText(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function pick(
  columns: readonly string[],
  given: string | undefined,
  candidates: readonly string[],
  what: string,
): string | null {
  if (given !== undefined) {
    if (!columns.includes(given))
      throw invalid(`the ${what} field "${given}" is not in the data`, { field: `${what}Field` });
    return given;
  }
  return candidates.find((c) => columns.includes(c)) ?? null;
}

export function validateRows(parsed: ParseResult, request: RegisterDatasetRequest): ValidatedRows {
  const { columns } = parsed;
  const labelField = pick(columns, request.labelField, LABEL_CANDIDATES, 'label');
  if (labelField === null) {
    throw invalid(`no label field: none of ${LABEL_CANDIDATES.join(', ')} is present; set labelField`, {
      field: 'labelField',
      columns: columns.slice(0, 50),
    });
  }
  const textField = pick(columns, request.textField, ['text'], 'text');
  const fileField = pick(columns, request.fileField, FILE_CANDIDATES, 'file');

  // Types over all parsed rows (bad rows included: a type conflict is itself worth seeing).
  const types = new Map<string, Set<DatasetFieldType>>();
  const present = new Map<string, number>();
  const vectorDims = new Map<string, Map<number, number>>();
  for (const row of parsed.rows) {
    for (const [k, v] of Object.entries(row.fields)) {
      const t = typeOf(v);
      if (t === null) continue;
      present.set(k, (present.get(k) ?? 0) + 1);
      let set = types.get(k);
      if (!set) types.set(k, (set = new Set()));
      set.add(t);
      if (t === 'vector') {
        const dims = vectorDims.get(k) ?? new Map<number, number>();
        vectorDims.set(k, dims);
        const len = (v as number[]).length;
        dims.set(len, (dims.get(len) ?? 0) + 1);
      }
    }
  }
  const fieldType = (name: string): DatasetFieldType => {
    const set = types.get(name);
    if (!set || set.size === 0) return 'mixed';
    return set.size === 1 ? ([...set][0] as DatasetFieldType) : 'mixed';
  };
  /** The most common vector length (ties: the smaller), which other rows must match. */
  const vectorLength = (name: string): number | undefined => {
    const dims = vectorDims.get(name);
    if (!dims) return undefined;
    return [...dims.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  };

  if (request.sensitiveAttributes !== undefined && !Array.isArray(request.sensitiveAttributes))
    throw invalid('sensitiveAttributes must be a list of column names', { field: 'sensitiveAttributes' });
  const sensitive = [...new Set(request.sensitiveAttributes ?? [])];
  for (const f of sensitive) {
    if (typeof f !== 'string' || !columns.includes(f))
      throw invalid(`the sensitive attribute "${String(f)}" is not in the data`, {
        field: 'sensitiveAttributes',
      });
    if (f === labelField)
      throw invalid('the label cannot be a sensitive attribute', { field: 'sensitiveAttributes' });
    if (f === textField || f === fileField)
      throw invalid(`the ${f === textField ? 'text' : 'file'} field cannot be a sensitive attribute`, {
        field: 'sensitiveAttributes',
      });
  }

  let featureFields: string[];
  if (request.featureFields !== undefined) {
    for (const f of request.featureFields) {
      if (!columns.includes(f))
        throw invalid(`the feature field "${f}" is not in the data`, { field: 'featureFields' });
      if (f === labelField) throw invalid('the label cannot be a feature', { field: 'featureFields' });
    }
    featureFields = [...request.featureFields];
  } else if (textField === null && fileField === null) {
    // Sensitive attributes are not default features (naming one in featureFields still trains on it).
    featureFields = columns.filter(
      (c) =>
        c !== labelField &&
        !sensitive.includes(c) &&
        (fieldType(c) === 'number' || fieldType(c) === 'vector'),
    );
  } else {
    featureFields = [];
  }

  const issues: RowIssue[] = [...parsed.issues];
  const rows: DatasetRow[] = [];
  for (const row of parsed.rows) {
    const rowIssues: RowIssue[] = [];
    const label = labelText(row.fields[labelField]);
    if (label === undefined) {
      const v = row.fields[labelField];
      rowIssues.push({
        line: row.line,
        field: labelField,
        message:
          v === undefined || v === null || v === ''
            ? `missing label "${labelField}"`
            : `label "${labelField}" must be a string, number or boolean`,
      });
    }
    if (textField !== null && typeof row.fields[textField] !== 'string') {
      rowIssues.push({ line: row.line, field: textField, message: `text "${textField}" must be a string` });
    }
    if (fileField !== null && (typeof row.fields[fileField] !== 'string' || row.fields[fileField] === '')) {
      rowIssues.push({
        line: row.line,
        field: fileField,
        message: `file "${fileField}" must be a non-empty string`,
      });
    }
    for (const f of featureFields) {
      const v = row.fields[f];
      const want = fieldType(f) === 'vector' ? 'vector' : 'number';
      if (want === 'number' && !(typeof v === 'number' && Number.isFinite(v))) {
        rowIssues.push({
          line: row.line,
          field: f,
          message:
            v === undefined || v === null
              ? `missing value for feature "${f}"`
              : `feature "${f}" must be a number`,
        });
      } else if (want === 'vector') {
        const len = vectorLength(f);
        if (typeOf(v ?? null) !== 'vector' || (v as number[]).length !== len) {
          rowIssues.push({ line: row.line, field: f, message: `feature "${f}" must be ${len} numbers` });
        }
      }
    }
    for (const f of sensitive) {
      const v = row.fields[f];
      if (v !== undefined && v !== null && typeof v === 'object') {
        rowIssues.push({
          line: row.line,
          field: f,
          message: `sensitive attribute "${f}" must be a string, number or boolean`,
        });
      }
    }
    if (rowIssues.length > 0) issues.push(...rowIssues);
    else rows.push({ line: row.line, label: label as string, fields: row.fields });
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));

  const roleOf = (name: string): DatasetField['role'] =>
    name === labelField
      ? DatasetFieldRole.LABEL
      : name === textField
        ? DatasetFieldRole.TEXT
        : name === fileField
          ? DatasetFieldRole.FILE
          : featureFields.includes(name)
            ? DatasetFieldRole.FEATURE
            : DatasetFieldRole.OTHER;
  const fields: DatasetField[] = columns.map((name) => {
    const type = fieldType(name);
    const dims = type === 'vector' ? vectorLength(name) : undefined;
    return {
      name,
      type,
      role: roleOf(name),
      present: present.get(name) ?? 0,
      ...(dims === undefined ? {} : { dimensions: dims }),
    };
  });
  for (const f of sensitive) {
    const values = new Set<string>();
    for (const r of rows) {
      const v = r.fields[f];
      if (v !== undefined && v !== null && v !== '') values.add(String(v));
    }
    if (values.size > MAX_SENSITIVE_GROUPS) {
      throw invalid(
        `the sensitive attribute "${f}" has ${values.size} distinct values (at most ${MAX_SENSITIVE_GROUPS}); bin it into groups first`,
        { field: 'sensitiveAttributes', attribute: f, distinct: values.size },
      );
    }
  }
  const classBalance: Record<string, number> = {};
  for (const r of rows) classBalance[r.label] = (classBalance[r.label] ?? 0) + 1;
  const classes = Object.keys(classBalance).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    rows,
    issues,
    schema: {
      fields,
      labelField,
      textField,
      fileField,
      featureFields,
      // Only when declared, so versions registered before sensitive attributes existed compare equal.
      ...(sensitive.length === 0 ? {} : { sensitiveAttributes: sensitive }),
    },
    classes,
    classBalance: Object.fromEntries(classes.map((c) => [c, classBalance[c] as number])),
  };
}

export const DEFAULT_SPLIT: DatasetSplitSpec = { seed: 0, validationFraction: 0.1, testFraction: 0.1 };

export function resolveSplitSpec(given: Partial<DatasetSplitSpec> = {}): DatasetSplitSpec {
  const spec = {
    seed: given.seed ?? DEFAULT_SPLIT.seed,
    validationFraction: given.validationFraction ?? DEFAULT_SPLIT.validationFraction,
    testFraction: given.testFraction ?? DEFAULT_SPLIT.testFraction,
  };
  const ok = (f: number): boolean => typeof f === 'number' && f >= 0 && f < 1;
  if (!Number.isSafeInteger(spec.seed))
    throw invalid('split seed must be a safe integer', { field: 'split.seed' });
  if (
    !ok(spec.validationFraction) ||
    !ok(spec.testFraction) ||
    spec.validationFraction + spec.testFraction >= 1
  ) {
    throw invalid('split fractions must be in [0, 1) and leave rows for training', { field: 'split' });
  }
  return spec;
}

/**
 * Stratified train/validation/test assignment, a pure function of (labels, spec): the test rows
 * are drawn first, then validation from the rest (with its fraction rescaled to the rest), each
 * with its own seed derived from spec.seed, so changing the validation share never moves test rows.
 */
export function stratifiedSplit(labels: readonly string[], spec: DatasetSplitSpec): DatasetSplitIndices {
  const all = labels.map((_, i) => i);
  let rest = all;
  let test: number[] = [];
  if (spec.testFraction > 0) {
    const s = trainTestSplitStratified(labels, spec.testFraction, deriveSeed(spec.seed, 'dataset-test'));
    test = s.test;
    rest = s.train;
  }
  let validation: number[] = [];
  let train = rest;
  if (spec.validationFraction > 0) {
    const fraction = spec.validationFraction / (1 - spec.testFraction);
    const s = trainTestSplitStratified(
      rest.map((i) => labels[i] as string),
      fraction,
      deriveSeed(spec.seed, 'dataset-validation'),
    );
    validation = s.test.map((j) => rest[j] as number);
    train = s.train.map((j) => rest[j] as number);
  }
  return { train, validation, test };
}

export function splitCounts(
  labels: readonly string[],
  split: DatasetSplitIndices,
): Record<SplitName, Record<string, number>> {
  const count = (idx: readonly number[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const i of idx) out[labels[i] as string] = (out[labels[i] as string] ?? 0) + 1;
    return out;
  };
  return { train: count(split.train), validation: count(split.validation), test: count(split.test) };
}
