/**
 * StudyStore over SQL (SQLite or PostgreSQL, same queries): one row per study in `studies`
 * (migrations-lifecycle2.ts) with the whole record as JSON, and name, state and times in their own
 * columns (the name is unique, the state is compared-and-set).
 *
 * The store does not own the connection; whoever opened the SqlClient closes it.
 */
import { KaleidoError } from '../../core/errors.js';
import type { StudyPatch, StudyRecord, StudyState, StudyStore } from '../../core/ports/study-store.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { SqlClient } from './sql-client.js';
import { decodeRecordJson, encodeRecordJson, ownerAndStateFilter } from './sql-training-job-store.js';

const LOCK = 'kaleido.studies';

interface StudyRow {
  record: string;
  tenant_id: string;
  [column: string]: unknown;
}

export class SqlStudyStore implements StudyStore {
  constructor(private readonly client: SqlClient) {}

  async insert(study: StudyRecord): Promise<void> {
    await this.client.transaction(LOCK, async (tx) => {
      const tenantId = study.tenantId ?? SYSTEM_TENANT;
      const taken = await tx.query<{ id: string; name: string }>(
        'SELECT id, name FROM studies WHERE id = ? OR (tenant_id = ? AND name = ?)',
        [study.id, tenantId, study.name],
      );
      if (taken.length > 0) {
        const byName = taken.some((r) => r.name === study.name);
        throw new KaleidoError(
          'ERR_ALREADY_EXISTS',
          byName ? `a study named "${study.name}" already exists` : `study ${study.id} already exists`,
          { details: byName ? { name: study.name } : { id: study.id } },
        );
      }
      await tx.query(
        'INSERT INTO studies (id, tenant_id, name, state, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
          study.id,
          tenantId,
          study.name,
          study.state,
          study.createdAt,
          study.updatedAt,
          encodeRecordJson({ ...study, tenantId }),
        ],
      );
    });
  }

  async get(id: string, tenantId?: string): Promise<StudyRecord | undefined> {
    const [row] =
      tenantId === undefined
        ? await this.client.query<StudyRow>('SELECT tenant_id, record FROM studies WHERE id = ?', [id])
        : await this.client.query<StudyRow>(
            'SELECT tenant_id, record FROM studies WHERE id = ? AND tenant_id = ?',
            [id, tenantId],
          );
    return row === undefined ? undefined : decodeStudy(row);
  }

  async getByName(name: string, tenantId: string = SYSTEM_TENANT): Promise<StudyRecord | undefined> {
    const [row] = await this.client.query<StudyRow>(
      'SELECT tenant_id, record FROM studies WHERE tenant_id = ? AND name = ?',
      [tenantId, name],
    );
    return row === undefined ? undefined : decodeStudy(row);
  }

  async update(id: string, patch: StudyPatch, expectedState?: StudyState): Promise<StudyRecord> {
    return this.client.transaction(LOCK, async (tx) => {
      const [row] = await tx.query<StudyRow>('SELECT tenant_id, record FROM studies WHERE id = ?', [id]);
      if (row === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `no study ${id}`, { details: { id } });
      }
      const study = decodeStudy(row);
      if (expectedState !== undefined && study.state !== expectedState) {
        throw new KaleidoError('ERR_INVALID_STATE', `study ${id} is ${study.state}, not ${expectedState}`, {
          details: { id, state: study.state, expectedState },
        });
      }
      const next: StudyRecord = {
        ...study,
        ...patch,
        id: study.id,
        tenantId: study.tenantId,
        name: study.name,
        spec: study.spec,
        createdAt: study.createdAt,
      };
      await tx.query('UPDATE studies SET state = ?, updated_at = ?, record = ? WHERE id = ?', [
        next.state,
        next.updatedAt,
        encodeRecordJson(next),
        id,
      ]);
      return next;
    });
  }

  async list(
    filter: { readonly states?: readonly StudyState[]; readonly tenantId?: string } = {},
  ): Promise<StudyRecord[]> {
    if (filter.states !== undefined && filter.states.length === 0) return [];
    const { where, params } = ownerAndStateFilter(filter);
    const rows = await this.client.query<StudyRow>(
      `SELECT tenant_id, record FROM studies${where} ORDER BY created_at, id`,
      params,
    );
    return rows.map(decodeStudy);
  }
}

/** The record, with its owner from the indexed column (rows written before 0201 lack it in the JSON). */
function decodeStudy(row: StudyRow): StudyRecord {
  return { ...decodeRecordJson<StudyRecord>(row.record), tenantId: row.tenant_id };
}
