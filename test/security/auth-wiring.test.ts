/**
 * The wiring around the security edge: the first-start admin key (printed once, never again),
 * a configured `auth.adminKey`, the loud warning of `auth.mode=disabled`, the route table, and the
 * gRPC guard (authentication, RBAC, rate limits and audit from call metadata).
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
import { startKaleido } from '../../src/main.js';
import { ApiKeyService } from '../../src/security/api-keys.js';
import { adminKeyBanner, ensureBootstrapAdmin } from '../../src/security/bootstrap.js';
import { createGrpcGuard, GRPC_REST_EQUIVALENT, peerAddress } from '../../src/server/security/grpc-guard.js';
import { MemoryRateLimitStore } from '../../src/adapters/ratelimit-memory/index.js';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import type { AuditEntryInput } from '../../src/core/ports/security.js';
import type { Principal } from '../../src/core/security/principal.js';
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
      // "Who am I" answers 200 in this mode too (the console shows no sign-in and no 404 error).
      const session = await fetch(`${running.httpUrl}/v1/auth/session`);
      expect(session.status).toBe(200);
      const who = (await session.json()) as { auth: string; principal: unknown; permissions: string[] };
      expect(who).toMatchObject({ auth: 'disabled', principal: null, csrfToken: null });
      expect(who.permissions).toContain('api_key:create');
      expect(who.permissions).toContain('model_version:operate');
      expect((await fetch(`${running.httpUrl}/v2/repository/index`, { method: 'POST' })).status).toBe(200);
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('auth on, console sessions off (auth.sessions.enabled=false)', () => {
  it('"who am I" answers bearer callers (sessions: false), refuses anonymous ones, and offers no sign-in', async () => {
    const server = await startTestServer({
      startupModels: [],
      auth: {},
      overrides: { 'auth.sessions.enabled': 'false', 'analysis.modalities': 'text' },
    });
    try {
      const who = await fetch(`${server.httpUrl}/v1/auth/session`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      expect(who.status).toBe(200);
      expect(await who.json()).toMatchObject({
        auth: 'enabled',
        sessions: false,
        principal: { kind: 'api_key', tenantId: 'system', role: 'admin' },
        csrfToken: null,
      });
      expect((await fetch(`${server.httpUrl}/v1/auth/session`)).status).toBe(401);
      const login = await fetch(`${server.httpUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: TEST_ADMIN_KEY }),
      });
      // No sign-in route: the edge refuses the anonymous call as it would any unknown route.
      expect(login.status).toBe(401);
    } finally {
      await server.close();
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
    ['GET', '/v1/registry/models/:name/versions/:version/card', 'read/model_version'],
    ['GET', '/v1/registry/models/:name/versions/:version/fairness', 'read/model_version'],
    ['POST', '/v1/registry/models/:name/versions/:version/fairness', 'update/model_version'],
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
  const admin: Principal = {
    kind: 'api_key',
    subject: 'k-admin',
    tenantId: 'system',
    role: 'admin',
    scopes: [],
  };
  const analyst: Principal = {
    kind: 'api_key',
    subject: 'k-analyst',
    tenantId: 't1',
    role: 'analyst',
    scopes: [],
  };
  const credentials: Record<string, Principal> = { 'Bearer admin': admin, 'Bearer analyst': analyst };
  const authenticate = async (authorization: string | undefined): Promise<Principal | undefined> => {
    if (authorization === undefined) return undefined;
    const p = credentials[authorization];
    if (p === undefined) throw new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired credentials');
    return p;
  };
  const metadata = (entries: Record<string, string>) => ({
    get: (key: string) => (entries[key] === undefined ? [] : [entries[key] as string]),
  });
  const audited: AuditEntryInput[] = [];
  const auditLog = {
    append: async (e: AuditEntryInput) => {
      audited.push(e);
      return { ...e, seq: audited.length };
    },
    list: async () => [],
  };
  const guard = (
    mode: 'required' | 'open-inference',
    perPrincipal?: { refillPerSecond: number; capacity: number },
  ) =>
    createGrpcGuard({
      mode,
      authenticate,
      openRoutes: openRoutesFor(),
      audit: auditLog,
      ...(perPrincipal
        ? { rateLimit: { store: new MemoryRateLimitStore({ clock: createSystemClock() }), perPrincipal } }
        : {}),
    });
  const call = (method: string, md: Record<string, string> = {}, request: unknown = {}) => ({
    method,
    metadata: metadata(md),
    peer: 'ipv4:127.0.0.1:50000',
    request,
  });

  it('maps every RPC to the permission of its REST twin', () => {
    expect(routeSecurityFor('POST', GRPC_REST_EQUIVALENT['ModelInfer']!.url)).toEqual({
      action: 'infer',
      resource: 'model',
    });
    expect(routeSecurityFor('POST', GRPC_REST_EQUIVALENT['RepositoryModelLoad']!.url)).toEqual({
      action: 'operate',
      resource: 'model_version',
    });
    for (const [rpc, twin] of Object.entries(GRPC_REST_EQUIVALENT)) {
      const open = openRoutesFor().includes(twin.url);
      expect(open || routeSecurityFor(twin.method, twin.url) !== undefined, rpc).toBe(true);
    }
    expect(peerAddress('ipv4:10.0.0.1:123')).toBe('10.0.0.1');
    expect(peerAddress('[::1]:123')).toBe('::1');
  });

  it('required: health is open, everything else needs a valid credential with the right role', async () => {
    const g = guard('required');
    expect((await g(call('ServerLive'))).principal).toBeNull();
    expect((await g(call('Health.Check'))).principal).toBeNull();
    await expect(g(call('ModelInfer'))).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await expect(g(call('ModelInfer', { authorization: 'Bearer nope' }))).rejects.toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
    });
    expect((await g(call('ModelInfer', { authorization: 'Bearer analyst' }))).principal).toBe(analyst);
    // x-api-key is accepted too.
    expect((await g(call('ModelMetadata', { 'x-api-key': 'analyst' }))).principal).toBe(analyst);
    // An analyst may not load models (operate on model_version), exactly as over REST.
    audited.length = 0;
    await expect(
      g(call('RepositoryModelLoad', { authorization: 'Bearer analyst' }, { model_name: 'm' })),
    ).rejects.toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
    expect(audited).toEqual([
      expect.objectContaining({
        actor: 'k-analyst',
        action: 'operate',
        outcome: 'denied',
        statusCode: 403,
        resourceId: 'm',
      }),
    ]);
    const ok = await g(call('RepositoryModelUnload', { authorization: 'Bearer admin' }, { model_name: 'm' }));
    ok.finish(0);
    expect(audited.at(-1)).toMatchObject({
      actor: 'k-admin',
      outcome: 'success',
      statusCode: 200,
      details: { transport: 'grpc', rpc: 'RepositoryModelUnload', grpcCode: 0 },
    });
    await expect(g(call('NoSuchRpc', { authorization: 'Bearer admin' }))).rejects.toMatchObject({
      code: 'ERR_PERMISSION_DENIED',
    });
  });

  it('open-inference: anonymous inference and model reads, never load/unload', async () => {
    const g = guard('open-inference');
    expect((await g(call('ModelInfer'))).principal?.kind).toBe('anonymous');
    expect((await g(call('ModelMetadata'))).principal?.kind).toBe('anonymous');
    await expect(g(call('RepositoryModelLoad'))).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    await expect(g(call('RepositoryModelUnload'))).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    // The index is a model read over REST (POST /v2/repository/index), so it is over gRPC too.
    expect((await g(call('RepositoryIndex'))).principal?.kind).toBe('anonymous');
    // A credential, when sent, must still be valid.
    await expect(g(call('ModelInfer', { authorization: 'Bearer nope' }))).rejects.toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
    });
  });

  it('applies the per-principal rate limit, also to each request of a stream', async () => {
    const g = guard('required', { refillPerSecond: 0.001, capacity: 2 });
    const a = await g(call('ModelStreamInfer', { authorization: 'Bearer analyst' }));
    await a.admitAnother();
    await expect(a.admitAnother()).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    await expect(g(call('ModelInfer', { authorization: 'Bearer analyst' }))).rejects.toMatchObject({
      code: 'ERR_RATE_LIMITED',
    });
  });
});
