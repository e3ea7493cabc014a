/**
 * The tracking service: MLflow's experiment/run API over the TrackingStore port. It validates
 * every input (the store trusts shapes), fills MLflow's defaults (Default experiment "0", run
 * names, system tags, artifact locations), turns search strings into clauses and page tokens into
 * offsets. The REST routes (src/server/routes/mlflow.ts) and in-process callers (trainer, HPO)
 * use the same methods.
 */
import { randomUUID } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import {
  LifecycleStage,
  LineageTag,
  RunStatus,
  ViewType,
  type Experiment,
  type Metric,
  type Param,
  type Run,
  type RunInfo,
  type Tag,
  type TrackingStore,
} from '../core/ports/tracking-store.js';
import { parseFilter, parseOrderBy, type SearchSpec } from './search-filter.js';
import {
  MAX_PARAM_VALUE_LENGTH,
  MAX_URI_LENGTH,
  decodePageToken,
  displayName,
  encodePageToken,
  finite,
  integer,
  invalid,
  key,
  maxResults,
  tags as tagList,
  text,
  timestamp,
} from './validation.js';

/** MLflow's log-batch limits. */
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_TOTAL = 1000;
export const DEFAULT_EXPERIMENT_ID = '0';

const RUN_ID = /^[0-9a-f]{32}$/;
const RUN_STATUSES = new Set<string>(Object.values(RunStatus));
const VIEW_TYPES = new Set<string>(Object.values(ViewType));
const TERMINAL = new Set<string>([RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED]);

export const EXPERIMENT_SEARCH_SPEC: SearchSpec = {
  kinds: ['tag'],
  attributes: { name: 'text', experiment_id: 'number', creation_time: 'number', last_update_time: 'number' },
};

export const RUN_SEARCH_SPEC: SearchSpec = {
  kinds: ['metric', 'param', 'tag'],
  attributes: {
    run_id: 'text',
    run_name: 'text',
    user_id: 'text',
    status: 'text',
    artifact_uri: 'text',
    start_time: 'number',
    end_time: 'number',
  },
  aliases: { run_uuid: 'run_id', 'mlflow.runName': 'run_name' },
};

export interface Lineage {
  readonly datasetVersion?: string;
  readonly codeVersion?: string;
  readonly parentStudy?: string;
  readonly parentRunId?: string;
}

export interface TrackingServiceOptions {
  /** Wall clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** New run ids: 32 lowercase hex digits (default: a random UUID without dashes). */
  readonly newRunId?: () => string;
  /** Where experiment artifacts live by default; the experiment id is appended (default "artifacts:/experiments"). */
  readonly artifactRoot?: string;
}

export interface SearchPage {
  readonly maxResults?: unknown;
  readonly pageToken?: unknown;
}

function viewType(value: unknown, field: string): ViewType {
  if (value === undefined || value === null) return ViewType.ACTIVE_ONLY;
  if (typeof value !== 'string' || !VIEW_TYPES.has(value)) {
    throw invalid(field, `must be one of ${[...VIEW_TYPES].join(', ')}`, value);
  }
  return value as ViewType;
}

function runStatus(value: unknown): RunStatus {
  if (typeof value !== 'string' || !RUN_STATUSES.has(value)) {
    throw invalid('status', `must be one of ${[...RUN_STATUSES].join(', ')}`, value);
  }
  return value as RunStatus;
}

export function runId(value: unknown, field = 'run_id'): string {
  if (typeof value !== 'string' || !RUN_ID.test(value))
    throw invalid(field, 'must be 32 lowercase hex digits', value);
  return value;
}

export function experimentId(value: unknown, field = 'experiment_id'): string {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^(0|[1-9][0-9]{0,14})$/.test(s))
    throw invalid(field, 'must be a decimal experiment id', value);
  return s;
}

/** The lineage tags of a run (data set version, code version, parent study / run). */
export function runLineage(run: Run): Lineage {
  const get = (k: string): string | undefined => run.data.tags.find((t) => t.key === k)?.value;
  const out: Record<string, string> = {};
  const pairs: [keyof Lineage, string][] = [
    ['datasetVersion', LineageTag.DATASET_VERSION],
    ['codeVersion', LineageTag.CODE_VERSION],
    ['parentStudy', LineageTag.PARENT_STUDY],
    ['parentRunId', LineageTag.PARENT_RUN_ID],
  ];
  for (const [field, tagKey] of pairs) {
    const v = get(tagKey);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

function lineageTags(lineage: Lineage | undefined): Tag[] {
  if (lineage === undefined) return [];
  const out: Tag[] = [];
  const add = (k: string, v: unknown, field: string): void => {
    if (v !== undefined) out.push({ key: k, value: displayName(field, v, 1024) });
  };
  add(LineageTag.DATASET_VERSION, lineage.datasetVersion, 'lineage.datasetVersion');
  add(LineageTag.CODE_VERSION, lineage.codeVersion, 'lineage.codeVersion');
  add(LineageTag.PARENT_STUDY, lineage.parentStudy, 'lineage.parentStudy');
  if (lineage.parentRunId !== undefined)
    out.push({ key: LineageTag.PARENT_RUN_ID, value: runId(lineage.parentRunId, 'lineage.parentRunId') });
  return out;
}

export class TrackingService {
  private readonly now: () => number;
  private readonly newRunId: () => string;
  private readonly artifactRoot: string;

  private readonly views = new Map<string, TrackingService>();

  constructor(
    private readonly store: TrackingStore,
    private readonly options: TrackingServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newRunId = options.newRunId ?? (() => randomUUID().replaceAll('-', ''));
    this.artifactRoot = (options.artifactRoot ?? 'artifacts:/experiments').replace(/\/+$/, '');
  }

  /** The tenant whose experiments and runs this service sees (the store view's tenant). */
  get tenantId(): string {
    return this.store.tenantId;
  }

  /**
   * The same service for another tenant: every call reads and writes only that tenant's
   * experiments and runs, and another tenant's are answered like missing ones. Each tenant has
   * its own "Default" experiment; MLflow's id "0" names the caller's own Default.
   */
  forTenant(tenantId: string): TrackingService {
    if (tenantId === this.store.tenantId) return this;
    let view = this.views.get(tenantId);
    if (view === undefined) {
      view = new TrackingService(this.store.forTenant(tenantId), this.options);
      this.views.set(tenantId, view);
    }
    return view;
  }

  // ---- experiments --------------------------------------------------------------------------

  async createExperiment(input: {
    name: unknown;
    artifactLocation?: unknown;
    tags?: unknown;
  }): Promise<Experiment> {
    const name = displayName('name', input.name);
    const location =
      input.artifactLocation === undefined || input.artifactLocation === null || input.artifactLocation === ''
        ? (id: string) => `${this.artifactRoot}/${id}`
        : text('artifact_location', input.artifactLocation, MAX_URI_LENGTH);
    return this.store.createExperiment({
      name,
      artifactLocation: location,
      tags: tagList('tags', input.tags),
      time: this.now(),
    });
  }

  /** The Default experiment ("0"), created on first use as MLflow does. */
  async defaultExperiment(): Promise<Experiment> {
    const existing = await this.store.getExperiment(DEFAULT_EXPERIMENT_ID);
    if (existing !== undefined) return existing;
    return this.store.ensureDefaultExperiment(`${this.artifactRoot}/${DEFAULT_EXPERIMENT_ID}`, this.now());
  }

  async getExperiment(id: unknown): Promise<Experiment> {
    const experimentIdValue = experimentId(id);
    const e =
      experimentIdValue === DEFAULT_EXPERIMENT_ID
        ? await this.defaultExperiment()
        : await this.store.getExperiment(experimentIdValue);
    if (e === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `experiment ${experimentIdValue} does not exist`, {
        details: { resource: 'experiment', id: experimentIdValue },
      });
    }
    return e;
  }

  async getExperimentByName(name: unknown): Promise<Experiment> {
    const n = displayName('experiment_name', name);
    let e = await this.store.getExperimentByName(n);
    // The Default experiment exists from the first look, as on an MLflow server.
    if (e === undefined && n === 'Default') e = await this.defaultExperiment();
    if (e === undefined || e.name !== n) {
      throw new KaleidoError('ERR_NOT_FOUND', `experiment "${n}" does not exist`, {
        details: { resource: 'experiment', name: n },
      });
    }
    return e;
  }

  async searchExperiments(
    q: SearchPage & { filter?: unknown; orderBy?: unknown; viewType?: unknown },
  ): Promise<{
    experiments: Experiment[];
    nextPageToken?: string;
  }> {
    const limit = maxResults(q.maxResults, MAX_RESULTS_DEFAULT.experiments);
    const offset = decodePageToken(q.pageToken);
    const page = await this.store.searchExperiments({
      viewType: viewType(q.viewType, 'view_type'),
      filter: parseFilter(q.filter, EXPERIMENT_SEARCH_SPEC),
      orderBy: parseOrderBy(q.orderBy, EXPERIMENT_SEARCH_SPEC),
      maxResults: limit,
      offset,
    });
    return withToken({ experiments: page.items }, page.nextOffset);
  }

  async renameExperiment(id: unknown, newName: unknown): Promise<void> {
    await this.store.renameExperiment(experimentId(id), displayName('new_name', newName), this.now());
  }

  async deleteExperiment(id: unknown): Promise<void> {
    const e = experimentId(id);
    if (e === DEFAULT_EXPERIMENT_ID) {
      throw new KaleidoError('ERR_INVALID_STATE', 'the Default experiment cannot be deleted', {
        details: { resource: 'experiment', id: e },
      });
    }
    await this.store.setExperimentStage(e, LifecycleStage.DELETED, this.now());
  }

  async restoreExperiment(id: unknown): Promise<void> {
    await this.store.setExperimentStage(experimentId(id), LifecycleStage.ACTIVE, this.now());
  }

  async setExperimentTag(id: unknown, tagKey: unknown, value: unknown): Promise<void> {
    await this.store.setExperimentTag(
      experimentId(id),
      { key: key('key', tagKey), value: text('value', value ?? '', 8000) },
      this.now(),
    );
  }

  // ---- runs ---------------------------------------------------------------------------------

  async createRun(input: {
    experimentId?: unknown;
    runName?: unknown;
    userId?: unknown;
    startTime?: unknown;
    tags?: unknown;
    lineage?: Lineage;
  }): Promise<Run> {
    const experiment =
      input.experimentId === undefined || input.experimentId === null || input.experimentId === ''
        ? await this.defaultExperiment()
        : await this.getExperiment(input.experimentId);
    if (experiment.lifecycleStage !== LifecycleStage.ACTIVE) {
      throw new KaleidoError('ERR_INVALID_STATE', `experiment ${experiment.experimentId} is deleted`, {
        details: { resource: 'experiment', id: experiment.experimentId },
      });
    }
    const tags = tagList('tags', input.tags);
    const tagged = (k: string): string | undefined => tags.find((t) => t.key === k)?.value;
    const id = runId(this.newRunId(), 'generated run id');
    const runName =
      input.runName !== undefined && input.runName !== null && input.runName !== ''
        ? displayName('run_name', input.runName, 250)
        : (tagged('mlflow.runName') ?? `run-${id.slice(0, 8)}`);
    const userId =
      input.userId === undefined || input.userId === null
        ? (tagged('mlflow.user') ?? '')
        : text('user_id', input.userId, 256);
    const startTime =
      input.startTime === undefined || input.startTime === null
        ? this.now()
        : timestamp('start_time', input.startTime);
    // System tags as MLflow sets them, then lineage; explicit tags win over neither (lineage is
    // the structured form of the same tags, so a disagreement is the caller's error).
    const system: Tag[] = [
      { key: 'mlflow.runName', value: runName },
      ...(userId === '' ? [] : [{ key: 'mlflow.user', value: userId }]),
    ];
    const lineage = lineageTags(input.lineage);
    for (const l of lineage) {
      const given = tagged(l.key);
      if (given !== undefined && given !== l.value) {
        throw invalid('lineage', `disagrees with tag "${l.key}"`, { tag: given, lineage: l.value });
      }
    }
    const merged = new Map<string, Tag>();
    for (const t of [...tags, ...system, ...lineage]) merged.set(t.key, t);
    const parent = merged.get(LineageTag.PARENT_RUN_ID);
    if (parent !== undefined) {
      runId(parent.value, `tags.${LineageTag.PARENT_RUN_ID}`);
      await this.getRun(parent.value);
    }
    return this.store.createRun({
      runId: id,
      experimentId: experiment.experimentId,
      runName,
      userId,
      status: RunStatus.RUNNING,
      startTime,
      artifactUri: `${experiment.artifactLocation}/${id}/artifacts`,
      tags: [...merged.values()],
    });
  }

  async getRun(id: unknown): Promise<Run> {
    const r = runId(id);
    const run = await this.store.getRun(r);
    if (run === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `run ${r} does not exist`, {
        details: { resource: 'run', id: r },
      });
    }
    return run;
  }

  async updateRun(
    id: unknown,
    update: { status?: unknown; endTime?: unknown; runName?: unknown },
  ): Promise<RunInfo> {
    const r = runId(id);
    const status =
      update.status === undefined || update.status === null ? undefined : runStatus(update.status);
    let endTime =
      update.endTime === undefined || update.endTime === null
        ? undefined
        : timestamp('end_time', update.endTime);
    // A run that reaches a terminal status without an end time ends now, as MLflow clients expect.
    if (endTime === undefined && status !== undefined && TERMINAL.has(status)) endTime = this.now();
    const runName =
      update.runName === undefined || update.runName === null || update.runName === ''
        ? undefined
        : displayName('run_name', update.runName, 250);
    return this.store.updateRun(r, {
      ...(status === undefined ? {} : { status }),
      ...(endTime === undefined ? {} : { endTime }),
      ...(runName === undefined ? {} : { runName }),
    });
  }

  async deleteRun(id: unknown): Promise<void> {
    await this.store.setRunStage(runId(id), LifecycleStage.DELETED);
  }

  async restoreRun(id: unknown): Promise<void> {
    await this.store.setRunStage(runId(id), LifecycleStage.ACTIVE);
  }

  metric(field: string, m: unknown): Metric {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw invalid(field, 'must be an object');
    const v = m as { key?: unknown; value?: unknown; timestamp?: unknown; step?: unknown };
    return {
      key: key(`${field}.key`, v.key),
      value: finite(`${field}.value`, v.value),
      timestamp:
        v.timestamp === undefined || v.timestamp === null
          ? this.now()
          : timestamp(`${field}.timestamp`, v.timestamp),
      step: v.step === undefined || v.step === null ? 0 : integer(`${field}.step`, v.step),
    };
  }

  async logMetric(
    id: unknown,
    m: { key: unknown; value: unknown; timestamp?: unknown; step?: unknown },
  ): Promise<void> {
    await this.store.logBatch(runId(id), { metrics: [this.metric('metric', m)], params: [], tags: [] });
  }

  async logParam(id: unknown, paramKey: unknown, value: unknown): Promise<void> {
    await this.store.logBatch(runId(id), {
      metrics: [],
      params: [param('param', { key: paramKey, value })],
      tags: [],
    });
  }

  async setTag(id: unknown, tagKey: unknown, value: unknown): Promise<void> {
    const r = runId(id);
    const t = tagList('tag', [{ key: tagKey, value }])[0] as Tag;
    await this.store.logBatch(r, { metrics: [], params: [], tags: [t] });
    // mlflow.runName is the run name: keep the attribute in step when a client sets the tag.
    if (t.key === 'mlflow.runName' && t.value !== '')
      await this.store.updateRun(r, { runName: displayName('value', t.value, 250) });
  }

  async deleteTag(id: unknown, tagKey: unknown): Promise<void> {
    await this.store.deleteRunTag(runId(id), key('key', tagKey));
  }

  async logBatch(id: unknown, batch: { metrics?: unknown; params?: unknown; tags?: unknown }): Promise<void> {
    const list = (field: string, v: unknown, max: number): unknown[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) throw invalid(field, 'must be a list');
      if (v.length > max) throw invalid(field, `must hold at most ${max} entries`, v.length);
      return v;
    };
    const metrics = list('metrics', batch.metrics, MAX_BATCH_METRICS).map((m, i) =>
      this.metric(`metrics[${i}]`, m),
    );
    const rawParams = list('params', batch.params, MAX_BATCH_PARAMS).map((p, i) => param(`params[${i}]`, p));
    const tags = tagList('tags', batch.tags, MAX_BATCH_TAGS);
    if (metrics.length + rawParams.length + tags.length > MAX_BATCH_TOTAL) {
      throw invalid('batch', `must hold at most ${MAX_BATCH_TOTAL} metrics, params and tags in total`);
    }
    // The same param twice in one batch must agree, like two separate calls would.
    const params = new Map<string, Param>();
    for (const p of rawParams) {
      const seen = params.get(p.key);
      if (seen !== undefined && seen.value !== p.value) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `param "${p.key}" appears twice with different values`, {
          details: { reason: 'param-already-logged', key: p.key },
        });
      }
      params.set(p.key, p);
    }
    await this.store.logBatch(runId(id), { metrics, params: [...params.values()], tags });
  }

  async getMetricHistory(
    id: unknown,
    metricKey: unknown,
    page: SearchPage = {},
  ): Promise<{ metrics: Metric[]; nextPageToken?: string }> {
    const r = runId(id);
    const k = key('metric_key', metricKey);
    const result = await this.store.getMetricHistory(r, k, {
      maxResults: maxResults(page.maxResults, MAX_RESULTS_DEFAULT.metricHistory),
      offset: decodePageToken(page.pageToken),
    });
    return withToken({ metrics: result.items }, result.nextOffset);
  }

  async searchRuns(
    q: SearchPage & { experimentIds?: unknown; filter?: unknown; orderBy?: unknown; runViewType?: unknown },
  ): Promise<{ runs: Run[]; nextPageToken?: string }> {
    const ids = q.experimentIds === undefined || q.experimentIds === null ? [] : q.experimentIds;
    if (!Array.isArray(ids) || ids.length === 0)
      throw invalid('experiment_ids', 'must list at least one experiment id');
    if (ids.length > 100) throw invalid('experiment_ids', 'may list at most 100 experiments');
    const requested = ids.map((e, i) => experimentId(e, `experiment_ids[${i}]`));
    // "0" is the caller's own Default experiment (another id outside the system tenant).
    const defaultId = requested.includes(DEFAULT_EXPERIMENT_ID)
      ? (await this.defaultExperiment()).experimentId
      : DEFAULT_EXPERIMENT_ID;
    const page = await this.store.searchRuns({
      experimentIds: requested.map((e) => (e === DEFAULT_EXPERIMENT_ID ? defaultId : e)),
      viewType: viewType(q.runViewType, 'run_view_type'),
      filter: parseFilter(q.filter, RUN_SEARCH_SPEC),
      orderBy: parseOrderBy(q.orderBy, RUN_SEARCH_SPEC),
      maxResults: maxResults(q.maxResults, MAX_RESULTS_DEFAULT.runs),
      offset: decodePageToken(q.pageToken),
    });
    return withToken({ runs: page.items }, page.nextOffset);
  }
}

/** MLflow's default page sizes. */
const MAX_RESULTS_DEFAULT = { experiments: 1000, runs: 1000, metricHistory: 1000 } as const;

function param(field: string, p: unknown): Param {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw invalid(field, 'must be an object');
  const v = p as { key?: unknown; value?: unknown };
  const value = typeof v.value === 'number' || typeof v.value === 'boolean' ? String(v.value) : v.value;
  return {
    key: key(`${field}.key`, v.key),
    value: text(`${field}.value`, value ?? '', MAX_PARAM_VALUE_LENGTH),
  };
}

function withToken<T extends object>(
  body: T,
  nextOffset: number | undefined,
): T & { nextPageToken?: string } {
  return nextOffset === undefined ? body : { ...body, nextPageToken: encodePageToken(nextOffset) };
}
