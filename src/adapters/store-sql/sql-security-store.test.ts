/**
 * The security store on real databases: SQLite in a temporary file and PostgreSQL in a random
 * schema created per test and dropped after (override the server with KALEIDO_TEST_PG_URL).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, AuditEntryInput } from '../../core/ports/security.js';
import { PostgresClient, createPostgresMetadataStore } from '../store-postgres/index.js';
import { SqliteClient, createSqliteMetadataStore } from '../store-sqlite/index.js';
import { metadataMigrations } from './migrations.js';
import { securityMigrations } from './migrations-security.js';
import { SqlSecurityStore } from './sql-security-store.js';

const PG_URL = process.env['KALEIDO_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIGRATIONS = [...metadataMigrations, ...securityMigrations];

let tempRoot: string;
let admin: pg.Client;
beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'kaleido-security-store-'));
  admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await rm(tempRoot, { recursive: true, force: true });
});

interface Fixture {
  readonly store: SqlSecurityStore;
  readonly cleanup: () => Promise<void>;
}

const backends: Record<string, () => Promise<Fixture>> = {
  sqlite: async () => {
    const dir = await mkdtemp(join(tempRoot, 'db-'));
    // The metadata store's factory with the combined list, as main.ts will wire it.
    const meta = createSqliteMetadataStore({ path: join(dir, 'k.db'), migrations: MIGRATIONS });
    await meta.migrate();
    await meta.close();
    const store = new SqlSecurityStore(new SqliteClient({ path: join(dir, 'k.db') }), {
      migrations: MIGRATIONS,
    });
    return { store, cleanup: async () => store.close() };
  },
  postgres: async () => {
    const schema = `kaleido_sec_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const meta = createPostgresMetadataStore({
      connectionString: PG_URL,
      schema,
      maxConnections: 2,
      migrations: MIGRATIONS,
    });
    await meta.migrate();
    await meta.close();
    const store = new SqlSecurityStore(
      new PostgresClient({ connectionString: PG_URL, schema, maxConnections: 4 }),
    );
    return {
      store,
      cleanup: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      },
    };
  },
};

const key = (over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id: 'k1',
  tenantId: 'acme',
  prefix: 'aaaaaaaaaaaa',
  hash: 'scrypt$…',
  name: 'ci',
  role: 'service',
  scopes: ['model:infer'],
  createdAt: 1000,
  createdBy: 'admin-key',
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  revokedBy: null,
  ...over,
});

const audit = (over: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  at: 5000,
  tenantId: 'acme',
  actor: 'k1',
  actorKind: 'api_key',
  action: 'delete',
  resourceType: 'model',
  resourceId: 'fraud',
  outcome: 'success',
  statusCode: 200,
  requestId: 'req-1',
  sourceIp: '10.0.0.1',
  userAgent: 'curl/8',
  details: { route: '/admin/models/:name', note: 'ünïcode' },
  ...over,
});

for (const [name, open] of Object.entries(backends)) {
  describe(`SqlSecurityStore on ${name}`, () => {
    let f: Fixture;
    afterEach(async () => f.cleanup());

    it('migrate is idempotent and the system tenant exists', async () => {
      f = await open();
      expect(await f.store.migrate()).toEqual({ applied: [] });
      expect(await f.store.getTenant('system')).toEqual({
        id: 'system',
        name: 'System',
        createdAt: 0,
        disabledAt: null,
      });
    });

    it('tenants: create, duplicate, list, disable', async () => {
      f = await open();
      await f.store.createTenant({ id: 'acme', name: 'Acme', createdAt: 10, disabledAt: null });
      await expect(
        f.store.createTenant({ id: 'acme', name: 'X', createdAt: 11, disabledAt: null }),
      ).rejects.toMatchObject({
        code: 'ERR_ALREADY_EXISTS',
      });
      expect((await f.store.listTenants()).map((t) => t.id)).toEqual(['acme', 'system']);
      expect(await f.store.setTenantDisabled('acme', 99)).toBe(true);
      expect((await f.store.getTenant('acme'))?.disabledAt).toBe(99);
      expect(await f.store.setTenantDisabled('nope', 1)).toBe(false);
    });

    it('API keys: insert, find, list per tenant, touch monotonic, revoke once', async () => {
      f = await open();
      await expect(f.store.insertApiKey(key())).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      await f.store.createTenant({ id: 'acme', name: 'Acme', createdAt: 10, disabledAt: null });
      await f.store.createTenant({ id: 'globex', name: 'Globex', createdAt: 10, disabledAt: null });
      await f.store.insertApiKey(key({ expiresAt: 2_000_000_000_000 }));
      await f.store.insertApiKey(
        key({ id: 'k2', prefix: 'bbbbbbbbbbbb', createdAt: 2000, role: 'admin', scopes: [] }),
      );
      await f.store.insertApiKey(key({ id: 'k3', prefix: 'cccccccccccc', tenantId: 'globex' }));
      await expect(f.store.insertApiKey(key({ id: 'k9' }))).rejects.toMatchObject({
        code: 'ERR_ALREADY_EXISTS',
      });

      expect(await f.store.findApiKeyByPrefix('aaaaaaaaaaaa')).toEqual(key({ expiresAt: 2_000_000_000_000 }));
      expect(await f.store.findApiKeyByPrefix('zzzzzzzzzzzz')).toBeUndefined();
      expect(await f.store.getApiKey('globex', 'k1')).toBeUndefined();
      expect((await f.store.listApiKeys('acme')).map((k) => k.id)).toEqual(['k2', 'k1']);

      await f.store.touchApiKey('k1', 5000);
      await f.store.touchApiKey('k1', 4000);
      expect((await f.store.getApiKey('acme', 'k1'))?.lastUsedAt).toBe(5000);

      expect(await f.store.revokeApiKey('globex', 'k1', 6000, 'x')).toBe(false);
      expect(await f.store.revokeApiKey('acme', 'k1', 6000, 'root')).toBe(true);
      expect(await f.store.revokeApiKey('acme', 'k1', 7000, 'other')).toBe(true);
      const revoked = await f.store.getApiKey('acme', 'k1');
      expect([revoked?.revokedAt, revoked?.revokedBy]).toEqual([6000, 'root']);
      expect((await f.store.listApiKeys('acme')).map((k) => k.id)).toEqual(['k2']);
      expect((await f.store.listApiKeys('acme', { includeRevoked: true })).map((k) => k.id)).toEqual([
        'k2',
        'k1',
      ]);
    });

    it('audit log: append returns increasing seq, list is per tenant, newest first, paged', async () => {
      f = await open();
      const a = await f.store.append(audit());
      const b = await f.store.append(
        audit({ action: 'create', resourceId: null, outcome: 'denied', statusCode: 403 }),
      );
      await f.store.append(audit({ tenantId: 'globex' }));
      expect(b.seq).toBeGreaterThan(a.seq);
      const page = await f.store.list({ tenantId: 'acme' });
      expect(page).toEqual([b, a]);
      expect(page[1]?.details).toEqual({ route: '/admin/models/:name', note: 'ünïcode' });
      expect(await f.store.list({ tenantId: 'acme', before: b.seq, limit: 5 })).toEqual([a]);
      expect(await f.store.list({ tenantId: 'acme', limit: 1 })).toEqual([b]);
      await expect(f.store.list({ tenantId: 'acme', limit: 0 })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
    });

    it('users: insert, unique username across tenants, per-tenant get/list, disable, password', async () => {
      f = await open();
      await f.store.createTenant({ id: 'acme', name: 'Acme', createdAt: 10, disabledAt: null });
      await f.store.createTenant({ id: 'globex', name: 'Globex', createdAt: 10, disabledAt: null });
      const user = {
        id: 'u1',
        tenantId: 'acme',
        username: 'alice@example.com',
        passwordHash: 'scrypt$1',
        role: 'analyst' as const,
        createdAt: 100,
        createdBy: 'k-admin',
        passwordChangedAt: 100,
        disabledAt: null,
      };
      await f.store.insertUser(user);
      await expect(f.store.insertUser({ ...user, id: 'u2', tenantId: 'globex' })).rejects.toMatchObject({
        code: 'ERR_ALREADY_EXISTS',
      });
      await expect(
        f.store.insertUser({ ...user, id: 'u3', username: 'x', tenantId: 'nope' }),
      ).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
      });
      await f.store.insertUser({ ...user, id: 'u4', username: 'bob', createdAt: 200 });
      expect(await f.store.findUserByUsername('alice@example.com')).toEqual(user);
      expect(await f.store.findUserByUsername('ALICE@example.com')).toBeUndefined();
      expect(await f.store.getUser('globex', 'u1')).toBeUndefined();
      expect((await f.store.listUsers('acme')).map((u) => u.id)).toEqual(['u1', 'u4']);
      expect(await f.store.listUsers('globex')).toEqual([]);
      expect(await f.store.setUserDisabled('globex', 'u1', 5)).toBe(false);
      expect(await f.store.setUserDisabled('acme', 'u1', 500)).toBe(true);
      expect((await f.store.getUser('acme', 'u1'))?.disabledAt).toBe(500);
      expect(await f.store.setUserPassword('acme', 'u1', 'scrypt$2', 600)).toBe(true);
      expect(await f.store.setUserPassword('globex', 'u1', 'scrypt$3', 600)).toBe(false);
      const changed = await f.store.getUser('acme', 'u1');
      expect([changed?.passwordHash, changed?.passwordChangedAt]).toEqual(['scrypt$2', 600]);
      expect(await f.store.setUserRole('acme', 'u1', 'operator')).toBe(true);
      expect(await f.store.setUserRole('globex', 'u1', 'admin')).toBe(false);
      expect((await f.store.getUser('acme', 'u1'))?.role).toBe('operator');
      expect((await f.store.getUser('acme', 'u4'))?.role).toBe(user.role);
    });

    it('sessions: insert, find by hash, touch monotonic, revoke once, revoke all of a subject, purge', async () => {
      f = await open();
      const session = {
        idHash: 'a'.repeat(64),
        tenantId: 'acme',
        subjectKind: 'user' as const,
        subjectId: 'u1',
        createdAt: 1000,
        lastSeenAt: 1000,
        expiresAt: 9000,
        revokedAt: null,
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      };
      await f.store.insertSession(session);
      await f.store.insertSession({ ...session, idHash: 'b'.repeat(64) });
      await f.store.insertSession({
        ...session,
        idHash: 'c'.repeat(64),
        subjectKind: 'api_key',
        expiresAt: 1500,
      });
      expect(await f.store.findSession('a'.repeat(64))).toEqual(session);
      expect(await f.store.findSession('d'.repeat(64))).toBeUndefined();
      await f.store.touchSession('a'.repeat(64), 3000);
      await f.store.touchSession('a'.repeat(64), 2000);
      expect((await f.store.findSession('a'.repeat(64)))?.lastSeenAt).toBe(3000);
      expect(await f.store.revokeSession('a'.repeat(64), 4000)).toBe(true);
      expect(await f.store.revokeSession('a'.repeat(64), 5000)).toBe(false);
      expect((await f.store.findSession('a'.repeat(64)))?.revokedAt).toBe(4000);
      // Only the live user session of u1 remains to revoke (the api_key one is another subject kind).
      expect(await f.store.revokeSessionsOf('user', 'u1', 6000)).toBe(1);
      expect((await f.store.findSession('c'.repeat(64)))?.revokedAt).toBeNull();
      // Purge: ended (expired or revoked) before 4500 → a (revoked 4000) and c (expired 1500).
      expect(await f.store.purgeSessions(4500)).toBe(2);
      expect(await f.store.findSession('b'.repeat(64))).toBeDefined();
    });

    it('refuses use after close', async () => {
      f = await open();
      const { store } = f;
      await store.close();
      await expect(store.listTenants()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    });
  });
}
