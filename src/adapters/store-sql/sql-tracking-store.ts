/**
 * The TrackingStore shared by the SQLite and PostgreSQL adapters (same query text on both).
 *
 * Writes that must be all-or-nothing or that check before they write (experiment ids and names,
 * parameter immutability, batches) run in one transaction holding a named lock; the lock names
 * are per run where possible so unrelated runs log in parallel on PostgreSQL.
 *
 * Every query is restricted to the view's tenant: experiments by their `tenant_id`, runs through
 * their experiment. Experiment ids stay platform-wide integers (MLflow's shape), so the id lock is
 * shared; names are unique per tenant.
 */
import { KaleidoError } from '../../core/errors.js';
import {
  LifecycleStage,
  type Experiment,
  type ExperimentSearch,
  type Metric,
  type NewExperiment,
  type NewRun,
  type Page,
  type Run,
  type RunBatch,
  type RunInfo,
  type RunSearch,
  type RunStatus,
  type RunUpdate,
  type Tag,
  type TrackingStore,
  type ViewType,
} from '../../core/ports/tracking-store.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { SqlClient, SqlExecutor, SqlValue } from './sql-client.js';
import { orderClause, placeholders, whereClause, type SearchSchema } from './sql-search.js';

const EXPERIMENT_LOCK = 'kaleido.tracking.experiments';
const runLock = (runId: string): string => `kaleido.tracking.run:${runId}`;
const DEFAULT_EXPERIMENT_NAME = 'Default';

interface ExperimentRow {
  experiment_id: number | string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number | string;
  last_update_time: number | string;
  [column: string]: unknown;
}

interface RunRow {
  run_id: string;
  experiment_id: number | string;
  run_name: string;
  user_id: string;
  status: string;
  start_time: number | string;
  end_time: number | string | null;
  lifecycle_stage: string;
  artifact_uri: string;
  [column: string]: unknown;
}

interface KeyValueRow {
  owner: string | number;
  key: string;
  value: string;
  [column: string]: unknown;
}

interface MetricRow {
  run_id: string;
  key: string;
  value: number | string;
  timestamp: number | string;
  step: number | string;
  [column: string]: unknown;
}

const EXPERIMENT_COLUMNS =
  'e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time';
const RUN_COLUMNS =
  'r.run_id, r.experiment_id, r.run_name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri';

const EXPERIMENT_SEARCH: SearchSchema = {
  attributes: {
    name: { sql: 'e.name', type: 'text' },
    experiment_id: { sql: 'e.experiment_id', type: 'number' },
    creation_time: { sql: 'e.creation_time', type: 'number' },
    last_update_time: { sql: 'e.last_update_time', type: 'number' },
  },
  sides: { tag: { table: 'experiment_tags', join: 's.experiment_id = e.experiment_id', type: 'text' } },
};

const RUN_SEARCH: SearchSchema = {
  attributes: {
    run_id: { sql: 'r.run_id', type: 'text' },
    run_name: { sql: 'r.run_name', type: 'text' },
    user_id: { sql: 'r.user_id', type: 'text' },
    status: { sql: 'r.status', type: 'text' },
    artifact_uri: { sql: 'r.artifact_uri', type: 'text' },
    start_time: { sql: 'r.start_time', type: 'number' },
    end_time: { sql: 'r.end_time', type: 'number' },
  },
  sides: {
    metric: { table: 'run_latest_metrics', join: 's.run_id = r.run_id', type: 'number' },
    param: { table: 'run_params', join: 's.run_id = r.run_id', type: 'text' },
    tag: { table: 'run_tags', join: 's.run_id = r.run_id', type: 'text' },
  },
};

/** pg returns BIGINT as a string; every value stored here is a safe integer. */
const num = (v: number | string): number => Number(v);

/** Experiment ids are decimal strings on the port and integers in the table. */
function experimentKey(experimentId: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,14})$/.test(experimentId)) return undefined;
  return Number(experimentId);
}

function stagesOf(view: ViewType): string[] {
  if (view === 'ACTIVE_ONLY') return [LifecycleStage.ACTIVE];
  if (view === 'DELETED_ONLY') return [LifecycleStage.DELETED];
  return [LifecycleStage.ACTIVE, LifecycleStage.DELETED];
}

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function notFound(what: string, id: string): KaleidoError {
  return new KaleidoError('ERR_NOT_FOUND', `${what} ${id} does not exist`, {
    details: { resource: what, id },
  });
}

/** Groups side-table rows by owner, each group sorted by key. */
function group(rows: KeyValueRow[]): Map<string, Tag[]> {
  const out = new Map<string, Tag[]>();
  for (const r of rows) {
    const owner = String(r.owner);
    let list = out.get(owner);
    if (list === undefined) out.set(owner, (list = []));
    list.push({ key: r.key, value: r.value });
  }
  for (const list of out.values()) list.sort(byKey);
  return out;
}

const toMetric = (r: MetricRow): Metric => ({
  key: r.key,
  value: Number(r.value),
  timestamp: num(r.timestamp),
  step: num(r.step),
});

export class SqlTrackingStore implements TrackingStore {
  constructor(
    private readonly client: () => SqlClient,
    readonly tenantId: string = SYSTEM_TENANT,
  ) {}

  forTenant(tenantId: string): SqlTrackingStore {
    return tenantId === this.tenantId ? this : new SqlTrackingStore(this.client, tenantId);
  }

  private get db(): SqlClient {
    return this.client();
  }

  // ---- experiments ------------------------------------------------------------------------

  private async experimentsWhere(
    where: string,
    params: SqlValue[],
    db: SqlExecutor = this.db,
  ): Promise<Experiment[]> {
    const rows = await db.query<ExperimentRow>(
      `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.tenant_id = ? AND (${where})`,
      [this.tenantId, ...params],
    );
    return this.hydrateExperiments(rows, db);
  }

  private async hydrateExperiments(rows: ExperimentRow[], db: SqlExecutor = this.db): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => num(r.experiment_id));
    const tags = group(
      await db.query<KeyValueRow>(
        `SELECT experiment_id AS owner, key, value FROM experiment_tags WHERE experiment_id IN (${placeholders(ids.length)})`,
        ids,
      ),
    );
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      creationTime: num(r.creation_time),
      lastUpdateTime: num(r.last_update_time),
      tags: tags.get(String(r.experiment_id)) ?? [],
    }));
  }

  async createExperiment(e: NewExperiment): Promise<Experiment> {
    return this.db.transaction(EXPERIMENT_LOCK, async (tx) => {
      const taken = await tx.query('SELECT 1 AS x FROM experiments WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        e.name,
      ]);
      if (taken.length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `an experiment named "${e.name}" already exists`, {
          details: { resource: 'experiment', name: e.name },
        });
      }
      const [max] = await tx.query<{ m: number | string | null }>(
        'SELECT MAX(experiment_id) AS m FROM experiments',
      );
      const id = max?.m === null || max?.m === undefined ? 1 : num(max.m) + 1;
      const location =
        typeof e.artifactLocation === 'function' ? e.artifactLocation(String(id)) : e.artifactLocation;
      await tx.query(
        `INSERT INTO experiments (experiment_id, tenant_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, this.tenantId, e.name, location, LifecycleStage.ACTIVE, e.time, e.time],
      );
      for (const t of e.tags) {
        await tx.query(
          `INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
           ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`,
          [id, t.key, t.value],
        );
      }
      const [created] = await this.experimentsWhere('e.experiment_id = ?', [id], tx);
      return created as Experiment;
    });
  }

  async ensureDefaultExperiment(artifactLocation: string, time: number): Promise<Experiment> {
    return this.db.transaction(EXPERIMENT_LOCK, async (tx) => {
      if (this.tenantId === SYSTEM_TENANT) {
        // DO NOTHING on any conflict: id 0 or the name may already be in use.
        await tx.query(
          `INSERT INTO experiments (experiment_id, tenant_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
           VALUES (0, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          [this.tenantId, DEFAULT_EXPERIMENT_NAME, artifactLocation, LifecycleStage.ACTIVE, time, time],
        );
      }
      const found = await this.experimentsWhere(
        'e.experiment_id = 0 OR e.name = ?',
        [DEFAULT_EXPERIMENT_NAME],
        tx,
      );
      found.sort((a, b) => Number(a.experimentId) - Number(b.experimentId));
      if (found[0] !== undefined) return found[0];
      // Id 0 is the system tenant's Default; another tenant's Default gets the next free id (its
      // artifact location names that id, not 0).
      const [max] = await tx.query<{ m: number | string | null }>(
        'SELECT MAX(experiment_id) AS m FROM experiments',
      );
      const id = max?.m === null || max?.m === undefined ? 1 : num(max.m) + 1;
      const location = artifactLocation.replace(/\/0$/, `/${id}`);
      await tx.query(
        `INSERT INTO experiments (experiment_id, tenant_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, this.tenantId, DEFAULT_EXPERIMENT_NAME, location, LifecycleStage.ACTIVE, time, time],
      );
      return (await this.experimentsWhere('e.experiment_id = ?', [id], tx))[0] as Experiment;
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment | undefined> {
    const id = experimentKey(experimentId);
    if (id === undefined) return undefined;
    return (await this.experimentsWhere('e.experiment_id = ?', [id]))[0];
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return (await this.experimentsWhere('e.name = ?', [name]))[0];
  }

  async searchExperiments(q: ExperimentSearch): Promise<Page<Experiment>> {
    const stages = stagesOf(q.viewType);
    const where = whereClause(this.db.dialect, EXPERIMENT_SEARCH, q.filter);
    const order = orderClause(EXPERIMENT_SEARCH, q.orderBy, 'e.creation_time DESC, e.experiment_id DESC');
    const rows = await this.db.query<ExperimentRow>(
      `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e
       WHERE e.tenant_id = ? AND e.lifecycle_stage IN (${placeholders(stages.length)}) AND ${where.sql}
       ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      [this.tenantId, ...stages, ...where.params, ...order.params, q.maxResults + 1, q.offset],
    );
    return this.page(
      await this.hydrateExperiments(rows.slice(0, q.maxResults)),
      rows.length > q.maxResults,
      q,
    );
  }

  private page<T>(items: T[], more: boolean, q: { offset: number; maxResults: number }): Page<T> {
    return more ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  private async requireExperiment(tx: SqlExecutor, experimentId: string): Promise<ExperimentRow> {
    const id = experimentKey(experimentId);
    const rows =
      id === undefined
        ? []
        : await tx.query<ExperimentRow>(
            `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.tenant_id = ? AND e.experiment_id = ?`,
            [this.tenantId, id],
          );
    const row = rows[0];
    if (row === undefined) throw notFound('experiment', experimentId);
    return row;
  }

  async renameExperiment(experimentId: string, newName: string, time: number): Promise<void> {
    await this.db.transaction(EXPERIMENT_LOCK, async (tx) => {
      const row = await this.requireExperiment(tx, experimentId);
      if (row.name === newName) return;
      const taken = await tx.query('SELECT 1 AS x FROM experiments WHERE tenant_id = ? AND name = ?', [
        this.tenantId,
        newName,
      ]);
      if (taken.length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `an experiment named "${newName}" already exists`, {
          details: { resource: 'experiment', name: newName },
        });
      }
      await tx.query('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [
        newName,
        time,
        num(row.experiment_id),
      ]);
    });
  }

  async setExperimentStage(experimentId: string, stage: LifecycleStage, time: number): Promise<void> {
    await this.db.transaction(EXPERIMENT_LOCK, async (tx) => {
      const row = await this.requireExperiment(tx, experimentId);
      const id = num(row.experiment_id);
      await tx.query(
        'UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?',
        [stage, time, id],
      );
      // The runs follow their experiment, as in MLflow: a deleted experiment's runs stop
      // appearing in active searches, and restoring the experiment brings them back.
      await tx.query('UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?', [stage, id]);
    });
  }

  async setExperimentTag(experimentId: string, tag: Tag, time: number): Promise<void> {
    await this.db.transaction(EXPERIMENT_LOCK, async (tx) => {
      const row = await this.requireExperiment(tx, experimentId);
      const id = num(row.experiment_id);
      await tx.query(
        `INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`,
        [id, tag.key, tag.value],
      );
      await tx.query('UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?', [time, id]);
    });
  }

  // ---- runs -------------------------------------------------------------------------------

  private async hydrateRuns(rows: RunRow[], db: SqlExecutor = this.db): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_id);
    const inList = placeholders(ids.length);
    const params = group(
      await db.query<KeyValueRow>(
        `SELECT run_id AS owner, key, value FROM run_params WHERE run_id IN (${inList})`,
        ids,
      ),
    );
    const tags = group(
      await db.query<KeyValueRow>(
        `SELECT run_id AS owner, key, value FROM run_tags WHERE run_id IN (${inList})`,
        ids,
      ),
    );
    const metrics = new Map<string, Metric[]>();
    for (const m of await db.query<MetricRow>(
      `SELECT run_id, key, value, timestamp, step FROM run_latest_metrics WHERE run_id IN (${inList})`,
      ids,
    )) {
      let list = metrics.get(m.run_id);
      if (list === undefined) metrics.set(m.run_id, (list = []));
      list.push(toMetric(m));
    }
    for (const list of metrics.values()) list.sort(byKey);
    return rows.map((r) => ({
      info: toRunInfo(r),
      data: {
        metrics: metrics.get(r.run_id) ?? [],
        params: params.get(r.run_id) ?? [],
        tags: tags.get(r.run_id) ?? [],
      },
    }));
  }

  private async runRow(db: SqlExecutor, runId: string): Promise<RunRow | undefined> {
    const rows = await db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id
       WHERE r.run_id = ? AND e.tenant_id = ?`,
      [runId, this.tenantId],
    );
    return rows[0];
  }

  private async requireRun(db: SqlExecutor, runId: string, active: boolean): Promise<RunRow> {
    const row = await this.runRow(db, runId);
    if (row === undefined) throw notFound('run', runId);
    if (active && row.lifecycle_stage !== LifecycleStage.ACTIVE) {
      throw new KaleidoError('ERR_INVALID_STATE', `run ${runId} is deleted; restore it before changing it`, {
        details: { resource: 'run', id: runId, lifecycleStage: row.lifecycle_stage },
      });
    }
    return row;
  }

  async createRun(r: NewRun): Promise<Run> {
    return this.db.transaction(runLock(r.runId), async (tx) => {
      const experiment = await this.requireExperiment(tx, r.experimentId);
      if (experiment.lifecycle_stage !== LifecycleStage.ACTIVE) {
        throw new KaleidoError(
          'ERR_INVALID_STATE',
          `experiment ${r.experimentId} is deleted; runs cannot be created in it`,
          {
            details: { resource: 'experiment', id: r.experimentId },
          },
        );
      }
      // Run ids are platform-wide (the service draws them at random): checked across tenants.
      if ((await tx.query('SELECT 1 AS x FROM runs WHERE run_id = ?', [r.runId])).length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `run ${r.runId} already exists`, {
          details: { resource: 'run', id: r.runId },
        });
      }
      await tx.query(
        `INSERT INTO runs (run_id, experiment_id, run_name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
         VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
        [
          r.runId,
          num(experiment.experiment_id),
          r.runName,
          r.userId,
          r.status,
          r.startTime,
          LifecycleStage.ACTIVE,
          r.artifactUri,
        ],
      );
      await this.writeTags(tx, r.runId, r.tags);
      const row = await this.requireRun(tx, r.runId, false);
      return (await this.hydrateRuns([row], tx))[0] as Run;
    });
  }

  async getRun(runId: string): Promise<Run | undefined> {
    const row = await this.runRow(this.db, runId);
    return row === undefined ? undefined : (await this.hydrateRuns([row]))[0];
  }

  async updateRun(runId: string, update: RunUpdate): Promise<RunInfo> {
    return this.db.transaction(runLock(runId), async (tx) => {
      const row = await this.requireRun(tx, runId, true);
      const next: RunRow = {
        ...row,
        ...(update.status === undefined ? {} : { status: update.status }),
        ...(update.endTime === undefined ? {} : { end_time: update.endTime }),
        ...(update.runName === undefined ? {} : { run_name: update.runName }),
      };
      await tx.query('UPDATE runs SET status = ?, end_time = ?, run_name = ? WHERE run_id = ?', [
        next.status,
        next.end_time === null ? null : num(next.end_time),
        next.run_name,
        runId,
      ]);
      // MLflow keeps the run name in the mlflow.runName tag too; keep them in step.
      if (update.runName !== undefined)
        await this.writeTags(tx, runId, [{ key: 'mlflow.runName', value: update.runName }]);
      return toRunInfo(next);
    });
  }

  async setRunStage(runId: string, stage: LifecycleStage): Promise<void> {
    await this.db.transaction(runLock(runId), async (tx) => {
      await this.requireRun(tx, runId, false);
      await tx.query('UPDATE runs SET lifecycle_stage = ? WHERE run_id = ?', [stage, runId]);
    });
  }

  private async writeTags(tx: SqlExecutor, runId: string, tags: readonly Tag[]): Promise<void> {
    for (const t of tags) {
      await tx.query(
        `INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
        [runId, t.key, t.value],
      );
    }
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    await this.db.transaction(runLock(runId), async (tx) => {
      await this.requireRun(tx, runId, true);
      for (const p of batch.params) {
        await tx.query(
          'INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING',
          [runId, p.key, p.value],
        );
        const [stored] = await tx.query<{ value: string }>(
          'SELECT value FROM run_params WHERE run_id = ? AND key = ?',
          [runId, p.key],
        );
        if (stored !== undefined && stored.value !== p.value) {
          throw new KaleidoError(
            'ERR_ALREADY_EXISTS',
            `param "${p.key}" of run ${runId} was already logged with value "${stored.value}"; params are immutable`,
            {
              details: {
                reason: 'param-already-logged',
                runId,
                key: p.key,
                loggedValue: stored.value,
                newValue: p.value,
              },
            },
          );
        }
      }
      for (const m of batch.metrics) {
        await tx.query(
          'INSERT INTO run_metrics (run_id, key, value, timestamp, step) VALUES (?, ?, ?, ?, ?)',
          [runId, m.key, m.value, m.timestamp, m.step],
        );
        // The latest value is the greatest (step, timestamp, value); the WHERE keeps it when an
        // older point arrives late.
        await tx.query(
          `INSERT INTO run_latest_metrics (run_id, key, value, timestamp, step) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step
           WHERE excluded.step > run_latest_metrics.step
              OR (excluded.step = run_latest_metrics.step AND excluded.timestamp > run_latest_metrics.timestamp)
              OR (excluded.step = run_latest_metrics.step AND excluded.timestamp = run_latest_metrics.timestamp
                  AND excluded.value > run_latest_metrics.value)`,
          [runId, m.key, m.value, m.timestamp, m.step],
        );
      }
      await this.writeTags(tx, runId, batch.tags);
    });
  }

  async deleteRunTag(runId: string, key: string): Promise<void> {
    await this.db.transaction(runLock(runId), async (tx) => {
      await this.requireRun(tx, runId, true);
      const existing = await tx.query('SELECT 1 AS x FROM run_tags WHERE run_id = ? AND key = ?', [
        runId,
        key,
      ]);
      if (existing.length === 0) {
        throw new KaleidoError('ERR_NOT_FOUND', `run ${runId} has no tag "${key}"`, {
          details: { resource: 'tag', runId, key },
        });
      }
      await tx.query('DELETE FROM run_tags WHERE run_id = ? AND key = ?', [runId, key]);
    });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults: number; offset: number },
  ): Promise<Page<Metric>> {
    if ((await this.runRow(this.db, runId)) === undefined) throw notFound('run', runId);
    const rows = await this.db.query<MetricRow>(
      `SELECT run_id, key, value, timestamp, step FROM run_metrics WHERE run_id = ? AND key = ?
       ORDER BY step, timestamp, id LIMIT ? OFFSET ?`,
      [runId, key, page.maxResults + 1, page.offset],
    );
    return this.page(rows.slice(0, page.maxResults).map(toMetric), rows.length > page.maxResults, page);
  }

  async searchRuns(q: RunSearch): Promise<Page<Run>> {
    const ids = q.experimentIds.map(experimentKey).filter((id): id is number => id !== undefined);
    if (ids.length === 0) return { items: [] };
    const stages = stagesOf(q.viewType);
    const where = whereClause(this.db.dialect, RUN_SEARCH, q.filter);
    const order = orderClause(RUN_SEARCH, q.orderBy, 'r.start_time DESC, r.run_id ASC');
    const rows = await this.db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r
       WHERE r.experiment_id IN (${placeholders(ids.length)}) AND r.lifecycle_stage IN (${placeholders(stages.length)})
         AND r.experiment_id IN (SELECT x.experiment_id FROM experiments x WHERE x.tenant_id = ?)
         AND ${where.sql}
       ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      [...ids, ...stages, this.tenantId, ...where.params, ...order.params, q.maxResults + 1, q.offset],
    );
    return this.page(await this.hydrateRuns(rows.slice(0, q.maxResults)), rows.length > q.maxResults, q);
  }
}

function toRunInfo(r: RunRow): RunInfo {
  return {
    runId: r.run_id,
    experimentId: String(r.experiment_id),
    runName: r.run_name,
    userId: r.user_id,
    status: r.status as RunStatus,
    startTime: num(r.start_time),
    ...(r.end_time === null ? {} : { endTime: num(r.end_time) }),
    lifecycleStage: r.lifecycle_stage as LifecycleStage,
    artifactUri: r.artifact_uri,
  };
}
