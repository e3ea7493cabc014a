/**
 * Fairness of a classifier across the groups of a sensitive attribute (fairlearn's definitions,
 * core/eval/fairness.ts): per group the row count, accuracy, base rate, selection rate, true and
 * false positive rates; over groups the demographic parity difference, the equalized-odds
 * difference and the disparate-impact ratio, each checked against a threshold. A version whose
 * report violates a threshold is *flagged*.
 *
 * Which class is the "selected" (favourable) outcome:
 * - `positiveLabel` given: that class against all others;
 * - binary without it: the second class in sorted order (the class whose probability ROC-AUC
 *   scores, e.g. "1" of "0"/"1", "spam" of "ham"/"spam");
 * - more classes without it: one-vs-rest for every class; the headline figures are the worst
 *   over classes (largest differences, smallest ratio) and any class's violation flags.
 *
 * Rows whose attribute is empty are left out and counted (`missingAttribute`).
 *
 * Reports of registered versions are kept as JSON artifacts (`fairness/<model key>/<version>/…`,
 * the registry's card and metrics are immutable) and summarised in version tags
 * (`kaleido.fairness.flagged` …); `FairnessService.evaluateVersion` runs the served model on a
 * data set version through the inference service, featurised exactly as in training.
 */
import { createHash } from 'node:crypto';
import { KaleidoError, isKaleidoError } from '../core/errors.js';
import { fairnessReport, type FairnessThresholds } from '../core/eval/fairness.js';
import type { JsonValue } from '../core/hpo/types.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { DatasetRow, DatasetStore, DatasetVersion } from '../core/ports/dataset-store.js';
import type { InferenceService } from '../core/ports/inference.js';
import type { ModelVersion } from '../core/ports/registry-store.js';
import type { FeaturizerSpec } from '../core/ports/study-store.js';
import { servingModelName } from '../core/security/tenancy.js';
import type { Tensor } from '../core/tensor.js';
import { argmax, predictProba } from '../core/train/trainer.js';
import type { TrainedHead } from '../core/train/types.js';
import type { RegistryService } from './registry.js';
import { parseFeaturizer } from './studies/spec.js';
import { featurizerOf } from './studies/training-set.js';

export const FAIRNESS_REPORT_SCHEMA = 'kaleido.fairness/v1';
/** Groups smaller than this are reported with a warning: their rates are noisy. */
export const SMALL_GROUP = 30;

export const DEFAULT_FAIRNESS_THRESHOLDS: Required<FairnessThresholds> = {
  maxDemographicParityDifference: 0.1,
  maxEqualizedOddsDifference: 0.1,
  minDisparateImpactRatio: 0.8,
};

export const FairnessTag = {
  FLAGGED: 'kaleido.fairness.flagged',
  DEMOGRAPHIC_PARITY_DIFFERENCE: 'kaleido.fairness.demographic_parity_difference',
  EQUALIZED_ODDS_DIFFERENCE: 'kaleido.fairness.equalized_odds_difference',
  DISPARATE_IMPACT_RATIO: 'kaleido.fairness.disparate_impact_ratio',
  ATTRIBUTES: 'kaleido.fairness.attributes',
  REPORTS: 'kaleido.fairness.reports',
} as const;

/** A number that may be undefined for the data (no two groups define it): null, never a made-up 0. */
export type Measured = number | null;

export interface FairnessGroup {
  readonly group: string;
  readonly count: number;
  /** Share of the group's rows whose predicted class is the true class (all classes). */
  readonly accuracy: number;
}

export interface FairnessClassReport {
  /** The class counted as the selected outcome. */
  readonly positiveLabel: string;
  readonly byGroup: ReadonlyArray<{
    readonly group: string;
    readonly count: number;
    /** P(y = positive | group): how the labels themselves differ between groups. */
    readonly baseRate: number;
    readonly selectionRate: number;
    readonly truePositiveRate: Measured;
    readonly falsePositiveRate: Measured;
  }>;
  readonly demographicParityDifference: Measured;
  readonly equalizedOddsDifference: Measured;
  readonly disparateImpactRatio: Measured;
  readonly violations: readonly FairnessViolationRecord[];
}

export interface FairnessViolationRecord {
  readonly positiveLabel: string;
  readonly metric: 'demographicParityDifference' | 'equalizedOddsDifference' | 'disparateImpactRatio';
  readonly value: Measured;
  readonly threshold: number;
  readonly rule: 'max' | 'min';
}

export interface FairnessEvaluation {
  readonly schema: typeof FAIRNESS_REPORT_SCHEMA;
  readonly attribute: string;
  /** Rows scored (with an attribute value). */
  readonly rows: number;
  readonly missingAttribute: number;
  readonly classes: readonly string[];
  readonly convention: 'binary' | 'one-vs-rest';
  readonly groups: readonly FairnessGroup[];
  readonly perClass: readonly FairnessClassReport[];
  /** Worst over `perClass`: the largest differences and the smallest ratio (null when undefined). */
  readonly demographicParityDifference: Measured;
  readonly equalizedOddsDifference: Measured;
  readonly disparateImpactRatio: Measured;
  readonly thresholds: Required<FairnessThresholds>;
  readonly violations: readonly FairnessViolationRecord[];
  readonly flagged: boolean;
  readonly warnings: readonly string[];
}

/** Where a report came from, stored with it. */
export interface FairnessContext {
  readonly model?: { readonly name: string; readonly version: string };
  readonly dataset: { readonly id: string; readonly version: number } | null;
  readonly split: string;
  readonly source: 'study' | 'api';
  readonly evaluatedAt: number;
  readonly featurizer?: FeaturizerSpec;
}

export type FairnessRecord = FairnessEvaluation & FairnessContext;

const invalid = (field: string, message: string, details: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details: { field, ...details } });

const measured = (x: number): Measured => (Number.isFinite(x) ? x : null);

/** Attribute values as group names: strings as they are, numbers and booleans written out; empty → null. */
export function groupOf(value: JsonValue | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return null;
}

/** Validates thresholds (each in [0, 1]) and fills in the defaults. */
export function parseThresholds(raw: unknown, field = 'thresholds'): Required<FairnessThresholds> {
  if (raw === undefined || raw === null) return { ...DEFAULT_FAIRNESS_THRESHOLDS };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(field, `${field} must be an object`);
  const out: Record<string, number> = { ...DEFAULT_FAIRNESS_THRESHOLDS };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(k in DEFAULT_FAIRNESS_THRESHOLDS)) {
      throw invalid(`${field}.${k}`, `${field}.${k} is not a known threshold`, {
        allowed: Object.keys(DEFAULT_FAIRNESS_THRESHOLDS),
      });
    }
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw invalid(`${field}.${k}`, `${field}.${k} must be a number in [0, 1]`);
    out[k] = v;
  }
  return out as Required<FairnessThresholds>;
}

/**
 * The fairness report of predictions `yPred` against `yTrue` (class names) across `groups` (one
 * attribute value per row, null = missing).
 */
export function evaluateFairness(input: {
  readonly attribute: string;
  readonly classes: readonly string[];
  readonly yTrue: readonly string[];
  readonly yPred: readonly string[];
  readonly groups: readonly (string | null)[];
  readonly positiveLabel?: string;
  readonly thresholds?: FairnessThresholds;
}): FairnessEvaluation {
  const { classes, attribute } = input;
  const thresholds = parseThresholds(input.thresholds ?? null);
  if (input.yTrue.length !== input.yPred.length || input.yTrue.length !== input.groups.length) {
    throw invalid('groups', 'labels, predictions and groups must have the same length');
  }
  if (classes.length < 2) throw invalid('classes', 'fairness needs at least two classes');
  if (input.positiveLabel !== undefined && !classes.includes(input.positiveLabel)) {
    throw invalid('positiveLabel', `positiveLabel "${input.positiveLabel}" is not one of the classes`, {
      classes: [...classes],
    });
  }
  const keep = input.groups.flatMap((g, i) => (g === null ? [] : [i]));
  const missingAttribute = input.groups.length - keep.length;
  const yTrue = keep.map((i) => input.yTrue[i] as string);
  const yPred = keep.map((i) => input.yPred[i] as string);
  const groups = keep.map((i) => input.groups[i] as string);
  const names = [...new Set(groups)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length < 2) {
    throw invalid(
      'attribute',
      `attribute "${attribute}" has ${names.length} group(s) in these rows; fairness needs two`,
      {
        attribute,
        groups: names,
      },
    );
  }
  const positives =
    input.positiveLabel !== undefined
      ? [input.positiveLabel]
      : classes.length === 2
        ? [classes[1] as string]
        : [...classes];
  const groupStats: FairnessGroup[] = names.map((group) => {
    let n = 0;
    let correct = 0;
    groups.forEach((g, i) => {
      if (g !== group) return;
      n++;
      if (yTrue[i] === yPred[i]) correct++;
    });
    return { group, count: n, accuracy: correct / n };
  });
  const perClass: FairnessClassReport[] = positives.map((positive) => {
    const bt = yTrue.map((y) => (y === positive ? 1 : 0));
    const bp = yPred.map((y) => (y === positive ? 1 : 0));
    const r = fairnessReport({ yTrue: bt, yPred: bp, groups, positiveLabel: 1 }, thresholds);
    return {
      positiveLabel: positive,
      byGroup: r.byGroup.map((g) => {
        let pos = 0;
        groups.forEach((x, i) => {
          if (x === g.group && bt[i] === 1) pos++;
        });
        return {
          group: String(g.group),
          count: g.count,
          baseRate: pos / g.count,
          selectionRate: g.selectionRate,
          truePositiveRate: measured(g.truePositiveRate),
          falsePositiveRate: measured(g.falsePositiveRate),
        };
      }),
      demographicParityDifference: measured(r.demographicParityDifference),
      equalizedOddsDifference: measured(r.equalizedOddsDifference),
      disparateImpactRatio: measured(r.disparateImpactRatio),
      violations: r.violations.map((v) => ({ positiveLabel: positive, ...v, value: measured(v.value) })),
    };
  });
  // Worst over classes; an undefined (null) figure for any class makes the headline null too.
  const worst = (pick: (c: FairnessClassReport) => Measured, f: (...xs: number[]) => number): Measured => {
    const xs = perClass.map(pick);
    return xs.some((x) => x === null) ? null : f(...(xs as number[]));
  };
  const violations = perClass.flatMap((c) => c.violations);
  const warnings = [
    ...groupStats
      .filter((g) => g.count < SMALL_GROUP)
      .map((g) => `group "${g.group}" has only ${g.count} rows (< ${SMALL_GROUP}): its rates are noisy`),
    ...(missingAttribute > 0
      ? [`${missingAttribute} rows without a value of "${attribute}" were left out`]
      : []),
  ];
  return {
    schema: FAIRNESS_REPORT_SCHEMA,
    attribute,
    rows: keep.length,
    missingAttribute,
    classes: [...classes],
    convention: positives.length === 1 ? 'binary' : 'one-vs-rest',
    groups: groupStats,
    perClass,
    demographicParityDifference: worst((c) => c.demographicParityDifference, Math.max),
    equalizedOddsDifference: worst((c) => c.equalizedOddsDifference, Math.max),
    disparateImpactRatio: worst((c) => c.disparateImpactRatio, Math.min),
    thresholds,
    violations,
    flagged: violations.length > 0,
    warnings,
  };
}

/** Summary over several reports: flagged if any is, worst figures, the attributes seen. */
export function summarizeFairness(reports: readonly FairnessEvaluation[]): {
  flagged: boolean;
  demographicParityDifference: Measured;
  equalizedOddsDifference: Measured;
  disparateImpactRatio: Measured;
  attributes: string[];
} {
  const pick = (xs: Measured[], f: (...v: number[]) => number): Measured =>
    xs.length === 0 || xs.some((x) => x === null) ? null : f(...(xs as number[]));
  return {
    flagged: reports.some((r) => r.flagged),
    demographicParityDifference: pick(
      reports.map((r) => r.demographicParityDifference),
      Math.max,
    ),
    equalizedOddsDifference: pick(
      reports.map((r) => r.equalizedOddsDifference),
      Math.max,
    ),
    disparateImpactRatio: pick(
      reports.map((r) => r.disparateImpactRatio),
      Math.min,
    ),
    attributes: [...new Set(reports.map((r) => r.attribute))].sort(),
  };
}

const fixed = (x: Measured): string => (x === null ? 'undefined' : String(Math.round(x * 1e6) / 1e6));

/** The version tags that summarise fairness reports (what `kaleido registry versions` and searches see). */
export function fairnessTags(reports: readonly FairnessEvaluation[]): Array<{ key: string; value: string }> {
  const s = summarizeFairness(reports);
  return [
    { key: FairnessTag.FLAGGED, value: String(s.flagged) },
    { key: FairnessTag.DEMOGRAPHIC_PARITY_DIFFERENCE, value: fixed(s.demographicParityDifference) },
    { key: FairnessTag.EQUALIZED_ODDS_DIFFERENCE, value: fixed(s.equalizedOddsDifference) },
    { key: FairnessTag.DISPARATE_IMPACT_RATIO, value: fixed(s.disparateImpactRatio) },
    { key: FairnessTag.ATTRIBUTES, value: s.attributes.join(',').slice(0, 8000) },
    { key: FairnessTag.REPORTS, value: String(reports.length) },
  ];
}

/** Metrics-snapshot entries (finite values only) for a version registered with fairness reports. */
export function fairnessMetrics(reports: readonly FairnessEvaluation[]): Record<string, number> {
  const s = summarizeFairness(reports);
  const out: Record<string, number> = { fairness_flagged: s.flagged ? 1 : 0 };
  if (s.demographicParityDifference !== null)
    out['fairness_demographic_parity_difference'] = s.demographicParityDifference;
  if (s.equalizedOddsDifference !== null)
    out['fairness_equalized_odds_difference'] = s.equalizedOddsDifference;
  if (s.disparateImpactRatio !== null) out['fairness_disparate_impact_ratio'] = s.disparateImpactRatio;
  return out;
}

/**
 * The fairness of predictions on the rows of a data set version, across each of `attributes`
 * (what the study runner calls after evaluating its best head). `rowIndex[i]` is the data set row
 * of prediction i.
 */
export function fairnessForRows(input: {
  readonly rows: readonly DatasetRow[];
  readonly rowIndex: readonly number[];
  readonly attributes: readonly string[];
  readonly classes: readonly string[];
  readonly yPred: readonly string[];
  readonly positiveLabel?: string;
  readonly thresholds?: FairnessThresholds;
}): FairnessEvaluation[] {
  const yTrue = input.rowIndex.map((r) => (input.rows[r] as DatasetRow).label);
  return input.attributes.map((attribute) =>
    evaluateFairness({
      attribute,
      classes: input.classes,
      yTrue,
      yPred: input.yPred,
      groups: input.rowIndex.map((r) => groupOf((input.rows[r] as DatasetRow).fields[attribute])),
      ...(input.positiveLabel === undefined ? {} : { positiveLabel: input.positiveLabel }),
      ...(input.thresholds === undefined ? {} : { thresholds: input.thresholds }),
    }),
  );
}

/**
 * The fairness of a trained head on the split it was evaluated on, across every sensitive
 * attribute of its data set (the study runner's step after `evaluateHead`). An attribute that
 * cannot be measured (one group only in those rows) is listed in `errors`, not fatal.
 */
export async function fairnessOfHead(input: {
  readonly datasets: DatasetStore;
  readonly dataset: DatasetVersion;
  readonly head: TrainedHead;
  /** The featurised rows of `split`, in split order (TrainingSet.test or .data.validation). */
  readonly x: Float32Array;
  readonly split: 'test' | 'validation';
  readonly featurizer: FeaturizerSpec;
  readonly thresholds?: Readonly<Record<string, number>>;
  readonly positiveLabel?: string;
  readonly model?: { readonly name: string; readonly version: string };
  readonly evaluatedAt: number;
}): Promise<{ reports: FairnessRecord[]; errors: Array<{ attribute: string; message: string }> }> {
  const { dataset, head } = input;
  const attributes = dataset.schema.sensitiveAttributes ?? [];
  if (attributes.length === 0) return { reports: [], errors: [] };
  const [rows, split] = await Promise.all([
    input.datasets.rows(dataset.name, dataset.version),
    input.datasets.splitIndices(dataset.name, dataset.version),
  ]);
  const rowIndex = split[input.split];
  const k = head.classes.length;
  const p = predictProba(head, input.x);
  if (p.length !== rowIndex.length * k) {
    throw new KaleidoError('ERR_INTERNAL', 'featurised rows and split rows disagree', {
      details: { rows: rowIndex.length, scores: p.length / k },
    });
  }
  const yPred = rowIndex.map((_, i) => head.classes[argmax(p, i * k, k)] as string);
  const thresholds = parseThresholds(input.thresholds ?? null, 'fairness.thresholds');
  const reports: FairnessRecord[] = [];
  const errors: Array<{ attribute: string; message: string }> = [];
  for (const attribute of attributes) {
    try {
      const [e] = fairnessForRows({
        rows,
        rowIndex,
        attributes: [attribute],
        classes: head.classes,
        yPred,
        thresholds,
        ...(input.positiveLabel === undefined ? {} : { positiveLabel: input.positiveLabel }),
      });
      reports.push({
        ...(e as FairnessEvaluation),
        ...(input.model === undefined ? {} : { model: input.model }),
        dataset: { id: dataset.name, version: dataset.version },
        split: input.split,
        source: 'study',
        evaluatedAt: input.evaluatedAt,
        featurizer: input.featurizer,
      });
    } catch (err) {
      if (!isKaleidoError(err) || err.code !== 'ERR_VALIDATION') throw err;
      errors.push({ attribute, message: err.message });
    }
  }
  return { reports, errors };
}

// ---- the API: evaluate a registered version ----------------------------------------------------

export interface FairnessRequest {
  readonly dataset: { readonly id: string; readonly version?: number };
  readonly split: 'test' | 'validation' | 'train' | 'all';
  /** Absent: every sensitive attribute the data set declares. */
  readonly attribute?: string;
  readonly positiveLabel?: string;
  readonly thresholds: Required<FairnessThresholds>;
  /** Needed when the version's model card does not record them (hand-registered versions). */
  readonly featurizer?: FeaturizerSpec;
  readonly classes?: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const FAIRNESS_FIELDS = [
  'dataset',
  'split',
  'attribute',
  'positiveLabel',
  'thresholds',
  'featurizer',
  'classes',
];

/** Validates `POST …/fairness` bodies. */
export function parseFairnessRequest(raw: unknown): FairnessRequest {
  if (!isObject(raw))
    throw invalid('(body)', 'the body must be a JSON object {dataset, split?, attribute?, …}');
  for (const k of Object.keys(raw)) {
    if (!FAIRNESS_FIELDS.includes(k))
      throw invalid(k, `${k} is not a known field`, { allowed: FAIRNESS_FIELDS });
  }
  const ds = raw['dataset'];
  if (!isObject(ds) || typeof ds['id'] !== 'string' || ds['id'] === '') {
    throw invalid('dataset', 'dataset must be {id: <data set name>, version?}');
  }
  const version = ds['version'];
  if (
    version !== undefined &&
    version !== null &&
    !(Number.isSafeInteger(version) && (version as number) >= 1)
  ) {
    throw invalid('dataset.version', 'dataset.version must be a positive integer');
  }
  const split = raw['split'] ?? 'test';
  if (split !== 'test' && split !== 'validation' && split !== 'train' && split !== 'all') {
    throw invalid('split', "split must be 'test', 'validation', 'train' or 'all'");
  }
  const attribute = raw['attribute'];
  if (
    attribute !== undefined &&
    (typeof attribute !== 'string' || attribute === '' || attribute.length > 250)
  ) {
    throw invalid('attribute', 'attribute must be a column name');
  }
  const positiveLabel = raw['positiveLabel'];
  if (positiveLabel !== undefined && (typeof positiveLabel !== 'string' || positiveLabel === '')) {
    throw invalid('positiveLabel', 'positiveLabel must be a class name (a string)');
  }
  const classes = raw['classes'];
  if (
    classes !== undefined &&
    (!Array.isArray(classes) ||
      classes.length < 2 ||
      classes.length > 10_000 ||
      !classes.every((c) => typeof c === 'string') ||
      new Set(classes).size !== classes.length)
  ) {
    throw invalid('classes', 'classes must list the model output order: at least two distinct strings');
  }
  return {
    dataset: { id: ds['id'], ...(typeof version === 'number' ? { version } : {}) },
    split,
    ...(typeof attribute === 'string' ? { attribute } : {}),
    ...(typeof positiveLabel === 'string' ? { positiveLabel } : {}),
    thresholds: parseThresholds(raw['thresholds']),
    ...(raw['featurizer'] === undefined || raw['featurizer'] === null
      ? {}
      : { featurizer: parseFeaturizer(raw['featurizer']) }),
    ...(classes === undefined ? {} : { classes: classes as string[] }),
  };
}

export interface FairnessServiceOptions {
  readonly registry: RegistryService;
  readonly datasets: DatasetStore;
  readonly artifacts: ArtifactStore;
  /** Runs the served model (needed by `evaluateVersion`; listing works without it). */
  readonly inference?: InferenceService;
  readonly now?: () => number;
  /** Rows per inference request. */
  readonly batchSize?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Folder of a version's reports. Model names may hold any character but @ / \ : % ? #, and are
 * unique per tenant, so the folder is a hash of (tenant, name).
 */
export function fairnessPrefix(tenantId: string, model: string, version: string): string {
  const key = createHash('sha256').update(`${tenantId}\u0000${model}`, 'utf8').digest('hex').slice(0, 32);
  return `fairness/${key}/${version}/`;
}

/** The reports a stored model card carries (study-registered versions), validated loosely. */
export function cardFairness(card: Readonly<Record<string, unknown>> | undefined): FairnessRecord[] {
  const f = card?.['fairness'];
  if (!Array.isArray(f)) return [];
  return f.filter(
    (r): r is FairnessRecord =>
      isObject(r) && r['schema'] === FAIRNESS_REPORT_SCHEMA && typeof r['attribute'] === 'string',
  );
}

/** Latest report per (data set, split, attribute, convention) — what tags summarise. */
function latestPerKey(reports: readonly FairnessRecord[]): FairnessRecord[] {
  const byKey = new Map<string, FairnessRecord>();
  for (const r of [...reports].sort((a, b) => a.evaluatedAt - b.evaluatedAt)) {
    const ds = r.dataset === null ? '-' : `${r.dataset.id}@${r.dataset.version}`;
    byKey.set(JSON.stringify([ds, r.split, r.attribute, r.perClass.map((c) => c.positiveLabel)]), r);
  }
  return [...byKey.values()];
}

export class FairnessService {
  private readonly now: () => number;
  private seq = 0;

  constructor(private readonly options: FairnessServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Every report of a version: from its stored card (study) and from the artifact store (API), oldest first. */
  async listReports(version: ModelVersion): Promise<FairnessRecord[]> {
    const stored: FairnessRecord[] = [];
    for (const info of await this.options.artifacts.list(
      fairnessPrefix(this.options.registry.tenantId, version.name, version.version),
    )) {
      try {
        stored.push(JSON.parse(decoder.decode(await this.options.artifacts.get(info.key))) as FairnessRecord);
      } catch (e) {
        // Deleted between list and get: skip. Anything else is worth an error.
        if (!(isKaleidoError(e) && e.code === 'ERR_NOT_FOUND')) throw e;
      }
    }
    return [...cardFairness(version.modelCard), ...stored].sort((a, b) => a.evaluatedAt - b.evaluatedAt);
  }

  /**
   * Runs version `version` of `model` (served, through the inference service) on a data set
   * version's split, measures fairness across the attribute(s), stores the report(s) and updates
   * the version's fairness tags. Returns the new reports and the tags.
   */
  async evaluateVersion(
    model: string,
    versionOrAlias: string,
    raw: unknown,
  ): Promise<{ reports: FairnessRecord[]; tags: Array<{ key: string; value: string }>; version: string }> {
    const request = parseFairnessRequest(raw);
    const { registry, datasets, inference } = this.options;
    if (inference === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'fairness evaluation needs the inference service');
    }
    const versionId = await registry.resolveVersion(model, versionOrAlias);
    const mv = await registry.getModelVersion(model, versionId);
    const card = mv.modelCard;
    const featurizer =
      request.featurizer ??
      (isObject(card?.['featurizer']) ? parseFeaturizer(card?.['featurizer']) : undefined);
    if (featurizer === undefined) {
      throw invalid(
        'featurizer',
        `the featuriser of ${model} version ${versionId} is not recorded in its model card; pass featurizer (e.g. {"type":"tabular"})`,
      );
    }
    const cardClasses = card?.['classes'];
    const classes =
      request.classes ??
      (Array.isArray(cardClasses) && cardClasses.every((c) => typeof c === 'string')
        ? (cardClasses as string[])
        : undefined);
    if (classes === undefined) {
      throw invalid(
        'classes',
        `the output classes of ${model} version ${versionId} are not recorded in its model card; pass classes in output order`,
      );
    }
    const dsv = await datasets.get(request.dataset.id, request.dataset.version);
    const declared = dsv.schema.sensitiveAttributes ?? [];
    const attributes = request.attribute !== undefined ? [request.attribute] : [...declared];
    if (attributes.length === 0) {
      throw invalid(
        'attribute',
        `data set ${dsv.name}@${dsv.version} declares no sensitive attribute; pass attribute (a column)`,
      );
    }
    for (const a of attributes) {
      if (!dsv.schema.fields.some((f) => f.name === a)) {
        throw invalid('attribute', `attribute "${a}" is not a column of data set ${dsv.name}@${dsv.version}`);
      }
    }
    const unknown = dsv.classes.filter((c) => !classes.includes(c));
    if (unknown.length > 0) {
      throw invalid('classes', `data set classes ${unknown.join(', ')} are not outputs of the model`, {
        modelClasses: [...classes],
      });
    }
    const [rows, split] = await Promise.all([
      datasets.rows(dsv.name, dsv.version),
      datasets.splitIndices(dsv.name, dsv.version),
    ]);
    const rowIndex =
      request.split === 'all'
        ? rows.map((_, i) => i)
        : [...(split[request.split] as readonly number[])].sort((a, b) => a - b);
    if (rowIndex.length === 0) {
      throw invalid('split', `the ${request.split} split of ${dsv.name}@${dsv.version} has no rows`);
    }
    const selected = rowIndex.map((i) => rows[i] as DatasetRow);
    const { x, dim } = featurizerOf(featurizer)(selected, dsv.schema);
    // The serving layer names a tenant's models tenant-qualified (core/security/tenancy.ts).
    const served = servingModelName(registry.tenantId, model);
    const yPred = await this.predict(served, versionId, mv, x, dim, selected.length, classes);
    const evaluatedAt = this.now();
    const evaluations = fairnessForRows({
      rows,
      rowIndex,
      attributes,
      classes,
      yPred,
      ...(request.positiveLabel === undefined ? {} : { positiveLabel: request.positiveLabel }),
      thresholds: request.thresholds,
    });
    const reports: FairnessRecord[] = evaluations.map((e) => ({
      ...e,
      model: { name: model, version: versionId },
      dataset: { id: dsv.name, version: dsv.version },
      split: request.split,
      source: 'api',
      evaluatedAt,
      featurizer,
    }));
    const prefix = fairnessPrefix(registry.tenantId, model, versionId);
    for (const r of reports) {
      const key = `${prefix}${String(evaluatedAt).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}.json`;
      await this.options.artifacts.put(key, encoder.encode(JSON.stringify(r)));
    }
    const all = latestPerKey(await this.listReports(mv));
    const tags = fairnessTags(all);
    for (const t of tags) await registry.setModelVersionTag(model, versionId, t.key, t.value);
    return { reports, tags, version: versionId };
  }

  /** Class predictions of the served model, in batches, from its probability (score) output. */
  private async predict(
    model: string,
    version: string,
    mv: ModelVersion,
    x: Float32Array,
    dim: number,
    n: number,
    classes: readonly string[],
  ): Promise<string[]> {
    const inference = this.options.inference as InferenceService;
    let meta;
    try {
      meta = inference.modelMetadata(model, version);
    } catch (e) {
      if (isKaleidoError(e)) {
        throw new KaleidoError(
          'ERR_INVALID_STATE',
          `version ${version} of ${model} is not served (${e.message}); load it first: POST /v2/repository/models/${model}/load`,
          { details: { model, version, cause: e.code } },
        );
      }
      throw e;
    }
    const input = mv.signature?.inputs[0] ?? meta.inputs[0];
    if (input === undefined) throw new KaleidoError('ERR_INVALID_STATE', `${model} has no input tensor`);
    const expectDim = input.shape.at(-1);
    if (expectDim !== undefined && expectDim !== -1 && expectDim !== dim) {
      throw invalid('featurizer', `the featuriser gives ${dim} features but ${model} takes ${expectDim}`, {
        features: dim,
        modelInput: input.shape,
      });
    }
    const outputName = mv.signature?.outputs[0]?.name ?? meta.outputs[0]?.name;
    // Within the model's max_batch_size (0 or absent: no batching limit of its own).
    const maxBatch = Number(inference.modelConfig(model, version)['max_batch_size'] ?? 0);
    const batch = Math.max(
      1,
      Math.min(
        this.options.batchSize ?? 256,
        Number.isSafeInteger(maxBatch) && maxBatch > 0 ? maxBatch : Infinity,
      ),
    );
    const k = classes.length;
    const out: string[] = [];
    for (let start = 0; start < n; start += batch) {
      const b = Math.min(batch, n - start);
      const tensor: Tensor = {
        name: input.name,
        datatype: 'FP32',
        shape: [b, dim],
        data: x.slice(start * dim, (start + b) * dim),
      };
      const res = await inference.infer({
        modelName: model,
        modelVersion: version,
        inputs: [tensor],
        ...(outputName === undefined ? {} : { outputs: [{ name: outputName }] }),
      });
      const o = res.outputs.find((t) => t.name === outputName) ?? res.outputs[0];
      if (
        o === undefined ||
        Array.isArray(o.data) ||
        !(o.data instanceof Float32Array || o.data instanceof Float64Array) ||
        o.data.length !== b * k
      ) {
        throw new KaleidoError(
          'ERR_INVALID_STATE',
          `${model} version ${version} must answer class scores FP32/FP64 [batch, ${k}] (one per class)`,
          {
            details: {
              output: o === undefined ? null : { name: o.name, datatype: o.datatype, shape: o.shape },
            },
          },
        );
      }
      const data = o.data;
      for (let i = 0; i < b; i++) {
        let best = 0;
        for (let j = 1; j < k; j++)
          if ((data[i * k + j] as number) > (data[i * k + best] as number)) best = j;
        out.push(classes[best] as string);
      }
    }
    return out;
  }
}

// ---- Markdown ---------------------------------------------------------------------------------

const f4 = (x: Measured): string => (x === null ? 'undefined' : x.toFixed(4));

/** The Markdown lines of fairness reports (model cards: the study's and the assembled one). */
export function fairnessMarkdown(reports: readonly FairnessRecord[]): string[] {
  const lines: string[] = [
    'Definitions (fairlearn): selection rate = P(predicted positive | group); demographic parity difference = max − min selection rate; disparate-impact ratio = min / max selection rate; equalized-odds difference = the larger of the max − min spreads of the true and false positive rates. Base rate = P(actual positive | group).',
    '',
  ];
  for (const r of reports) {
    const t = r.thresholds;
    const violated = (metric: FairnessViolationRecord['metric']): string =>
      r.violations.some((v) => v.metric === metric) ? 'violated' : 'ok';
    lines.push(
      `### Attribute \`${r.attribute}\`: ${r.flagged ? '**FLAGGED**' : 'within thresholds'}`,
      '',
      `${r.dataset === null ? 'Data set not recorded' : `Data set \`${r.dataset.id}@${r.dataset.version}\``}, ${r.split} split, ${r.rows} rows${r.missingAttribute > 0 ? ` (${r.missingAttribute} more without a value)` : ''}; evaluated by ${r.source === 'study' ? 'the study' : 'the fairness API'} on ${new Date(r.evaluatedAt).toISOString()}; ${r.convention === 'binary' ? `positive (selected) class "${r.perClass[0]?.positiveLabel ?? ''}"` : `one-vs-rest over ${r.perClass.length} classes, worst class shown in the summary`}.`,
      '',
      '| metric | value | threshold | result |',
      '| --- | --- | --- | --- |',
      `| demographic parity difference | ${f4(r.demographicParityDifference)} | ≤ ${t.maxDemographicParityDifference.toFixed(2)} | ${violated('demographicParityDifference')} |`,
      `| equalized-odds difference | ${f4(r.equalizedOddsDifference)} | ≤ ${t.maxEqualizedOddsDifference.toFixed(2)} | ${violated('equalizedOddsDifference')} |`,
      `| disparate-impact ratio | ${f4(r.disparateImpactRatio)} | ≥ ${t.minDisparateImpactRatio.toFixed(2)} | ${violated('disparateImpactRatio')} |`,
      '',
    );
    for (const c of r.perClass) {
      const acc = new Map(r.groups.map((g) => [g.group, g.accuracy]));
      lines.push(
        ...(r.convention === 'binary' ? [] : [`Class "${c.positiveLabel}" against the rest:`, '']),
        '| group | rows | accuracy | base rate | selection rate | TPR | FPR |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...c.byGroup.map(
          (g) =>
            `| ${g.group} | ${g.count} | ${f4(acc.get(g.group) ?? null)} | ${f4(g.baseRate)} | ${f4(g.selectionRate)} | ${f4(g.truePositiveRate)} | ${f4(g.falsePositiveRate)} |`,
        ),
        '',
      );
    }
    if (r.warnings.length > 0) lines.push(...r.warnings.map((w) => `- ${w}`), '');
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}
