/**
 * The schema history of the metadata store, shared by SQLite and PostgreSQL.
 *
 * Rules for growing it (registry, runs, studies, tenants, audit …):
 * - Append a new entry with the next number; never edit or reorder an applied one. The runner
 *   records a sha256 of each applied script and refuses to start when one has changed
 *   (ERR_SCHEMA_MISMATCH): fix forward with a new migration instead.
 * - Each script runs in one transaction, so keep it to DDL and small data fixes; both dialects
 *   have transactional DDL.
 * - Keep column names and types parallel so the shared queries in sql-metadata-store.ts work on
 *   both: TEXT for strings and JSON (exact round trip, no JSONB key reordering or \u0000 refusal),
 *   integers for millisecond timestamps (BIGINT on PostgreSQL, read back through Number()).
 * - PostgreSQL text columns that are sorted or compared use COLLATE "C" (byte order), which is
 *   what SQLite does, so both stores order rows the same way whatever the database locale.
 * - Value sets (states, event types) are validated in code, not with CHECK constraints: SQLite
 *   cannot alter a CHECK without rebuilding the table.
 */
import type { SqlDialect } from './sql-client.js';

export interface Migration {
  /** Sortable, unique and permanent: "NNNN_snake_case_title". */
  readonly id: string;
  readonly sql: Readonly<Record<SqlDialect, string>>;
}

export const MIGRATION_ID = /^\d{4}_[a-z0-9_]+$/;

export const metadataMigrations: readonly Migration[] = [
  {
    id: '0001_model_versions',
    sql: {
      sqlite: `
CREATE TABLE model_versions (
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  sha256 TEXT,
  size_bytes INTEGER,
  platform TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (model, version)
) STRICT;
`,
      postgres: `
CREATE TABLE model_versions (
  model TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C" NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  sha256 TEXT,
  size_bytes BIGINT,
  platform TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (model, version)
);
`,
    },
  },
  {
    id: '0002_model_events',
    sql: {
      // AUTOINCREMENT: ids are never reused, even after the newest rows are deleted, so an
      // `afterId` cursor held by a reader stays meaningful.
      sqlite: `
CREATE TABLE model_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  version TEXT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX model_events_model_id ON model_events (model, id);
`,
      postgres: `
CREATE TABLE model_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model TEXT COLLATE "C" NOT NULL,
  version TEXT COLLATE "C",
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX model_events_model_id ON model_events (model, id);
`,
    },
  },
];
