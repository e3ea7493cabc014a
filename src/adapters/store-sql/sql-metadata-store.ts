/**
 * The MetadataStore implementation shared by the SQLite and PostgreSQL adapters: validation, the
 * queries (one text for both dialects) and row mapping. The adapters only supply a SqlClient.
 */
import { KaleidoError } from '../../core/errors.js';
import { ModelState } from '../../core/ports/inference.js';
import {
  DEFAULT_EVENT_PAGE,
  MAX_EVENT_PAGE,
  ModelEventType,
  type MetadataStore,
  type ModelEvent,
  type ModelEventQuery,
  type ModelVersionRecord,
  type ModelVersionUpsert,
} from '../../core/ports/metadata-store.js';
import { metadataMigrations, type Migration } from './migrations.js';
import { runMigrations } from './migrator.js';
import { compareCodePoints, compareVersions } from './ordering.js';
import type { SqlClient, SqlValue } from './sql-client.js';

export interface SqlMetadataStoreOptions {
  /** Wall clock in ms since the epoch, for default timestamps (default Date.now). */
  readonly now?: () => number;
  /** The schema history (default: metadataMigrations); tests and tools may pass another. */
  readonly migrations?: readonly Migration[];
}

/** Identifiers (model and version names) are short; this also bounds index entries. */
const MAX_NAME_LENGTH = 256;
/** Event detail is for diagnostics, not payloads. */
const MAX_DETAIL_BYTES = 1 << 20;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const STATES = new Set<string>(Object.values(ModelState));
const EVENT_TYPES = new Set<string>(Object.values(ModelEventType));
const EVENT_LOCK = 'kaleido.model_events';

function invalid(field: string, message: string, value?: unknown): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', `${field} ${message}`, {
    details: { field, ...(value === undefined ? {} : { value }) },
  });
}

/** PostgreSQL text cannot hold NUL; refusing it on both dialects keeps them interchangeable. */
function text(field: string, value: unknown, maxLength?: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string', typeof value);
  if (value.includes('\u0000')) throw invalid(field, 'must not contain NUL characters');
  if (maxLength !== undefined && value.length > maxLength) {
    throw invalid(field, `must be at most ${maxLength} characters`, value.length);
  }
  return value;
}

function name(field: string, value: unknown): string {
  const s = text(field, value, MAX_NAME_LENGTH);
  if (s === '') throw invalid(field, 'must not be empty');
  return s;
}

function wholeNumber(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(field, `must be an integer >= ${min}`, value);
  }
  return value;
}

function jsonDetail(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('detail', 'must be a JSON object');
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    // BigInt values and cycles.
    throw new KaleidoError('ERR_VALIDATION', 'detail is not serialisable as JSON', {
      details: { field: 'detail' },
      cause,
    });
  }
  if (json.length > MAX_DETAIL_BYTES)
    throw invalid('detail', `must be at most ${MAX_DETAIL_BYTES} bytes of JSON`);
  return json;
}

const optional = <T>(value: T | null | undefined): T | null => (value === undefined ? null : value);

interface VersionRow {
  model: string;
  version: string;
  state: string;
  reason: string;
  sha256: string | null;
  size_bytes: number | string | null;
  platform: string | null;
  updated_at: number | string;
  [column: string]: unknown;
}

interface EventRow {
  id: number | string;
  model: string;
  version: string | null;
  type: string;
  at: number | string;
  detail: string;
  [column: string]: unknown;
}

// pg returns BIGINT as a string (it may exceed 2^53); every value we store is a safe integer.
const toRecord = (r: VersionRow): ModelVersionRecord => ({
  model: r.model,
  version: r.version,
  state: r.state as ModelState,
  reason: r.reason,
  ...(r.sha256 === null ? {} : { sha256: r.sha256 }),
  ...(r.size_bytes === null ? {} : { sizeBytes: Number(r.size_bytes) }),
  ...(r.platform === null ? {} : { platform: r.platform }),
  updatedAt: Number(r.updated_at),
});

const toEvent = (r: EventRow): ModelEvent => ({
  id: Number(r.id),
  model: r.model,
  ...(r.version === null ? {} : { version: r.version }),
  type: r.type as ModelEventType,
  at: Number(r.at),
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

const VERSION_COLUMNS = 'model, version, state, reason, sha256, size_bytes, platform, updated_at';

export class SqlMetadataStore implements MetadataStore {
  private closed = false;
  private readonly now: () => number;
  private readonly migrations: readonly Migration[];

  constructor(
    private readonly client: SqlClient,
    options: SqlMetadataStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.migrations = options.migrations ?? metadataMigrations;
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.client.dialect;
  }

  private open(): SqlClient {
    if (this.closed) throw new KaleidoError('ERR_UNAVAILABLE', 'the metadata store is closed');
    return this.client;
  }

  async migrate(): Promise<{ applied: string[] }> {
    return runMigrations(this.open(), this.migrations, this.now);
  }

  async upsertModelVersion(r: ModelVersionUpsert): Promise<void> {
    if (r === null || typeof r !== 'object') throw invalid('record', 'must be an object');
    const model = name('model', r.model);
    const version = name('version', r.version);
    if (typeof r.state !== 'string' || !STATES.has(r.state)) {
      throw invalid('state', `must be one of ${[...STATES].join(', ')}`, r.state);
    }
    const reason = text('reason', r.reason);
    if (r.sha256 !== undefined && (typeof r.sha256 !== 'string' || !SHA256_HEX.test(r.sha256))) {
      throw invalid('sha256', 'must be 64 lowercase hex digits', r.sha256);
    }
    const sizeBytes = r.sizeBytes === undefined ? undefined : wholeNumber('sizeBytes', r.sizeBytes, 0);
    const platform = r.platform === undefined ? undefined : name('platform', r.platform);
    const updatedAt = wholeNumber('updatedAt', r.updatedAt ?? this.now(), 0);
    const params: SqlValue[] = [
      model,
      version,
      r.state,
      reason,
      optional(r.sha256),
      optional(sizeBytes),
      optional(platform),
      updatedAt,
    ];
    // ON CONFLICT … DO UPDATE is the same text on SQLite (>= 3.24) and PostgreSQL; every column
    // is overwritten, so a record never mixes fields of two writes.
    await this.open().query(
      `INSERT INTO model_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, version) DO UPDATE SET
         state = excluded.state, reason = excluded.reason, sha256 = excluded.sha256,
         size_bytes = excluded.size_bytes, platform = excluded.platform, updated_at = excluded.updated_at`,
      params,
    );
  }

  async getModelVersion(model: string, version: string): Promise<ModelVersionRecord | undefined> {
    const rows = await this.open().query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model = ? AND version = ?`,
      [name('model', model), name('version', version)],
    );
    const row = rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  async listModelVersions(model?: string): Promise<ModelVersionRecord[]> {
    const rows =
      model === undefined
        ? await this.open().query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions`)
        : await this.open().query<VersionRow>(
            `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model = ?`,
            [name('model', model)],
          );
    return rows
      .map(toRecord)
      .sort((a, b) => compareCodePoints(a.model, b.model) || compareVersions(a.version, b.version));
  }

  async appendModelEvent(e: Omit<ModelEvent, 'id'>): Promise<number> {
    if (e === null || typeof e !== 'object') throw invalid('event', 'must be an object');
    const model = name('model', e.model);
    const version = e.version === undefined ? null : name('version', e.version);
    if (typeof e.type !== 'string' || !EVENT_TYPES.has(e.type)) {
      throw invalid('type', `must be one of ${[...EVENT_TYPES].join(', ')}`, e.type);
    }
    const at = wholeNumber('at', e.at, 0);
    const detail = jsonDetail(e.detail);
    // The insert runs under the event lock so that ids become visible in increasing order: with
    // concurrent PostgreSQL transactions a sequence value can otherwise commit after a larger
    // one, and a reader paging with `afterId` would skip it forever.
    const rows = await this.open().transaction(EVENT_LOCK, (tx) =>
      tx.query<{ id: number | string }>(
        'INSERT INTO model_events (model, version, type, at, detail) VALUES (?, ?, ?, ?, ?) RETURNING id',
        [model, version, e.type, at, detail],
      ),
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new KaleidoError('ERR_INTERNAL', 'the event insert returned no id');
    return Number(id);
  }

  async listModelEvents(q: ModelEventQuery = {}): Promise<ModelEvent[]> {
    if (q === null || typeof q !== 'object') throw invalid('query', 'must be an object');
    const afterId = q.afterId === undefined ? 0 : wholeNumber('afterId', q.afterId, 0);
    const limit = q.limit === undefined ? DEFAULT_EVENT_PAGE : wholeNumber('limit', q.limit, 1);
    if (limit > MAX_EVENT_PAGE) throw invalid('limit', `must be at most ${MAX_EVENT_PAGE}`, limit);
    const columns = 'id, model, version, type, at, detail';
    const rows =
      q.model === undefined
        ? await this.open().query<EventRow>(
            `SELECT ${columns} FROM model_events WHERE id > ? ORDER BY id LIMIT ?`,
            [afterId, limit],
          )
        : await this.open().query<EventRow>(
            `SELECT ${columns} FROM model_events WHERE model = ? AND id > ? ORDER BY id LIMIT ?`,
            [name('model', q.model), afterId, limit],
          );
    return rows.map(toEvent);
  }

  async ping(): Promise<void> {
    await this.open().query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}
