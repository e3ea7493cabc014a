/**
 * Port: labelled data sets for training and evaluation, as immutable, content-addressed versions.
 *
 * A registration parses the upload (JSONL, CSV, or files in one folder per class), records the
 * schema, the class balance and a seeded stratified train/validation/test split, and stores the
 * bytes under their SHA-256. A version never changes afterwards; registering different content
 * (or other options) under the same name makes the next version, registering the same content
 * with the same options again returns the existing version. Bad rows are never dropped silently:
 * by default the registration fails listing them with line numbers; with `badRows: 'skip'` they
 * are left out and listed in the version's `rejectedRows`.
 */
import type { JsonValue } from '../hpo/types.js';

export const DatasetFormat = {
  JSONL: 'jsonl',
  CSV: 'csv',
  /** Files grouped in one directory per class (a folder or a zip archive). */
  FILES: 'files',
} as const;
export type DatasetFormat = (typeof DatasetFormat)[keyof typeof DatasetFormat];

/** 'vector' is an array of numbers (e.g. a precomputed embedding); 'mixed' means several types. */
export type DatasetFieldType = 'string' | 'number' | 'boolean' | 'vector' | 'object' | 'mixed';

export const DatasetFieldRole = {
  LABEL: 'label',
  TEXT: 'text',
  FILE: 'file',
  FEATURE: 'feature',
  /** Kept in the rows but not used for training (ids, notes …). */
  OTHER: 'other',
} as const;
export type DatasetFieldRole = (typeof DatasetFieldRole)[keyof typeof DatasetFieldRole];

export interface DatasetField {
  readonly name: string;
  readonly type: DatasetFieldType;
  readonly role: DatasetFieldRole;
  /** Rows in which the field is present and not null/empty. */
  readonly present: number;
  /** Length of every value, for 'vector' fields. */
  readonly dimensions?: number;
}

export interface DatasetSchema {
  readonly fields: readonly DatasetField[];
  readonly labelField: string;
  readonly textField: string | null;
  readonly fileField: string | null;
  /** Numeric or vector fields used as tabular features, in order. */
  readonly featureFields: readonly string[];
  /**
   * Sensitive attributes (e.g. a demographic group column) that fairness is measured across;
   * absent when none was declared. Never a default feature (see RegisterDatasetRequest).
   */
  readonly sensitiveAttributes?: readonly string[];
}

/** A problem with one row: `line` is 1-based in the uploaded file; `path` names a file in FILES sets. */
export interface RowIssue {
  readonly line?: number;
  readonly path?: string;
  readonly field?: string;
  readonly message: string;
}

export interface DatasetSplitSpec {
  readonly seed: number;
  readonly validationFraction: number;
  readonly testFraction: number;
}

export type SplitName = 'train' | 'validation' | 'test';

export interface DatasetSplit {
  readonly spec: DatasetSplitSpec;
  /** Rows per split and class. */
  readonly counts: Readonly<Record<SplitName, Readonly<Record<string, number>>>>;
  /** Artifact key of the row → split assignment (kept, so a version's split never changes). */
  readonly assignmentKey: string;
}

export interface DatasetVersion {
  readonly name: string;
  /** 1, 2, 3 … per name. */
  readonly version: number;
  readonly format: DatasetFormat;
  /** The delimiter of a CSV upload (needed to read it again), null for other formats. */
  readonly csvDelimiter: string | null;
  /** Lowercase hex SHA-256 of the uploaded bytes (FILES: of the sorted path/hash listing). */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Artifact key of the content (content-addressed: datasets/blobs/sha256/<hex>). */
  readonly contentKey: string;
  readonly rowCount: number;
  readonly schema: DatasetSchema;
  /** Class names (labels as strings), sorted. */
  readonly classes: readonly string[];
  readonly classBalance: Readonly<Record<string, number>>;
  readonly split: DatasetSplit;
  readonly rejectedRows: readonly RowIssue[];
  readonly description: string | null;
  /** Wall-clock milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

/** One accepted row. Labels are strings (JSON numbers and booleans are written as text). */
export interface DatasetRow {
  /** 1-based line in the upload (FILES: the 1-based position in path order). */
  readonly line: number;
  readonly label: string;
  readonly fields: Readonly<Record<string, JsonValue>>;
}

export interface DatasetFile {
  /** "/"-separated path; the first segment is the class. */
  readonly path: string;
  readonly data: Uint8Array;
}

export type DatasetSource =
  | { readonly format: 'jsonl'; readonly content: Uint8Array }
  | { readonly format: 'csv'; readonly content: Uint8Array; readonly delimiter?: string }
  | { readonly format: 'files'; readonly files: readonly DatasetFile[] };

export interface RegisterDatasetRequest {
  readonly name: string;
  readonly source: DatasetSource;
  /** Default: "label", else "class", else "y" — the first present. */
  readonly labelField?: string;
  /** Default: "text" when present and textual. */
  readonly textField?: string;
  /** Default: "file" or "path" when present (JSONL/CSV rows that reference files). */
  readonly fileField?: string;
  /** Default: every number/vector field other than the label (when there is no text/file field). */
  readonly featureFields?: readonly string[];
  /**
   * Columns holding a sensitive attribute (string, number or boolean values; at most 50 distinct
   * values each). Fairness evaluations slice by them. They are left out of the default feature
   * set; name one in `featureFields` to train on it anyway. Rows may leave the value empty.
   */
  readonly sensitiveAttributes?: readonly string[];
  /** 'reject' (default): any bad row fails the registration. 'skip': bad rows are listed and left out. */
  readonly badRows?: 'reject' | 'skip';
  readonly split?: Partial<DatasetSplitSpec>;
  readonly description?: string;
}

export interface DatasetSplitIndices {
  /** Indices into `rows()`, ascending. */
  readonly train: readonly number[];
  readonly validation: readonly number[];
  readonly test: readonly number[];
}

/**
 * A store is one tenant's view: names are per tenant, and another tenant's data set answers
 * exactly like a missing one. The view an adapter hands out first is the `system` tenant's.
 */
export interface DatasetStore {
  readonly tenantId: string;
  /** The same store, restricted to `tenantId`. */
  forTenant(tenantId: string): DatasetStore;
  /** Parses, validates and stores a new version (or returns the identical existing one). */
  register(request: RegisterDatasetRequest): Promise<DatasetVersion>;
  /** A version, or the latest when `version` is omitted; ERR_NOT_FOUND if absent. */
  get(name: string, version?: number): Promise<DatasetVersion>;
  /** Every version (of one name, or of all), ordered by name then version. */
  list(name?: string): Promise<DatasetVersion[]>;
  /** The accepted rows of a version, in upload order. */
  rows(name: string, version: number): Promise<DatasetRow[]>;
  splitIndices(name: string, version: number): Promise<DatasetSplitIndices>;
  /** Bytes of a file referenced by a FILES data set row ("sha256:<hex>"). */
  readFile(reference: string): Promise<Uint8Array>;
}
