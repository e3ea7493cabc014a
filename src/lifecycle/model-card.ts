/**
 * The model card of any registered version, assembled from what the registry knows: the
 * registered model and version (description, tags, aliases now and their history, signature,
 * sha256, metrics snapshot), the run it came from (params, metrics, lineage: data set version,
 * code version, parent study), the data set version (schema, class balance, split, sensitive
 * attributes), the card stored with the version (intended use, limitations, training, evaluation
 * — study-registered versions have one, hand-registered ones usually not), fairness reports and
 * safety evaluations. Nothing is invented: a missing fact is the string "not recorded" (or
 * "unknown" where a yes/no cannot be decided), with the reason where there is one.
 *
 * The card is a pure function of the stored state (no generation time in it), so the same
 * version gives the same card until something about it changes.
 */
import { isKaleidoError } from '../core/errors.js';
import type { DatasetStore, DatasetVersion } from '../core/ports/dataset-store.js';
import type { AliasMove, ModelVersion, RegisteredModel } from '../core/ports/registry-store.js';
import { LineageTag, type Run } from '../core/ports/tracking-store.js';
import {
  fairnessMarkdown,
  summarizeFairness,
  type FairnessRecord,
  type FairnessService,
} from './fairness.js';
import type { RegistryService } from './registry.js';
import { runLineage, type TrackingService } from './tracking.js';

export const NOT_RECORDED = 'not recorded';
export const UNKNOWN = 'unknown';
export const MODEL_CARD_SCHEMA = 'kaleido.model-card.assembled/v1';

type NotRecorded = typeof NOT_RECORDED;
type Tag = { readonly key: string; readonly value: string };

export interface AssembledModelCard {
  readonly schema: typeof MODEL_CARD_SCHEMA;
  readonly model: {
    readonly name: string;
    readonly description: string | NotRecorded;
    readonly tags: readonly Tag[];
    readonly aliases: ReadonlyArray<{ readonly alias: string; readonly version: string }>;
  };
  readonly version: {
    readonly version: string;
    readonly status: string;
    readonly statusMessage: string | NotRecorded;
    readonly description: string | NotRecorded;
    readonly registeredBy: string | NotRecorded;
    readonly createdAt: string;
    readonly updatedAt: string;
    readonly source: string;
    readonly sha256: string | NotRecorded;
    readonly signature: ModelVersion['signature'] | NotRecorded;
    readonly aliases: readonly string[];
    readonly tags: readonly Tag[];
  };
  /** Every alias move that pointed an alias at this version or away from it. */
  readonly aliasHistory: ReadonlyArray<{
    readonly alias: string;
    readonly from: string | null;
    readonly to: string | null;
    readonly actor: string;
    readonly at: string;
  }>;
  readonly metrics: Readonly<Record<string, number>> | NotRecorded;
  readonly run:
    | {
        readonly runId: string;
        readonly name: string;
        readonly experimentId: string;
        readonly experiment: string | NotRecorded;
        readonly status: string;
        readonly startTime: string;
        readonly endTime: string | NotRecorded;
        readonly params: Readonly<Record<string, string>>;
        readonly metrics: Readonly<Record<string, number>>;
        readonly lineage: {
          readonly datasetVersion: string | NotRecorded;
          readonly codeVersion: string | NotRecorded;
          readonly parentStudy: string | NotRecorded;
          readonly parentRunId: string | NotRecorded;
        };
      }
    | { readonly status: NotRecorded; readonly reason: string };
  readonly data:
    | {
        readonly id: string;
        readonly version: number;
        readonly sha256: string;
        readonly rows: number;
        readonly format: string;
        readonly labelField: string;
        readonly fields: ReadonlyArray<{
          readonly name: string;
          readonly type: string;
          readonly role: string;
        }>;
        readonly classBalance: Readonly<Record<string, number>>;
        readonly split: Readonly<Record<string, number>>;
        readonly sensitiveAttributes: readonly string[];
        readonly description: string | NotRecorded;
      }
    | { readonly status: NotRecorded; readonly reason: string; readonly reference?: string };
  readonly intendedUse: string | NotRecorded;
  readonly limitations: readonly string[] | NotRecorded;
  readonly training: Readonly<Record<string, unknown>> | NotRecorded;
  readonly evaluation: Readonly<Record<string, unknown>> | NotRecorded;
  readonly fairness:
    | {
        readonly flagged: boolean;
        readonly demographicParityDifference: number | null;
        readonly equalizedOddsDifference: number | null;
        readonly disparateImpactRatio: number | null;
        readonly attributes: readonly string[];
        readonly reports: readonly FairnessRecord[];
      }
    | { readonly status: 'not evaluated'; readonly reason: string };
  readonly safety: {
    /** true / false from a recorded statement, "unknown" otherwise. */
    readonly moderationModel: boolean | typeof UNKNOWN;
    readonly basis: string;
    readonly evaluations: ReadonlyArray<Readonly<Record<string, unknown>>> | NotRecorded;
  };
  /** Keys of the card stored with the version (its raw content is at GET model-versions/get). */
  readonly storedCard: readonly string[] | NotRecorded;
}

export interface ModelCardDeps {
  readonly registry: RegistryService;
  readonly tracking?: TrackingService;
  readonly datasets?: DatasetStore;
  readonly fairness?: FairnessService;
  /**
   * Models the moderation pipeline serves (e.g. spam_classifier): a version of one of them is a
   * moderation model even without a tag saying so.
   */
  readonly moderationModels?: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const iso = (ms: number): string => new Date(ms).toISOString();
const text = (v: unknown): string | NotRecorded =>
  typeof v === 'string' && v.trim() !== '' ? v : NOT_RECORDED;
const tagOf = (tags: readonly Tag[], key: string): string | undefined =>
  tags.find((t) => t.key === key)?.value;

const SAFETY_MODERATION_TAG = 'kaleido.safety.moderation';
const SAFETY_EVAL_PREFIX = 'kaleido.safety.eval.';

/** `id@version` → the data set reference, or undefined when the tag is not of that shape. */
function datasetRef(value: string | undefined): { id: string; version: number } | undefined {
  const m = value === undefined ? null : /^(.+)@([1-9][0-9]*)$/.exec(value);
  return m === null ? undefined : { id: m[1] as string, version: Number(m[2]) };
}

async function runSection(
  deps: ModelCardDeps,
  mv: ModelVersion,
): Promise<{ section: AssembledModelCard['run']; run?: Run }> {
  if (mv.runId === undefined || mv.runId === '')
    return { section: { status: NOT_RECORDED, reason: 'the version names no run' } };
  if (deps.tracking === undefined)
    return { section: { status: NOT_RECORDED, reason: 'no tracking store on this server' } };
  let run: Run;
  try {
    run = await deps.tracking.getRun(mv.runId);
  } catch (e) {
    if (isKaleidoError(e) && e.code === 'ERR_NOT_FOUND')
      return { section: { status: NOT_RECORDED, reason: `run ${mv.runId} does not exist (deleted?)` } };
    throw e;
  }
  let experiment: string | NotRecorded = NOT_RECORDED;
  try {
    experiment = (await deps.tracking.getExperiment(run.info.experimentId)).name;
  } catch (e) {
    if (!(isKaleidoError(e) && e.code === 'ERR_NOT_FOUND')) throw e;
  }
  const lineage = runLineage(run);
  return {
    run,
    section: {
      runId: run.info.runId,
      name: run.info.runName,
      experimentId: run.info.experimentId,
      experiment,
      status: run.info.status,
      startTime: iso(run.info.startTime),
      endTime: run.info.endTime === undefined ? NOT_RECORDED : iso(run.info.endTime),
      params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
      lineage: {
        datasetVersion: lineage.datasetVersion ?? NOT_RECORDED,
        codeVersion: lineage.codeVersion ?? NOT_RECORDED,
        parentStudy: lineage.parentStudy ?? NOT_RECORDED,
        parentRunId: lineage.parentRunId ?? NOT_RECORDED,
      },
    },
  };
}

async function dataSection(
  deps: ModelCardDeps,
  mv: ModelVersion,
  run: Run | undefined,
): Promise<AssembledModelCard['data']> {
  const reference =
    tagOf(mv.tags, LineageTag.DATASET_VERSION) ??
    (run === undefined ? undefined : tagOf(run.data.tags, LineageTag.DATASET_VERSION));
  if (reference === undefined) {
    return {
      status: NOT_RECORDED,
      reason: `neither the version nor its run has a ${LineageTag.DATASET_VERSION} tag`,
    };
  }
  const ref = datasetRef(reference);
  if (ref === undefined || deps.datasets === undefined) {
    return {
      status: NOT_RECORDED,
      reason:
        ref === undefined
          ? 'the data set reference is not of the form <id>@<version> of this server'
          : 'no data set store on this server',
      reference,
    };
  }
  let d: DatasetVersion;
  try {
    d = await deps.datasets.get(ref.id, ref.version);
  } catch (e) {
    if (isKaleidoError(e) && (e.code === 'ERR_NOT_FOUND' || e.code === 'ERR_VALIDATION')) {
      return {
        status: NOT_RECORDED,
        reason: `data set ${reference} is not in this server's store`,
        reference,
      };
    }
    throw e;
  }
  const count = (c: Readonly<Record<string, number>>): number => Object.values(c).reduce((a, b) => a + b, 0);
  return {
    id: d.name,
    version: d.version,
    sha256: d.sha256,
    rows: d.rowCount,
    format: d.format,
    labelField: d.schema.labelField,
    fields: d.schema.fields.map((f) => ({ name: f.name, type: f.type, role: f.role })),
    classBalance: d.classBalance,
    split: {
      train: count(d.split.counts.train),
      validation: count(d.split.counts.validation),
      test: count(d.split.counts.test),
    },
    sensitiveAttributes: d.schema.sensitiveAttributes ?? [],
    description: text(d.description),
  };
}

function safetySection(
  deps: ModelCardDeps,
  model: RegisteredModel,
  mv: ModelVersion,
  card: Readonly<Record<string, unknown>> | undefined,
): AssembledModelCard['safety'] {
  const stored = isObject(card?.['safety']) ? (card?.['safety'] as Record<string, unknown>) : undefined;
  const tagValue = tagOf(mv.tags, SAFETY_MODERATION_TAG) ?? tagOf(model.tags, SAFETY_MODERATION_TAG);
  let moderationModel: boolean | typeof UNKNOWN = UNKNOWN;
  let basis = `no ${SAFETY_MODERATION_TAG} tag, no safety section in the stored card`;
  if (typeof stored?.['moderation'] === 'boolean') {
    moderationModel = stored['moderation'];
    basis = 'the stored model card (safety.moderation)';
  } else if (tagValue === 'true' || tagValue === 'false') {
    moderationModel = tagValue === 'true';
    basis = `the ${SAFETY_MODERATION_TAG} tag`;
  } else if ((deps.moderationModels ?? []).includes(model.name)) {
    moderationModel = true;
    basis = 'the moderation pipeline serves a model of this name';
  }
  const evaluations: Array<Record<string, unknown>> = [];
  if (Array.isArray(stored?.['evaluations'])) {
    for (const e of stored['evaluations'] as unknown[]) if (isObject(e)) evaluations.push(e);
  }
  for (const t of mv.tags) {
    if (t.key.startsWith(SAFETY_EVAL_PREFIX))
      evaluations.push({ name: t.key.slice(SAFETY_EVAL_PREFIX.length), value: t.value, source: 'tag' });
  }
  return { moderationModel, basis, evaluations: evaluations.length === 0 ? NOT_RECORDED : evaluations };
}

/** Assembles the card of `versionOrAlias` (a number, "latest" or an alias) of `name`. */
export async function assembleModelCard(
  deps: ModelCardDeps,
  name: string,
  versionOrAlias: string,
): Promise<AssembledModelCard> {
  const { registry } = deps;
  const model = await registry.getRegisteredModel(name);
  const versionId = await registry.resolveVersion(model.name, versionOrAlias);
  const mv = await registry.getModelVersion(model.name, versionId);
  const card = mv.modelCard;

  // Alias moves of this model that touched this version (paged through the whole history).
  const moves: AliasMove[] = [];
  let pageToken: string | undefined;
  do {
    const page = await registry.aliasHistory(model.name, {
      maxResults: 1000,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    moves.push(...page.moves);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  const aliasHistory = moves
    .filter((m) => m.fromVersion === mv.version || m.toVersion === mv.version)
    .map((m) => ({
      alias: m.alias,
      from: m.fromVersion ?? null,
      to: m.toVersion ?? null,
      actor: m.actor,
      at: iso(m.at),
    }));

  const { section: run, run: runRecord } = await runSection(deps, mv);
  const data = await dataSection(deps, mv, runRecord);

  const reports = deps.fairness !== undefined ? await deps.fairness.listReports(mv) : [];
  const fairness: AssembledModelCard['fairness'] =
    reports.length === 0
      ? {
          status: 'not evaluated',
          reason:
            'no fairness report: the training data declared no sensitive attribute and none was requested (POST /v1/registry/models/{name}/versions/{version}/fairness)',
        }
      : { ...summarizeFairness(reports), reports };

  const limitations = card?.['limitations'];
  const storedKeys = card === undefined ? NOT_RECORDED : Object.keys(card).sort();
  const training: Record<string, unknown> = {};
  for (const k of ['kind', 'classes', 'inputDim', 'featurizer', 'training', 'study']) {
    if (card?.[k] !== undefined) training[k] = card[k];
  }
  return {
    schema: MODEL_CARD_SCHEMA,
    model: {
      name: model.name,
      description: text(model.description),
      tags: model.tags,
      aliases: model.aliases.map((a) => ({ alias: a.alias, version: a.version })),
    },
    version: {
      version: mv.version,
      status: mv.status,
      statusMessage: text(mv.statusMessage),
      description: text(mv.description),
      registeredBy: text(mv.userId),
      createdAt: iso(mv.creationTime),
      updatedAt: iso(mv.lastUpdatedTime),
      source: mv.source,
      sha256: mv.sha256 ?? NOT_RECORDED,
      signature: mv.signature ?? NOT_RECORDED,
      aliases: mv.aliases,
      tags: mv.tags,
    },
    aliasHistory,
    metrics: Object.keys(mv.metrics).length === 0 ? NOT_RECORDED : mv.metrics,
    run,
    data,
    intendedUse: text(card?.['intendedUse']),
    limitations:
      typeof limitations === 'string' && limitations.trim() !== ''
        ? [limitations]
        : Array.isArray(limitations) &&
            limitations.length > 0 &&
            limitations.every((l) => typeof l === 'string')
          ? (limitations as string[])
          : NOT_RECORDED,
    training: Object.keys(training).length === 0 ? NOT_RECORDED : training,
    evaluation: isObject(card?.['evaluation'])
      ? (card?.['evaluation'] as Record<string, unknown>)
      : NOT_RECORDED,
    fairness,
    safety: safetySection(deps, model, mv, card),
    storedCard: storedKeys,
  };
}

// ---- Markdown ---------------------------------------------------------------------------------

const num = (x: unknown): string =>
  typeof x === 'number'
    ? Number.isInteger(x)
      ? String(x)
      : x.toFixed(4)
    : x === null
      ? 'undefined'
      : String(x);
/** Ends a free text with a full stop unless it already ends with punctuation. */
const sentence = (s: string): string => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
/** Table cells: pipes and newlines would break the row. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function tagLines(tags: readonly Tag[]): string[] {
  return tags.length === 0
    ? [`- Tags: ${NOT_RECORDED}`]
    : tags.map((t) => `- \`${t.key}\` = ${cell(t.value)}`);
}

/** The card for people. Same facts as the JSON; "not recorded" where the JSON says so. */
export function renderModelCardMarkdown(card: AssembledModelCard): string {
  const { model, version: v } = card;
  const out: string[] = [
    `# Model card: ${model.name} version ${v.version}`,
    '',
    `${v.description === NOT_RECORDED ? `Version description: ${NOT_RECORDED}.` : v.description}`,
    '',
    '## Model and version',
    '',
    `- Registered model: ${model.name}; description: ${sentence(model.description)}`,
    `- Status: ${v.status}${v.statusMessage === NOT_RECORDED ? '' : ` (${v.statusMessage})`}; registered by ${v.registeredBy} on ${v.createdAt}; last updated ${v.updatedAt}.`,
    `- Source: \`${v.source}\`; sha256: ${v.sha256 === NOT_RECORDED ? NOT_RECORDED : `\`${v.sha256}\``}.`,
    `- Aliases now: ${v.aliases.length === 0 ? 'none' : v.aliases.join(', ')}. All aliases of the model: ${model.aliases.length === 0 ? 'none' : model.aliases.map((a) => `${a.alias} → ${a.version}`).join(', ')}.`,
    `- Signature: ${
      v.signature === NOT_RECORDED || v.signature === undefined
        ? NOT_RECORDED
        : `inputs ${v.signature.inputs.map((t) => `\`${t.name}\` ${t.datatype} [${t.shape.join(', ')}]`).join(', ')}; outputs ${v.signature.outputs.map((t) => `\`${t.name}\` ${t.datatype} [${t.shape.join(', ')}]`).join(', ')}`
    }.`,
    '',
    'Version tags:',
    '',
    ...tagLines(v.tags),
    '',
    'Alias history of this version:',
    '',
    ...(card.aliasHistory.length === 0
      ? ['- none']
      : card.aliasHistory.map(
          (m) => `- ${m.at}: \`${m.alias}\` ${m.from ?? '(unset)'} → ${m.to ?? '(unset)'} by ${m.actor}`,
        )),
    '',
    '## Intended use',
    '',
    card.intendedUse === NOT_RECORDED ? `Intended use: ${NOT_RECORDED}.` : card.intendedUse,
    '',
    '## Data',
    '',
  ];
  const d = card.data;
  if ('status' in d) {
    out.push(
      `Training data: ${NOT_RECORDED} (${d.reason}${d.reference === undefined ? '' : `; reference \`${d.reference}\``}).`,
    );
  } else {
    out.push(
      `- Data set \`${d.id}\` version ${d.version} (${d.format}, sha256 \`${d.sha256.slice(0, 16)}…\`), ${d.rows} rows; split train ${d.split['train']}, validation ${d.split['validation']}, test ${d.split['test']}.`,
      `- Label field \`${d.labelField}\`; class balance: ${Object.entries(d.classBalance)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}.`,
      `- Fields: ${d.fields.map((f) => `${f.name} (${f.type}, ${f.role})`).join(', ')}.`,
      `- Sensitive attributes: ${d.sensitiveAttributes.length === 0 ? 'none declared' : d.sensitiveAttributes.join(', ')}.`,
      `- Description: ${sentence(d.description)}`,
    );
  }
  out.push('', '## Training run', '');
  const r = card.run;
  if ('reason' in r) {
    out.push(`Run: ${NOT_RECORDED} (${r.reason}).`);
  } else {
    out.push(
      `- Run \`${r.runId}\` (${r.name}) in experiment ${r.experiment} (id ${r.experimentId}), ${r.status}, started ${r.startTime}, ended ${r.endTime}.`,
      `- Lineage: data set ${r.lineage.datasetVersion}; code version ${r.lineage.codeVersion}; parent study ${r.lineage.parentStudy}; parent run ${r.lineage.parentRunId}.`,
      `- Params: ${
        Object.keys(r.params).length === 0
          ? NOT_RECORDED
          : Object.entries(r.params)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => `${k} = ${cell(x.length > 120 ? `${x.slice(0, 117)}…` : x)}`)
              .join('; ')
      }.`,
      `- Metrics (latest): ${
        Object.keys(r.metrics).length === 0
          ? NOT_RECORDED
          : Object.entries(r.metrics)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => `${k} ${num(x)}`)
              .join(', ')
      }.`,
    );
  }
  out.push('', '## Metrics snapshot', '');
  if (card.metrics === NOT_RECORDED) out.push(`Metrics: ${NOT_RECORDED}.`);
  else {
    out.push(
      '| metric | value |',
      '| --- | --- |',
      ...Object.entries(card.metrics)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => `| ${k} | ${num(x)} |`),
    );
  }
  out.push('', '## Evaluation', '');
  const ev = card.evaluation;
  if (ev === NOT_RECORDED) out.push(`Held-out evaluation report: ${NOT_RECORDED}.`);
  else {
    out.push(
      `On the ${String(ev['split'])} split (${num(ev['rows'])} rows): accuracy ${num(ev['accuracy'])}, macro F1 ${num(ev['macroF1'])}, ROC-AUC ${num(ev['rocAuc'])}, log loss ${num(ev['logLoss'])}, ECE ${num(ev['ece'])}.`,
    );
  }
  out.push('', '## Fairness', '');
  const f = card.fairness;
  if ('status' in f) out.push(`Fairness: ${f.status} (${f.reason}).`);
  else {
    out.push(
      `Summary over ${f.reports.length} report(s): ${f.flagged ? '**FLAGGED**' : 'within thresholds'}; worst demographic parity difference ${num(f.demographicParityDifference)}, equalized-odds difference ${num(f.equalizedOddsDifference)}, disparate-impact ratio ${num(f.disparateImpactRatio)}; attributes ${f.attributes.join(', ')}.`,
      '',
      ...fairnessMarkdown(f.reports),
    );
  }
  out.push('', '## Safety evaluations', '');
  const s = card.safety;
  out.push(
    `- Moderation model: ${s.moderationModel === UNKNOWN ? UNKNOWN : s.moderationModel ? 'yes' : 'no'} (basis: ${s.basis}).`,
  );
  if (s.evaluations === NOT_RECORDED) out.push(`- Safety evaluations: ${NOT_RECORDED}.`);
  else out.push(...s.evaluations.map((e) => `- ${cell(JSON.stringify(e))}`));
  out.push('', '## Limitations', '');
  if (card.limitations === NOT_RECORDED) out.push(`Limitations: ${NOT_RECORDED}.`);
  else out.push(...card.limitations.map((l) => `- ${l}`));
  out.push(
    '',
    '---',
    '',
    `Assembled from the registry (${card.storedCard === NOT_RECORDED ? 'no card stored with the version' : `stored card sections: ${card.storedCard.join(', ')}`}).`,
    '',
  );
  return out.join('\n');
}
