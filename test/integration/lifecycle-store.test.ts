/**
 * Runs the TrackingStore and RegistryStore conformance suites on real databases: SQLite in a
 * temporary file and PostgreSQL in a random schema created for the suite and dropped after
 * (override the server with KALEIDO_TEST_PG_URL).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSqlLifecycleStores,
  metadataMigrations,
  runMigrations,
  type SqlClient,
} from '../../src/adapters/store-sql/index.js';
import { lifecycleJobMigrations } from '../../src/adapters/store-sql/migrations-lifecycle2.js';
import { SqlStudyStore } from '../../src/adapters/store-sql/sql-study-store.js';
import { SqlTrainingJobStore } from '../../src/adapters/store-sql/sql-training-job-store.js';
import { createPostgresLifecycleStores, PostgresClient } from '../../src/adapters/store-postgres/index.js';
import {
  createSqliteLifecycleStores,
  createSqliteMetadataStore,
  SqliteClient,
} from '../../src/adapters/store-sqlite/index.js';
import type { LifecycleStores } from '../../src/core/ports/lifecycle-store.js';
import { registryStoreConformance } from '../conformance/registry-store.suite.js';
import {
  trackingStoreConformance,
  type LifecycleStoresHarness,
} from '../conformance/tracking-store.suite.js';

const PG_URL = process.env['KALEIDO_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let tempRoot: string;
beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'kaleido-lifecycle-'));
});
afterAll(async () => {
  await rm(tempRoot, { recursive: true, force: true });
});

async function sqliteHarness(): Promise<LifecycleStoresHarness> {
  const dir = await mkdtemp(join(tempRoot, 'db-'));
  const path = join(dir, 'lifecycle.sqlite');
  const stores = createSqliteLifecycleStores({ path });
  return {
    stores,
    reopen: async () => createSqliteLifecycleStores({ path }),
    cleanup: async () => {
      await stores.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let admin: pg.Client | undefined;
async function adminClient(): Promise<pg.Client> {
  if (admin === undefined) {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
  }
  return admin;
}
afterAll(async () => {
  await admin?.end();
});

async function postgresHarness(): Promise<LifecycleStoresHarness> {
  const schema = `kaleido_test_${randomBytes(6).toString('hex')}`;
  const db = await adminClient();
  await db.query(`CREATE SCHEMA ${schema}`);
  const open = (): LifecycleStores =>
    createPostgresLifecycleStores({ connectionString: PG_URL, schema, maxConnections: 4 });
  const stores = open();
  return {
    stores,
    reopen: async () => open(),
    cleanup: async () => {
      await stores.close();
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

trackingStoreConformance('sqlite (file)', sqliteHarness);
registryStoreConformance('sqlite (file)', sqliteHarness);
trackingStoreConformance('postgres (isolated schema)', postgresHarness);
registryStoreConformance('postgres (isolated schema)', postgresHarness);

describe('lifecycle stores share the metadata schema history', () => {
  it('a database migrated by the metadata store needs nothing more, and vice versa', async () => {
    const path = join(tempRoot, 'shared', 'm.sqlite');
    const metadata = createSqliteMetadataStore({ path });
    const lifecycle = createSqliteLifecycleStores({ path });
    try {
      expect(await lifecycle.migrate()).toEqual({ applied: metadataMigrations.map((m) => m.id) });
      expect(await metadata.migrate()).toEqual({ applied: [] });
      expect(metadataMigrations.map((m) => m.id).slice(2, 4)).toEqual([
        '0003_experiment_tracking',
        '0004_model_registry',
      ]);
    } finally {
      await lifecycle.close();
      await metadata.close();
    }
    await expect(lifecycle.ping()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });
});

/**
 * Migrations 0005 and 0201 on a database that already holds data: every existing row belongs to
 * the system tenant afterwards, with its keys, history and foreign keys intact.
 */
async function legacyRowsBecomeSystemTenant(client: SqlClient): Promise<void> {
  const all = [...metadataMigrations, ...lifecycleJobMigrations];
  await runMigrations(
    client,
    all.filter((m) => m.id < '0005' || (m.id >= '0100' && m.id < '0201')),
    () => 1,
  );
  await client.transaction('test', async (tx) => {
    await tx.query(
      `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
       VALUES (7, 'old', 'mem:/7', 'active', 1, 1)`,
    );
    await tx.query(
      `INSERT INTO runs (run_id, experiment_id, run_name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
       VALUES ('${'a'.repeat(32)}', 7, 'r', 'ana', 'RUNNING', 1, NULL, 'active', 'mem:/7/r')`,
    );
    await tx.query(
      `INSERT INTO registered_models (name, description, creation_time, last_updated_time) VALUES ('spam', 'old', 1, 1)`,
    );
    await tx.query(`INSERT INTO registered_model_version_counters (name, last_version) VALUES ('spam', 1)`);
    await tx.query(
      `INSERT INTO registered_model_versions (name, version, creation_time, last_updated_time, description, user_id, source,
         run_id, run_link, status, status_message, signature, metrics, sha256, model_card)
       VALUES ('spam', 1, 1, 1, '', 'ana', 'models/spam/1', NULL, NULL, 'READY', '', NULL, '{}', NULL, NULL)`,
    );
    await tx.query(
      `INSERT INTO registered_model_aliases (name, alias, version) VALUES ('spam', 'champion', 1)`,
    );
    await tx.query(
      `INSERT INTO registered_model_alias_history (name, alias, from_version, to_version, actor, at) VALUES ('spam', 'champion', NULL, 1, 'ana', 5)`,
    );
    await tx.query(
      `INSERT INTO studies (id, name, state, created_at, updated_at, record) VALUES ('s1', 'tuning', 'completed', 1, 1, '{"id":"s1","name":"tuning"}')`,
    );
    await tx.query(
      `INSERT INTO training_jobs (id, state, created_at, record) VALUES ('j1', 'succeeded', 1, '{"id":"j1","state":"succeeded"}')`,
    );
  });
  const { applied } = await runMigrations(client, all, () => 2);
  expect(applied).toEqual(['0005_tenant_experiments_and_models', '0201_tenant_training_jobs_and_studies']);
  const stores = createSqlLifecycleStores(client, { migrations: all });
  const system = stores.registry;
  expect(system.tenantId).toBe('system');
  expect(await system.getAlias('spam', 'champion')).toBe('1');
  expect((await system.aliasHistory('spam', { limit: 10 })).map((m) => m.toVersion)).toEqual(['1']);
  expect(
    (
      await system.createModelVersion({
        name: 'spam',
        source: 'models/spam/2',
        description: '',
        userId: 'ana',
        status: 'READY',
        statusMessage: '',
        metrics: {},
        tags: [],
        time: 9,
      })
    ).version,
  ).toBe('2');
  expect(await system.forTenant('acme').getRegisteredModel('spam')).toBeUndefined();
  expect((await stores.tracking.getExperimentByName('old'))?.experimentId).toBe('7');
  expect((await stores.tracking.getRun('a'.repeat(32)))?.info.experimentId).toBe('7');
  expect(await stores.tracking.forTenant('acme').getRun('a'.repeat(32))).toBeUndefined();
  expect((await new SqlStudyStore(client).getByName('tuning'))?.tenantId).toBe('system');
  expect(await new SqlStudyStore(client).get('s1', 'acme')).toBeUndefined();
  expect((await new SqlTrainingJobStore(client).get('j1'))?.tenantId).toBe('system');
}

describe('tenant migrations keep existing rows as the system tenant’s', () => {
  it('sqlite', async () => {
    const client = new SqliteClient({ path: join(tempRoot, 'legacy', 'l.sqlite') });
    try {
      await legacyRowsBecomeSystemTenant(client);
      expect(client.pragma('foreign_keys')).toBe(1);
    } finally {
      await client.close();
    }
  });
  it('postgres', async () => {
    const schema = `kaleido_test_${randomBytes(6).toString('hex')}`;
    const db = await adminClient();
    await db.query(`CREATE SCHEMA ${schema}`);
    const client = new PostgresClient({ connectionString: PG_URL, schema, maxConnections: 2 });
    try {
      await legacyRowsBecomeSystemTenant(client);
    } finally {
      await client.close();
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});
