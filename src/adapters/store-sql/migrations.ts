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
import { tenancyMigrations } from './migrations-tenancy.js';

export interface Migration {
  /** Sortable, unique and permanent: "NNNN_snake_case_title". */
  readonly id: string;
  readonly sql: Readonly<Record<SqlDialect, string>>;
  /**
   * SQLite only: run the script with foreign keys off (a table rebuild: create, copy, drop,
   * rename), then check them all with `PRAGMA foreign_key_check` before committing.
   */
  readonly sqliteForeignKeysOff?: boolean;
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
  {
    // Experiment tracking (MLflow's model). Experiment ids are assigned by the store (max + 1 under
    // a lock) rather than by a sequence, so the Default experiment can hold MLflow's id 0.
    // run_metrics keeps every logged value; run_latest_metrics keeps the latest per key (highest
    // step, then timestamp, then value), maintained in the logging transaction, so searches and
    // ordering by metric stay one indexed lookup per run.
    id: '0003_experiment_tracking',
    sql: {
      sqlite: `
CREATE TABLE experiments (
  experiment_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL
) STRICT;
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) STRICT;
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
  run_name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  lifecycle_stage TEXT NOT NULL,
  artifact_uri TEXT NOT NULL
) STRICT;
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);
CREATE TABLE run_params (
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT;
CREATE TABLE run_tags (
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT;
CREATE TABLE run_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  key TEXT NOT NULL,
  value REAL NOT NULL,
  timestamp INTEGER NOT NULL,
  step INTEGER NOT NULL
) STRICT;
CREATE INDEX run_metrics_history ON run_metrics (run_id, key, step, timestamp, id);
CREATE TABLE run_latest_metrics (
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  key TEXT NOT NULL,
  value REAL NOT NULL,
  timestamp INTEGER NOT NULL,
  step INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT;
`,
      postgres: `
CREATE TABLE experiments (
  experiment_id BIGINT PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL
);
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (experiment_id, key)
);
CREATE TABLE runs (
  run_id TEXT COLLATE "C" PRIMARY KEY,
  experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
  run_name TEXT COLLATE "C" NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  lifecycle_stage TEXT NOT NULL,
  artifact_uri TEXT COLLATE "C" NOT NULL
);
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);
CREATE TABLE run_params (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (run_id),
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE run_tags (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (run_id),
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE run_metrics (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (run_id),
  key TEXT COLLATE "C" NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL
);
CREATE INDEX run_metrics_history ON run_metrics (run_id, key, step, timestamp, id);
CREATE TABLE run_latest_metrics (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (run_id),
  key TEXT COLLATE "C" NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL,
  PRIMARY KEY (run_id, key)
);
`,
    },
  },
  {
    // The model registry. "registered_model_versions", not "model_versions": that table (0001)
    // is the serving layer's view of loaded versions. The version counter has its own table that
    // deleting a model leaves alone, so a number is never handed out twice for one name. The alias history is append-only and outlives
    // the model it describes; its id orders moves in commit order (moves of one model serialise).
    id: '0004_model_registry',
    sql: {
      sqlite: `
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL
) STRICT;
CREATE TABLE registered_model_version_counters (
  name TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
) STRICT;
CREATE TABLE registered_model_tags (
  name TEXT NOT NULL REFERENCES registered_models (name),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, key)
) STRICT;
CREATE TABLE registered_model_versions (
  name TEXT NOT NULL REFERENCES registered_models (name),
  version INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  description TEXT NOT NULL,
  user_id TEXT NOT NULL,
  source TEXT NOT NULL,
  run_id TEXT,
  run_link TEXT,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  signature TEXT,
  metrics TEXT NOT NULL,
  sha256 TEXT,
  model_card TEXT,
  PRIMARY KEY (name, version)
) STRICT;
CREATE INDEX registered_model_versions_run ON registered_model_versions (run_id);
CREATE TABLE model_version_tags (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, version, key),
  FOREIGN KEY (name, version) REFERENCES registered_model_versions (name, version)
) STRICT;
CREATE TABLE registered_model_aliases (
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES registered_model_versions (name, version)
) STRICT;
CREATE TABLE registered_model_alias_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX registered_model_alias_history_lookup ON registered_model_alias_history (name, alias, id);
`,
      postgres: `
CREATE TABLE registered_models (
  name TEXT COLLATE "C" PRIMARY KEY,
  description TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_updated_time BIGINT NOT NULL
);
CREATE TABLE registered_model_version_counters (
  name TEXT COLLATE "C" PRIMARY KEY,
  last_version BIGINT NOT NULL
);
CREATE TABLE registered_model_tags (
  name TEXT COLLATE "C" NOT NULL REFERENCES registered_models (name),
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE TABLE registered_model_versions (
  name TEXT COLLATE "C" NOT NULL REFERENCES registered_models (name),
  version BIGINT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_updated_time BIGINT NOT NULL,
  description TEXT NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  source TEXT COLLATE "C" NOT NULL,
  run_id TEXT COLLATE "C",
  run_link TEXT,
  status TEXT COLLATE "C" NOT NULL,
  status_message TEXT NOT NULL,
  signature TEXT,
  metrics TEXT NOT NULL,
  sha256 TEXT,
  model_card TEXT,
  PRIMARY KEY (name, version)
);
CREATE INDEX registered_model_versions_run ON registered_model_versions (run_id);
CREATE TABLE model_version_tags (
  name TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (name, version, key),
  FOREIGN KEY (name, version) REFERENCES registered_model_versions (name, version)
);
CREATE TABLE registered_model_aliases (
  name TEXT COLLATE "C" NOT NULL,
  alias TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES registered_model_versions (name, version)
);
CREATE TABLE registered_model_alias_history (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL,
  alias TEXT COLLATE "C" NOT NULL,
  from_version BIGINT,
  to_version BIGINT,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX registered_model_alias_history_lookup ON registered_model_alias_history (name, alias, id);
`,
    },
  },
  // 0005: tenant ownership of experiments and registered models (migrations-tenancy.ts).
  ...tenancyMigrations,
];
