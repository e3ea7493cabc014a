/**
 * The wiring around the security edge: the first-start admin key (printed once, never again),
 * a configured `auth.adminKey`, the loud warning of `auth.mode=disabled`, the route table, and the
 * gRPC guard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlSecurityStore } from '../../src/adapters/store-sql/sql-security-store.js';
import { SqliteClient } from '../../src/adapters/store-sqlite/index.js';
import { loadConfig } from '../../src/config/load.js';
import { KaleidoError } from '../../src/core/errors.js';
import type { InferenceService } from '../../src/core/ports/inference.js';
import { startKaleido } from '../../src/main.js';
import { ApiKeyService } from '../../src/security/api-keys.js';
import { adminKeyBanner, ensureBootstrapAdmin } from '../../src/security/bootstrap.js';
import { guardGrpcService } from '../../src/server/security/grpc-guard.js';
import { openRoutesFor, routeSecurityFor } from '../../src/server/security/route-table.js';
import { FIXTURE_REPOSITORY, startTestServer, TEST_ADMIN_KEY } from '../helpers/kaleido-server.js';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

describe('first-start admin key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kaleido-sec-boot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** One "process start": a fresh store and service over the same database file. */
  async function start(adminKey = ''): Promise<{
    announced: string[];
    result: Awaited<ReturnType<typeof ensureBootstrapAdmin>>;
    keys: ApiKeyService;
    store: SqlSecurityStore;
  }> {
    const store = new SqlSecurityStore(new SqliteClient({ path: join(dir, 'k.db') }));
    await store.migrate();
    const keys = new ApiKeyService({ store, tenants: store, scrypt: FAST_SCRYPT });
    const announced: string[] = [];
    const result = await ensureBootstrapAdmin({
      store,
      keys,
      adminKey,
      announce: (k) => announced.push(k),
      scrypt: FAST_SCRYPT,
    });
    return { announced, result, keys, store };
  }

  it('creates and announces one key on the first start, and never again', async () => {
    const first = await start();
    expect(first.result.action).toBe('created');
    expect(first.announced).toHaveLength(1);
    const principal = await first.keys.verify(first.announced[0] as string);
    expect(principal).toMatchObject({ tenantId: 'system', role: 'admin' });
    await first.store.close();
    const second = await start();
    expect(second.result).toEqual({ action: 'existing', keyId: first.result.keyId });
    expect(second.announced).toEqual([]);
    await second.store.close();
  });

  it('installs a configured key silently, and accepts it on later starts', async () => {
    const first = await start(TEST_ADMIN_KEY);
    expect(first.result.action).toBe('installed');
    expect(first.announced).toEqual([]);
    expect((await first.keys.verify(TEST_ADMIN_KEY)).role).toBe('admin');
    await first.store.close();
    const again = await start(TEST_ADMIN_KEY);
    expect(again.result).toEqual({ action: 'existing', keyId: first.result.keyId });
    await again.store.close();
  });

  it('refuses a configured key whose prefix is stored with another secret', async () => {
    (await start(TEST_ADMIN_KEY)).store.close();
    const forged = `${TEST_ADMIN_KEY.slice(0, 17)}${'f'.repeat(64)}`;
    await expect(start(forged)).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
  });

  it('keeps a revoked configured key revoked', async () => {
    const first = await start(TEST_ADMIN_KEY);
    await first.keys.revoke('system', first.result.keyId, 'test');
    await first.store.close();
    const again = await start(TEST_ADMIN_KEY);
    expect(again.result.action).toBe('revoked');
    await expect(again.keys.verify(TEST_ADMIN_KEY)).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await again.store.close();
  });

  it('the banner shows the key once with how to use it', () => {
    const text = adminKeyBanner(TEST_ADMIN_KEY);
    expect(text.split(TEST_ADMIN_KEY)).toHaveLength(2);
    expect(text).toContain('KALEIDO_API_KEY');
  });

  it('config refuses a malformed auth.adminKey', () => {
    expect(() => loadConfig({ env: { KALEIDO_AUTH_ADMIN_KEY: 'hunter2' } })).toThrow(KaleidoError);
    expect(loadConfig({ env: { KALEIDO_AUTH_ADMIN_KEY: TEST_ADMIN_KEY } }).auth.adminKey).toBe(
      TEST_ADMIN_KEY,
    );
  });
});

describe('auth.mode=disabled', () => {
  it('starts without the security edge and says so loudly', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'kaleido-sec-disabled-'));
    const running = await startKaleido(
      loadConfig({
        overrides: {
          'auth.mode': 'disabled',
          'server.httpPort': '0',
          'server.grpcEnabled': 'false',
          'models.repositories': FIXTURE_REPOSITORY,
          'models.startup': 'identity_fp32',
          'models.runtimeIsolation': 'inline',
          'analysis.modalities': 'text',
          'data.dir': dir,
        },
      }),
      { logger: pino({ level: 'warn' }, stream) },
    );
    try {
      const warning = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((l) => l.msg.includes('auth.mode is "disabled"'));
      expect(warning?.level).toBe(40);
      expect(warning?.msg).toMatch(/SECURITY WARNING.*NO authentication/);
      expect(running.routes).toEqual([]);
      expect((await fetch(`${running.httpUrl}/v2/repository/index`, { method: 'POST' })).status).toBe(200);
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('security store on PostgreSQL', () => {
  const PG_URL = process.env['KALEIDO_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

  it('migrates the security tables into the metadata database and authenticates from it', async () => {
    const database = `kaleido_sec_${Date.now().toString(36)}_${process.pid}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    try {
      const server = await startTestServer({
        startupModels: ['identity_fp32'],
        auth: {},
        overrides: { 'metadata.url': url.href, 'analysis.modalities': 'text' },
      });
      try {
        const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
        const created = await fetch(`${server.httpUrl}/v1/keys`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'pg', role: 'service' }),
        });
        expect(created.status).toBe(201);
        expect((await fetch(`${server.httpUrl}/v2`)).status).toBe(401);
        const audit = (await (await fetch(`${server.httpUrl}/v1/audit`, { headers: auth })).json()) as {
          entries: { action: string; resourceType: string }[];
        };
        expect(audit.entries[0]).toMatchObject({ action: 'create', resourceType: 'api_key' });
        const db = new pg.Client({ connectionString: url.href });
        await db.connect();
        try {
          const ids = (
            await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')
          ).rows.map((r) => r.id);
          expect(ids).toContain('0100_security_tenants_keys_audit');
          expect(ids).toContain('0001_model_versions');
          const hashes = (await db.query<{ hash: string }>('SELECT hash FROM api_keys')).rows;
          expect(hashes.length).toBe(2);
          for (const h of hashes) expect(h.hash).toMatch(/^scrypt\$/);
        } finally {
          await db.end();
        }
      } finally {
        await server.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe('route table', () => {
  it.each([
    ['GET', '/v2/models/:model', 'read/model'],
    ['HEAD', '/v2/models/:model/versions/:version/stats', 'read/model'],
    ['POST', '/v2/models/:model/versions/:version/infer', 'infer/model'],
    ['POST', '/v2/repository/models/:model/load', 'operate/model_version'],
    ['GET', '/metrics', 'read/deployment'],
    ['GET', '/v1/openapi.json', 'read/model'],
    ['POST', '/api/2.0/mlflow/runs/log-batch', 'update/study'],
    ['POST', '/api/2.0/mlflow/runs/delete', 'delete/study'],
    ['POST', '/api/2.0/mlflow/runs/delete-tag', 'update/study'],
    ['GET', '/api/2.0/mlflow/metrics/get-history', 'read/study'],
    ['POST', '/api/2.0/mlflow/registered-models/get-latest-versions', 'read/model'],
    ['POST', '/api/2.0/mlflow/model-versions/create', 'create/model_version'],
    ['GET', '/v1/datasets', 'read/dataset'],
    ['POST', '/v1/datasets', 'create/dataset'],
    ['DELETE', '/v1/datasets/:id', 'delete/dataset'],
    ['POST', '/v1/training-jobs', 'create/study'],
    ['POST', '/v1/training-jobs/:id/cancel', 'operate/study'],
    ['PATCH', '/v1/studies/:id', 'update/study'],
  ])('%s %s → %s', (method, url, want) => {
    const s = routeSecurityFor(method, url);
    expect(s && `${s.action}/${s.resource}`).toBe(want);
  });

  it.each([
    ['DELETE', '/v2/models/:model'],
    ['POST', '/v2/something-new'],
    ['GET', '/v1/unknown-collection'],
    ['GET', '/api/2.0/mlflow/artifacts/list'],
    ['GET', '/admin'],
  ])('%s %s is unknown, hence refused', (method, url) => {
    expect(routeSecurityFor(method, url)).toBeUndefined();
  });

  it('opens only the probes and the UI shell, plus what config adds', () => {
    const open = openRoutesFor();
    expect(open).toContain('/v2/health/live');
    expect(open).toContain('/');
    expect(open).not.toContain('/metrics');
    expect(open.some((r) => r.startsWith('/v1/') || r.startsWith('/api/'))).toBe(false);
    expect(openRoutesFor({ openMetrics: true, extra: ['/v2'] })).toEqual(
      expect.arrayContaining(['/metrics', '/v2']),
    );
  });
});

describe('gRPC guard', () => {
  const calls: string[] = [];
  const inner = new Proxy({} as InferenceService, {
    get:
      (_t, name: string) =>
      (..._args: unknown[]) => {
        calls.push(name);
        return name === 'isLive' || name === 'isReady' || name === 'modelReady' ? true : {};
      },
  });

  it('required: only the health probes reach the service', async () => {
    calls.length = 0;
    const g = guardGrpcService(inner, 'required');
    expect(g.isLive()).toBe(true);
    expect(g.isReady()).toBe(true);
    expect(() => g.modelMetadata('m')).toThrow(/needs authentication/);
    expect(() => g.serverMetadata()).toThrow(KaleidoError);
    await expect(g.infer({} as never)).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await expect(g.loadModel('m')).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    expect(calls).toEqual(['isLive', 'isReady']);
  });

  it('open-inference: inference and metadata pass, the repository stays closed', async () => {
    calls.length = 0;
    const g = guardGrpcService(inner, 'open-inference');
    g.modelMetadata('m');
    await g.infer({} as never);
    await expect(g.unloadModel('m')).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await expect(g.repositoryIndex()).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    expect(calls).toEqual(['modelMetadata', 'infer']);
  });
});
