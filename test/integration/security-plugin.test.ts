/**
 * The security plugin on a small Fastify app built here (not buildApp), with the real API key
 * service over an in-memory SQLite store, the memory rate limiter on a manual clock, and the
 * real error renderer.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../../src/adapters/ratelimit-memory/index.js';
import { SqlSecurityStore } from '../../src/adapters/store-sql/sql-security-store.js';
import { SqliteClient } from '../../src/adapters/store-sqlite/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { KaleidoError } from '../../src/core/errors.js';
import type { RateLimitStore } from '../../src/core/ports/security.js';
import type { Principal } from '../../src/core/security/principal.js';
import { ApiKeyService } from '../../src/security/api-keys.js';
import { sendError } from '../../src/server/errors.js';
import { securityPlugin, type SecurityPluginOptions } from '../../src/server/plugins/security.js';

const MODELS: Record<string, string> = { fraud: 'acme', spam: 'globex' };

let store: SqlSecurityStore;
let keys: ApiKeyService;
let clock: ManualClock;
let logLines: string[];
let app: FastifyInstance | undefined;
const key: Record<string, string> = {};

beforeEach(async () => {
  store = new SqlSecurityStore(new SqliteClient({ path: ':memory:' }));
  await store.migrate();
  for (const t of ['acme', 'globex'])
    await store.createTenant({ id: t, name: t, createdAt: 0, disabledAt: null });
  keys = new ApiKeyService({ store, tenants: store, scrypt: { N: 1024, r: 8, p: 1 } });
  for (const [name, tenantId, role] of [
    ['admin', 'acme', 'admin'],
    ['service', 'acme', 'service'],
    ['service2', 'acme', 'service'],
    ['globexAdmin', 'globex', 'admin'],
  ] as const) {
    key[name] = (await keys.create({ tenantId, name, role, createdBy: 'test' })).key;
  }
  clock = new ManualClock();
  logLines = [];
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await store.close();
});

async function build(over: Partial<SecurityPluginOptions> = {}): Promise<FastifyInstance> {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const a = Fastify({ loggerInstance: pino({ level: 'info' }, stream) as FastifyBaseLogger });
  a.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  a.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new KaleidoError('ERR_NOT_FOUND', 'no route')),
  );
  await a.register(
    securityPlugin({ mode: 'required', apiKeys: keys, audit: { log: store, now: () => 1234 }, ...over }),
  );
  a.get('/v2/health/live', async () => ({ live: true }));
  a.post(
    '/v2/models/:name/infer',
    { config: { security: { action: 'infer', resource: 'model' } } },
    async (req) => ({
      by: req.principal?.subject,
      kind: req.principal?.kind,
    }),
  );
  a.get('/v2/models/:name', { config: { security: { action: 'read', resource: 'model' } } }, async () => ({
    ok: true,
  }));
  a.delete<{ Params: { name: string } }>(
    '/admin/models/:name',
    { config: { security: { action: 'delete', resource: 'model' } } },
    async (req) => {
      const owner = MODELS[req.params.name];
      // A missing model and another tenant's model must look the same.
      if (owner === undefined)
        throw new KaleidoError('ERR_NOT_FOUND', `model "${req.params.name}" not found`);
      req.authorizeResource('delete', { type: 'model', tenantId: owner, id: req.params.name });
      return { deleted: req.params.name };
    },
  );
  a.get(
    '/admin/audit',
    { config: { security: { action: 'read', resource: 'audit_log', audit: true } } },
    async (req) => store.list({ tenantId: (req.principal as Principal).tenantId }),
  );
  a.get('/admin/undeclared', async () => ({ oops: true }));
  await a.ready();
  app = a;
  return a;
}

const bearer = (k: string | undefined) => ({ authorization: `Bearer ${k}` });

describe('authentication', () => {
  it('open routes need nothing and still carry the security headers', async () => {
    const a = await build();
    const res = await a.inject({ method: 'GET', url: '/v2/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses missing, malformed and unknown credentials with 401 + WWW-Authenticate', async () => {
    const a = await build();
    for (const headers of [{}, { authorization: 'Basic dTpw' }, bearer('kal_nope'), bearer('x.y.z')]) {
      const res = await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="kaleido"/);
      expect(res.json()).toEqual({ error: expect.any(String), code: 'ERR_UNAUTHENTICATED' });
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('accepts a valid key, puts the principal on the request, marks the answer no-store', async () => {
    const a = await build();
    const res = await a.inject({
      method: 'POST',
      url: '/v2/models/fraud/infer',
      headers: bearer(key['service']),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ by: expect.any(String), kind: 'api_key' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('revocation takes effect on the very next request', async () => {
    const a = await build();
    const ok = await a.inject({
      method: 'POST',
      url: '/v2/models/fraud/infer',
      headers: bearer(key['service']),
    });
    expect(ok.statusCode).toBe(200);
    await keys.revoke('acme', ok.json().by, 'test');
    const res = await a.inject({
      method: 'POST',
      url: '/v2/models/fraud/infer',
      headers: bearer(key['service']),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('invalid or expired credentials');
  });

  it('unknown URLs need credentials too (401), and are 404 once authenticated', async () => {
    const a = await build();
    expect((await a.inject({ method: 'GET', url: '/secret-route' })).statusCode).toBe(401);
    expect(
      (await a.inject({ method: 'GET', url: '/secret-route', headers: bearer(key['service']) })).statusCode,
    ).toBe(404);
  });

  it('hands non-API-key bearer tokens to the JWT port', async () => {
    const jwtPrincipal: Principal = {
      kind: 'jwt',
      subject: 'alice',
      tenantId: 'acme',
      role: 'analyst',
      scopes: [],
    };
    const a = await build({
      jwt: {
        verify: async (t) => {
          if (t === 'h.p.s') return jwtPrincipal;
          throw new KaleidoError('ERR_UNAUTHENTICATED', 'bad token', { details: { reason: 'signature' } });
        },
      },
    });
    const ok = await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer('h.p.s') });
    expect(ok.json()).toEqual({ by: 'alice', kind: 'jwt' });
    const bad = await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer('h.p.x') });
    expect(bad.statusCode).toBe(401);
    expect(logLines.some((l) => l.includes('"reason":"signature"'))).toBe(true);
  });
});

describe('authorization', () => {
  it('enforces the role table at route level (403)', async () => {
    const a = await build();
    const res = await a.inject({
      method: 'DELETE',
      url: '/admin/models/fraud',
      headers: bearer(key['service']),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
  });

  it("object-level: another tenant's model is indistinguishable from a missing one", async () => {
    const a = await build();
    const own = await a.inject({
      method: 'DELETE',
      url: '/admin/models/fraud',
      headers: bearer(key['admin']),
    });
    expect(own.json()).toEqual({ deleted: 'fraud' });
    const foreign = await a.inject({
      method: 'DELETE',
      url: '/admin/models/spam',
      headers: bearer(key['admin']),
    });
    const missing = await a.inject({
      method: 'DELETE',
      url: '/admin/models/ghost',
      headers: bearer(key['admin']),
    });
    expect(foreign.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    const strip = (b: { error: { message: string; requestId?: string } }) => ({
      ...b.error,
      message: b.error.message.replace(/"[a-z]+"/, '"…"'),
      requestId: undefined,
      details: undefined,
    });
    expect(strip(foreign.json())).toEqual(strip(missing.json()));
    // The owner can delete it.
    expect(
      (await a.inject({ method: 'DELETE', url: '/admin/models/spam', headers: bearer(key['globexAdmin']) }))
        .statusCode,
    ).toBe(200);
  });

  it('routes that declare no permission are closed, even to admins', async () => {
    const a = await build();
    const res = await a.inject({ method: 'GET', url: '/admin/undeclared', headers: bearer(key['admin']) });
    expect(res.statusCode).toBe(403);
  });

  it('routeSecurity covers routes registered elsewhere', async () => {
    const a = await build({
      routeSecurity: (req) =>
        req.routeOptions.url === '/admin/undeclared' ? { action: 'read', resource: 'model' } : undefined,
    });
    expect(
      (await a.inject({ method: 'GET', url: '/admin/undeclared', headers: bearer(key['service']) }))
        .statusCode,
    ).toBe(200);
  });
});

describe('open-inference mode', () => {
  it('logs a loud warning and lets anonymous callers infer and read models, nothing else', async () => {
    const a = await build({ mode: 'open-inference', anonymousTenant: 'acme' });
    expect(logLines.some((l) => l.includes('"level":40') && l.includes('SECURITY WARNING'))).toBe(true);
    const infer = await a.inject({ method: 'POST', url: '/v2/models/fraud/infer' });
    expect(infer.json()).toEqual({ by: 'anonymous', kind: 'anonymous' });
    expect(infer.headers['cache-control']).toBeUndefined();
    expect((await a.inject({ method: 'GET', url: '/v2/models/fraud' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'DELETE', url: '/admin/models/fraud' })).statusCode).toBe(401);
    // A credential that is sent must be valid: no silent downgrade to anonymous.
    expect(
      (await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer('kal_bad') }))
        .statusCode,
    ).toBe(401);
  });

  it('required mode logs no warning', async () => {
    await build();
    expect(logLines.some((l) => l.includes('SECURITY WARNING'))).toBe(false);
  });
});

describe('rate limits', () => {
  const policy = { capacity: 2, refillPerSecond: 1 };

  it('per key: 429 with Retry-After, then allowed again after the wait', async () => {
    const a = await build({
      rateLimit: { store: new MemoryRateLimitStore({ clock }), perPrincipal: policy },
    });
    const go = (k = key['service']) =>
      a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer(k) });
    expect((await go()).statusCode).toBe(200);
    expect((await go()).statusCode).toBe(200);
    const limited = await go();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toEqual({
      error: 'rate limit exceeded for this principal',
      code: 'ERR_RATE_LIMITED',
    });
    expect((await go(key['service2'])).statusCode).toBe(200); // another key has its own bucket
    clock.advance(1000);
    expect((await go()).statusCode).toBe(200);
  });

  it('per tenant: the quota is shared by all keys of the tenant, not other tenants', async () => {
    const a = await build({
      rateLimit: {
        store: new MemoryRateLimitStore({ clock }),
        perTenant: { capacity: 3, refillPerSecond: 0.5 },
      },
    });
    const go = (k: string | undefined) =>
      a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer(k) });
    expect((await go(key['service'])).statusCode).toBe(200);
    expect((await go(key['service2'])).statusCode).toBe(200);
    expect((await go(key['admin'])).statusCode).toBe(200);
    const limited = await go(key['service2']);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect((await go(key['globexAdmin'])).statusCode).toBe(200);
  });

  it('per IP before authentication (guards the key check itself)', async () => {
    const a = await build({
      rateLimit: { store: new MemoryRateLimitStore({ clock }), perIp: { capacity: 1, refillPerSecond: 1 } },
    });
    expect(
      (await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer('kal_bad') }))
        .statusCode,
    ).toBe(401);
    expect(
      (await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer('kal_bad') }))
        .statusCode,
    ).toBe(429);
    // Health checks are never limited.
    expect((await a.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
  });

  it('a failing store answers 503 unless failOpen', async () => {
    const broken: RateLimitStore = {
      take: async () => {
        throw new KaleidoError('ERR_UNAVAILABLE', 'redis down');
      },
      close: async () => undefined,
    };
    let a = await build({ rateLimit: { store: broken, perPrincipal: policy } });
    expect(
      (await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer(key['service']) }))
        .statusCode,
    ).toBe(503);
    await a.close();
    a = await build({ rateLimit: { store: broken, perPrincipal: policy, failOpen: true } });
    expect(
      (await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer(key['service']) }))
        .statusCode,
    ).toBe(200);
  });
});

describe('headers and CORS', () => {
  it('sends HSTS only under TLS', async () => {
    const a = await build({ headers: { tls: true } });
    const res = await a.inject({ method: 'GET', url: '/v2/health/live' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('CORS is off by default: no CORS headers, preflights are not answered', async () => {
    const a = await build();
    const res = await a.inject({
      method: 'OPTIONS',
      url: '/v2/models/fraud/infer',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).not.toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('with an allow-list: preflight answered for listed origins only, responses expose headers', async () => {
    const a = await build({ cors: { allowedOrigins: ['https://app.example.com'] } });
    const pre = await a.inject({
      method: 'OPTIONS',
      url: '/v2/models/fraud/infer',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-headers']).toContain('authorization');
    expect(pre.headers['vary']).toBe('Origin');
    const other = await a.inject({
      method: 'OPTIONS',
      url: '/v2/models/fraud/infer',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const res = await a.inject({
      method: 'POST',
      url: '/v2/models/fraud/infer',
      headers: { origin: 'https://app.example.com', ...bearer(key['service']) },
    });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-expose-headers']).toContain('retry-after');
  });

  it('rejects bad configuration', () => {
    expect(() => securityPlugin({ mode: 'open' as 'required', apiKeys: keys })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() =>
      securityPlugin({ mode: 'required', apiKeys: keys, cors: { allowedOrigins: ['app.example.com/'] } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    expect(() =>
      securityPlugin({
        mode: 'required',
        apiKeys: keys,
        rateLimit: {
          store: new MemoryRateLimitStore({ clock }),
          perTenant: { capacity: 0, refillPerSecond: 1 },
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});

describe('audit', () => {
  it('records administrative actions with who, what, when, where and the result; not plain reads or inference', async () => {
    const a = await build();
    await a.inject({
      method: 'DELETE',
      url: '/admin/models/fraud',
      headers: { ...bearer(key['admin']), 'user-agent': 'ops-cli/1' },
    });
    await a.inject({ method: 'DELETE', url: '/admin/models/fraud', headers: bearer(key['service']) });
    await a.inject({ method: 'DELETE', url: '/admin/models/spam', headers: bearer(key['admin']) });
    await a.inject({ method: 'DELETE', url: '/admin/models/fraud' });
    await a.inject({ method: 'POST', url: '/v2/models/fraud/infer', headers: bearer(key['service']) });
    await a.inject({ method: 'GET', url: '/v2/models/fraud', headers: bearer(key['service']) });
    const acme = (await store.list({ tenantId: 'acme' })).reverse();
    expect(acme.map((e) => [e.action, e.resourceId, e.outcome, e.statusCode, e.actorKind])).toEqual([
      ['delete', 'fraud', 'success', 200, 'api_key'],
      ['delete', 'fraud', 'denied', 403, 'api_key'],
      ['delete', 'spam', 'failure', 404, 'api_key'],
    ]);
    // Without credentials there is no tenant to file it under but the anonymous one.
    expect(
      (await store.list({ tenantId: 'default' })).map((e) => [e.actor, e.outcome, e.statusCode]),
    ).toEqual([['unauthenticated', 'denied', 401]]);
    expect(acme[0]).toMatchObject({
      at: 1234,
      tenantId: 'acme',
      resourceType: 'model',
      sourceIp: '127.0.0.1',
      userAgent: 'ops-cli/1',
      requestId: expect.any(String),
      details: { method: 'DELETE', route: '/admin/models/:name', params: { name: 'fraud' } },
    });
    // The probe of globex's model is recorded in the caller's tenant, not leaked into globex's log.
    expect(await store.list({ tenantId: 'globex' })).toEqual([]);
  });

  it('audits routes that ask for it (reading the audit log)', async () => {
    const a = await build();
    const res = await a.inject({ method: 'GET', url: '/admin/audit', headers: bearer(key['admin']) });
    expect(res.statusCode).toBe(200);
    const entries = await store.list({ tenantId: 'acme' });
    expect(entries.map((e) => [e.action, e.resourceType, e.outcome])).toEqual([
      ['read', 'audit_log', 'success'],
    ]);
  });

  it('a failed audit write is logged loudly', async () => {
    const a = await build({
      audit: {
        log: {
          append: async () => {
            throw new Error('disk full');
          },
          list: async () => [],
        },
      },
    });
    await a.inject({ method: 'DELETE', url: '/admin/models/fraud', headers: bearer(key['admin']) });
    expect(logLines.some((l) => l.includes('AUDIT WRITE FAILED') && l.includes('"level":50'))).toBe(true);
  });
});
