/**
 * Schema of the durable lifecycle work: training jobs and hyperparameter studies, for SQLite and
 * PostgreSQL. Kept apart from migrations.ts so the lists grow independently; ids start at 0200 so
 * that `[...metadataMigrations, ...lifecycleJobMigrations]` stays in order. The rules of
 * migrations.ts apply: append only, parallel column types, millisecond integers for time.
 *
 * Each table is one row per job/study with the whole record as JSON text (`record`): the services
 * own the record's shape and its transitions, the stores only need to find rows by id, name and
 * state and to compare-and-set the state, which the indexed columns beside the JSON serve.
 */
import type { Migration } from './migrations.js';
import { tenancyJobMigrations } from './migrations-tenancy.js';

export const lifecycleJobMigrations: readonly Migration[] = [
  {
    id: '0200_training_jobs_and_studies',
    sql: {
      sqlite: `
CREATE TABLE training_jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  record TEXT NOT NULL
) STRICT;
CREATE INDEX training_jobs_state ON training_jobs (state, created_at, id);
CREATE INDEX training_jobs_created ON training_jobs (created_at, id);

CREATE TABLE studies (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  record TEXT NOT NULL
) STRICT;
CREATE INDEX studies_state ON studies (state, created_at, id);
CREATE INDEX studies_created ON studies (created_at, id);
`,
      postgres: `
CREATE TABLE training_jobs (
  id TEXT COLLATE "C" PRIMARY KEY,
  state TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX training_jobs_state ON training_jobs (state, created_at, id);
CREATE INDEX training_jobs_created ON training_jobs (created_at, id);

CREATE TABLE studies (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  state TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX studies_state ON studies (state, created_at, id);
CREATE INDEX studies_created ON studies (created_at, id);
`,
    },
  },
  // 0201: training jobs and studies belong to a tenant (migrations-tenancy.ts).
  ...tenancyJobMigrations,
];
