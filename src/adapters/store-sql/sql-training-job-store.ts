/**
 * TrainingJobStore over SQL (SQLite or PostgreSQL, same queries): one row per job in
 * `training_jobs` (migrations-lifecycle2.ts) with the whole record as JSON, and the state and
 * creation time in their own columns for listing and compare-and-set.
 *
 * The store does not own the connection: several stores share one SqlClient, and whoever opened
 * it (main.ts) closes it.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  TrainingJobPatch,
  TrainingJobRecord,
  TrainingJobState,
  TrainingJobStore,
} from '../../core/ports/training-jobs.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { SqlClient, SqlValue } from './sql-client.js';

const LOCK = 'kaleido.training_jobs';
const NON_FINITE = '$nonFinite';

/**
 * JSON text of a record. JSON has no NaN or ±Infinity (a diverged run's loss can be either), and
 * JSON.stringify would silently write them as null: they travel as {"$nonFinite": "NaN"}.
 */
export function encodeRecordJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v,
  );
}

export function decodeRecordJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === NON_FINITE) return Number(o[NON_FINITE]);
    }
    return v;
  }) as T;
}

/** `(?, ?, …)` with one placeholder per value, for IN lists. */
/** The record, with its owner from the indexed column (rows written before 0201 lack it in the JSON). */
function decodeJob(row: JobRow): TrainingJobRecord {
  return { ...decodeRecordJson<TrainingJobRecord>(row.record), tenantId: row.tenant_id };
}

export const placeholders = (n: number): string => `(${new Array<string>(n).fill('?').join(', ')})`;

/**
 * The WHERE clause of a lifecycle record listing (training jobs, studies): an optional owner and an
 * optional set of states, both on indexed columns. An empty state set matches nothing: callers
 * answer [] without a query.
 */
export function ownerAndStateFilter(filter: {
  readonly states?: readonly string[];
  readonly tenantId?: string;
}): { where: string; params: SqlValue[] } {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (filter.tenantId !== undefined) {
    conditions.push('tenant_id = ?');
    params.push(filter.tenantId);
  }
  if (filter.states !== undefined) {
    conditions.push(`state IN ${placeholders(filter.states.length)}`);
    params.push(...filter.states);
  }
  return { where: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
}

interface JobRow {
  record: string;
  tenant_id: string;
  [column: string]: unknown;
}

export class SqlTrainingJobStore implements TrainingJobStore {
  constructor(private readonly client: SqlClient) {}

  async insert(job: TrainingJobRecord): Promise<void> {
    await this.client.transaction(LOCK, async (tx) => {
      if ((await tx.query('SELECT 1 AS x FROM training_jobs WHERE id = ?', [job.id])).length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `training job ${job.id} already exists`, {
          details: { id: job.id },
        });
      }
      const tenantId = job.tenantId ?? SYSTEM_TENANT;
      await tx.query(
        'INSERT INTO training_jobs (id, tenant_id, state, created_at, record) VALUES (?, ?, ?, ?, ?)',
        [job.id, tenantId, job.state, job.createdAt, encodeRecordJson({ ...job, tenantId })],
      );
    });
  }

  async get(id: string, tenantId?: string): Promise<TrainingJobRecord | undefined> {
    const [row] =
      tenantId === undefined
        ? await this.client.query<JobRow>('SELECT tenant_id, record FROM training_jobs WHERE id = ?', [id])
        : await this.client.query<JobRow>(
            'SELECT tenant_id, record FROM training_jobs WHERE id = ? AND tenant_id = ?',
            [id, tenantId],
          );
    return row === undefined ? undefined : decodeJob(row);
  }

  async update(
    id: string,
    patch: TrainingJobPatch,
    expectedState?: TrainingJobState,
  ): Promise<TrainingJobRecord> {
    // Read, check and write in one transaction holding the jobs' lock: two writers (two
    // processes, or a cancel racing a worker's exit) cannot both move a job out of one state.
    return this.client.transaction(LOCK, async (tx) => {
      const [row] = await tx.query<JobRow>('SELECT tenant_id, record FROM training_jobs WHERE id = ?', [id]);
      if (row === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `no training job ${id}`, { details: { id } });
      }
      const job = decodeJob(row);
      if (expectedState !== undefined && job.state !== expectedState) {
        throw new KaleidoError(
          'ERR_INVALID_STATE',
          `training job ${id} is ${job.state}, not ${expectedState}`,
          {
            details: { id, state: job.state, expectedState },
          },
        );
      }
      const next: TrainingJobRecord = {
        ...job,
        ...patch,
        id: job.id,
        tenantId: job.tenantId,
        spec: job.spec,
        createdAt: job.createdAt,
      };
      await tx.query('UPDATE training_jobs SET state = ?, record = ? WHERE id = ?', [
        next.state,
        encodeRecordJson(next),
        id,
      ]);
      return next;
    });
  }

  async list(
    filter: { readonly states?: readonly TrainingJobState[]; readonly tenantId?: string } = {},
  ): Promise<TrainingJobRecord[]> {
    if (filter.states !== undefined && filter.states.length === 0) return [];
    const { where, params } = ownerAndStateFilter(filter);
    const rows = await this.client.query<JobRow>(
      `SELECT tenant_id, record FROM training_jobs${where} ORDER BY created_at, id`,
      params,
    );
    return rows.map(decodeJob);
  }
}
