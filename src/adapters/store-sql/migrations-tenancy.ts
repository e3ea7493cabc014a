/**
 * Tenant ownership of the lifecycle resources (issue 5, part C): experiments (runs inherit through
 * their experiment) and registered models (versions, tags, aliases and the alias history inherit
 * through their model) get a `tenant_id`, and names become unique per tenant instead of
 * platform-wide. Rows that existed before belong to the `system` tenant.
 *
 * SQLite cannot drop a UNIQUE or PRIMARY KEY constraint, so its tables are rebuilt (create the new
 * table, copy, drop, rename: SQLite's documented procedure); that needs foreign keys off while the
 * script runs (`sqliteForeignKeysOff`, the runner checks `PRAGMA foreign_key_check` before it
 * commits). PostgreSQL alters the tables in place; the constraint names are PostgreSQL's defaults
 * for the tables of 0003/0004. `tenant_id` has no default afterwards: every write names its tenant.
 */
import type { Migration } from './migrations.js';

const SQLITE = `
CREATE TABLE experiments_new (
  experiment_id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;
INSERT INTO experiments_new (experiment_id, tenant_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
  SELECT experiment_id, 'system', name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments;
DROP TABLE experiments;
ALTER TABLE experiments_new RENAME TO experiments;

CREATE TABLE registered_models_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
) STRICT;
CREATE TABLE registered_model_version_counters_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  last_version INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
) STRICT;
CREATE TABLE registered_model_tags_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name, key),
  FOREIGN KEY (tenant_id, name) REFERENCES registered_models (tenant_id, name)
) STRICT;
CREATE TABLE registered_model_versions_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
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
  PRIMARY KEY (tenant_id, name, version),
  FOREIGN KEY (tenant_id, name) REFERENCES registered_models (tenant_id, name)
) STRICT;
CREATE TABLE model_version_tags_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name, version, key),
  FOREIGN KEY (tenant_id, name, version) REFERENCES registered_model_versions (tenant_id, name, version)
) STRICT;
CREATE TABLE registered_model_aliases_new (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name, alias),
  FOREIGN KEY (tenant_id, name, version) REFERENCES registered_model_versions (tenant_id, name, version)
) STRICT;
CREATE TABLE registered_model_alias_history_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;

INSERT INTO registered_models_new SELECT 'system', name, description, creation_time, last_updated_time FROM registered_models;
INSERT INTO registered_model_version_counters_new SELECT 'system', name, last_version FROM registered_model_version_counters;
INSERT INTO registered_model_tags_new SELECT 'system', name, key, value FROM registered_model_tags;
INSERT INTO registered_model_versions_new SELECT 'system', name, version, creation_time, last_updated_time, description,
  user_id, source, run_id, run_link, status, status_message, signature, metrics, sha256, model_card FROM registered_model_versions;
INSERT INTO model_version_tags_new SELECT 'system', name, version, key, value FROM model_version_tags;
INSERT INTO registered_model_aliases_new SELECT 'system', name, alias, version FROM registered_model_aliases;
INSERT INTO registered_model_alias_history_new SELECT id, 'system', name, alias, from_version, to_version, actor, at
  FROM registered_model_alias_history;

DROP TABLE registered_model_alias_history;
DROP TABLE registered_model_aliases;
DROP TABLE model_version_tags;
DROP TABLE registered_model_versions;
DROP TABLE registered_model_tags;
DROP TABLE registered_model_version_counters;
DROP TABLE registered_models;
ALTER TABLE registered_models_new RENAME TO registered_models;
ALTER TABLE registered_model_version_counters_new RENAME TO registered_model_version_counters;
ALTER TABLE registered_model_tags_new RENAME TO registered_model_tags;
ALTER TABLE registered_model_versions_new RENAME TO registered_model_versions;
ALTER TABLE model_version_tags_new RENAME TO model_version_tags;
ALTER TABLE registered_model_aliases_new RENAME TO registered_model_aliases;
ALTER TABLE registered_model_alias_history_new RENAME TO registered_model_alias_history;
CREATE INDEX registered_model_versions_run ON registered_model_versions (run_id);
CREATE INDEX registered_model_alias_history_lookup ON registered_model_alias_history (tenant_id, name, alias, id);
`;

const POSTGRES = `
ALTER TABLE experiments ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE experiments ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE experiments DROP CONSTRAINT experiments_name_key;
ALTER TABLE experiments ADD CONSTRAINT experiments_tenant_name_key UNIQUE (tenant_id, name);

ALTER TABLE registered_model_tags DROP CONSTRAINT registered_model_tags_name_fkey;
ALTER TABLE registered_model_versions DROP CONSTRAINT registered_model_versions_name_fkey;
ALTER TABLE model_version_tags DROP CONSTRAINT model_version_tags_name_version_fkey;
ALTER TABLE registered_model_aliases DROP CONSTRAINT registered_model_aliases_name_version_fkey;

ALTER TABLE registered_models ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_model_version_counters ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_model_tags ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_model_versions ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE model_version_tags ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_model_aliases ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_model_alias_history ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE registered_models ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE registered_model_version_counters ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE registered_model_tags ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE registered_model_versions ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE model_version_tags ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE registered_model_aliases ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE registered_model_alias_history ALTER COLUMN tenant_id DROP DEFAULT;

ALTER TABLE registered_models DROP CONSTRAINT registered_models_pkey, ADD PRIMARY KEY (tenant_id, name);
ALTER TABLE registered_model_version_counters DROP CONSTRAINT registered_model_version_counters_pkey,
  ADD PRIMARY KEY (tenant_id, name);
ALTER TABLE registered_model_tags DROP CONSTRAINT registered_model_tags_pkey, ADD PRIMARY KEY (tenant_id, name, key),
  ADD FOREIGN KEY (tenant_id, name) REFERENCES registered_models (tenant_id, name);
ALTER TABLE registered_model_versions DROP CONSTRAINT registered_model_versions_pkey,
  ADD PRIMARY KEY (tenant_id, name, version),
  ADD FOREIGN KEY (tenant_id, name) REFERENCES registered_models (tenant_id, name);
ALTER TABLE model_version_tags DROP CONSTRAINT model_version_tags_pkey, ADD PRIMARY KEY (tenant_id, name, version, key),
  ADD FOREIGN KEY (tenant_id, name, version) REFERENCES registered_model_versions (tenant_id, name, version);
ALTER TABLE registered_model_aliases DROP CONSTRAINT registered_model_aliases_pkey,
  ADD PRIMARY KEY (tenant_id, name, alias),
  ADD FOREIGN KEY (tenant_id, name, version) REFERENCES registered_model_versions (tenant_id, name, version);
DROP INDEX registered_model_alias_history_lookup;
CREATE INDEX registered_model_alias_history_lookup ON registered_model_alias_history (tenant_id, name, alias, id);
`;

export const tenancyMigrations: readonly Migration[] = [
  {
    id: '0005_tenant_experiments_and_models',
    sqliteForeignKeysOff: true,
    sql: { sqlite: SQLITE, postgres: POSTGRES },
  },
];

/** Training jobs and studies (the lifecycleJobMigrations list): tenant column, study names per tenant. */
export const tenancyJobMigrations: readonly Migration[] = [
  {
    id: '0201_tenant_training_jobs_and_studies',
    sql: {
      sqlite: `
ALTER TABLE training_jobs ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'system';
CREATE INDEX training_jobs_tenant ON training_jobs (tenant_id, created_at, id);

CREATE TABLE studies_new (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;
INSERT INTO studies_new (id, tenant_id, name, state, created_at, updated_at, record)
  SELECT id, 'system', name, state, created_at, updated_at, record FROM studies;
DROP TABLE studies;
ALTER TABLE studies_new RENAME TO studies;
CREATE INDEX studies_state ON studies (state, created_at, id);
CREATE INDEX studies_created ON studies (created_at, id);
CREATE INDEX studies_tenant ON studies (tenant_id, created_at, id);
`,
      postgres: `
ALTER TABLE training_jobs ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE training_jobs ALTER COLUMN tenant_id DROP DEFAULT;
CREATE INDEX training_jobs_tenant ON training_jobs (tenant_id, created_at, id);
ALTER TABLE studies ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'system';
ALTER TABLE studies ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE studies DROP CONSTRAINT studies_name_key;
ALTER TABLE studies ADD CONSTRAINT studies_tenant_name_key UNIQUE (tenant_id, name);
CREATE INDEX studies_tenant ON studies (tenant_id, created_at, id);
`,
    },
  },
];
