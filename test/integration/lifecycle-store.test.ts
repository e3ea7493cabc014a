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
import { metadataMigrations } from '../../src/adapters/store-sql/index.js';
import { createPostgresLifecycleStores } from '../../src/adapters/store-postgres/index.js';
import {
  createSqliteLifecycleStores,
  createSqliteMetadataStore,
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
