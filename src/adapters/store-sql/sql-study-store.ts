/**
 * StudyStore over SQL (SQLite or PostgreSQL, same queries): one row per study in `studies`
 * (migrations-lifecycle2.ts) with the whole record as JSON, and name, state and times in their own
 * columns (the name is unique, the state is compared-and-set).
 *
 * The store does not own the connection; whoever opened the SqlClient closes it.
 */
import { KaleidoError } from '../../core/errors.js';
import type { StudyPatch, StudyRecord, StudyState, StudyStore } from '../../core/ports/study-store.js';
import type { SqlClient, SqlValue } from './sql-client.js';
import { decodeRecordJson, encodeRecordJson, placeholders } from './sql-training-job-store.js';

const LOCK = 'kaleido.studies';

interface StudyRow {
  record: string;
  [column: string]: unknown;
}

export class SqlStudyStore implements StudyStore {
  constructor(private readonly client: SqlClient) {}

  async insert(study: StudyRecord): Promise<void> {
    await this.client.transaction(LOCK, async (tx) => {
      const taken = await tx.query<{ id: string; name: string }>(
        'SELECT id, name FROM studies WHERE id = ? OR name = ?',
        [study.id, study.name],
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
        'INSERT INTO studies (id, name, state, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?)',
        [study.id, study.name, study.state, study.createdAt, study.updatedAt, encodeRecordJson(study)],
      );
    });
  }

  async get(id: string): Promise<StudyRecord | undefined> {
    const [row] = await this.client.query<StudyRow>('SELECT record FROM studies WHERE id = ?', [id]);
    return row === undefined ? undefined : decodeRecordJson<StudyRecord>(row.record);
  }

  async getByName(name: string): Promise<StudyRecord | undefined> {
    const [row] = await this.client.query<StudyRow>('SELECT record FROM studies WHERE name = ?', [name]);
    return row === undefined ? undefined : decodeRecordJson<StudyRecord>(row.record);
  }

  async update(id: string, patch: StudyPatch, expectedState?: StudyState): Promise<StudyRecord> {
    return this.client.transaction(LOCK, async (tx) => {
      const [row] = await tx.query<StudyRow>('SELECT record FROM studies WHERE id = ?', [id]);
      if (row === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `no study ${id}`, { details: { id } });
      }
      const study = decodeRecordJson<StudyRecord>(row.record);
      if (expectedState !== undefined && study.state !== expectedState) {
        throw new KaleidoError('ERR_INVALID_STATE', `study ${id} is ${study.state}, not ${expectedState}`, {
          details: { id, state: study.state, expectedState },
        });
      }
      const next: StudyRecord = {
        ...study,
        ...patch,
        id: study.id,
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

  async list(filter: { readonly states?: readonly StudyState[] } = {}): Promise<StudyRecord[]> {
    const states = filter.states;
    if (states !== undefined && states.length === 0) return [];
    const where = states === undefined ? '' : ` WHERE state IN ${placeholders(states.length)}`;
    const rows = await this.client.query<StudyRow>(
      `SELECT record FROM studies${where} ORDER BY created_at, id`,
      (states ?? []) as readonly SqlValue[],
    );
    return rows.map((r) => decodeRecordJson<StudyRecord>(r.record));
  }
}
