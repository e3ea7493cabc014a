/**
 * Runs the MetadataStore conformance suite against both adapters on real databases: SQLite in a
 * temporary file, PostgreSQL in a random schema that is created for each test and dropped after
 * (override the server with KALEIDO_TEST_PG_URL).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresMetadataStore } from '../../src/adapters/store-postgres/index.js';
import { metadataMigrations } from '../../src/adapters/store-sql/index.js';
import { SqliteClient, createSqliteMetadataStore } from '../../src/adapters/store-sqlite/index.js';
import { metadataStoreConformance } from '../conformance/metadata-store.suite.js';

const PG_URL = process.env['KALEIDO_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let tempRoot: string;
beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'kaleido-metadata-'));
});
afterAll(async () => {
  await rm(tempRoot, { recursive: true, force: true });
});

metadataStoreConformance('sqlite (file)', async () => {
  const dir = await mkdtemp(join(tempRoot, 'db-'));
  const path = join(dir, 'nested', 'metadata.sqlite');
  const store = createSqliteMetadataStore({ path });
  return {
    store,
    reopen: async (options = {}) => createSqliteMetadataStore({ path, ...options }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/** One admin connection for creating and dropping the per-test schemas. */
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

metadataStoreConformance('postgres (isolated schema)', async () => {
  const schema = `kaleido_test_${randomBytes(6).toString('hex')}`;
  const db = await adminClient();
  await db.query(`CREATE SCHEMA ${schema}`);
  const open = (options = {}) =>
    createPostgresMetadataStore({ connectionString: PG_URL, schema, maxConnections: 4, ...options });
  const store = open();
  return {
    store,
    reopen: async (options = {}) => open(options),
    cleanup: async () => {
      await store.close();
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
});

describe('sqlite adapter specifics', () => {
  it('opens files in WAL mode with busy_timeout and foreign keys on', async () => {
    const client = new SqliteClient({ path: join(tempRoot, 'pragmas', 'p.sqlite'), busyTimeoutMs: 1234 });
    try {
      expect(client.pragma('journal_mode')).toBe('wal');
      expect(client.pragma('busy_timeout')).toBe(1234);
      expect(client.pragma('foreign_keys')).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('works in memory', async () => {
    const store = createSqliteMetadataStore({ path: ':memory:' });
    try {
      expect(await store.migrate()).toEqual({ applied: metadataMigrations.map((m) => m.id) });
      await store.upsertModelVersion({ model: 'm', version: '1', state: 'READY', reason: '' });
      expect(await store.listModelVersions()).toHaveLength(1);
    } finally {
      await store.close();
    }
    expect(await readdir(tempRoot)).not.toContain(':memory:');
  });

  it('refuses bad options with ERR_BAD_CONFIG', () => {
    expect(() => createSqliteMetadataStore({ path: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => createSqliteMetadataStore({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});

describe('postgres adapter specifics', () => {
  it('refuses bad options with ERR_BAD_CONFIG', () => {
    for (const options of [
      { connectionString: 'mysql://x' },
      { connectionString: PG_URL, schema: 'Bad-Name' },
      { connectionString: PG_URL, schema: 'x; DROP TABLE y' },
      { connectionString: PG_URL, maxConnections: 0 },
    ]) {
      expect(() => createPostgresMetadataStore(options)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
      );
    }
  });

  it('names a missing schema clearly', async () => {
    const store = createPostgresMetadataStore({ connectionString: PG_URL, schema: 'kaleido_no_such_schema' });
    try {
      await expect(store.migrate()).rejects.toMatchObject({
        code: 'ERR_BAD_CONFIG',
        details: { field: 'schema' },
      });
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable server as ERR_UNAVAILABLE', async () => {
    // Port 1 on loopback: connection refused at once.
    const store = createPostgresMetadataStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectionTimeoutMs: 2000,
    });
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
      await expect(store.migrate()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });
});
