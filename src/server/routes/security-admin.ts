/**
 * The security administration API:
 *
 *   POST   /v1/keys              create an API key; the answer carries the secret, once
 *   GET    /v1/keys              list keys (no secrets, no hashes); ?tenant= ?includeRevoked=true
 *   GET    /v1/keys/:id          one key; ?tenant=
 *   DELETE /v1/keys/:id          revoke (immediate: the next request with it is refused); ?tenant=
 *   GET    /v1/tenants           tenants the caller can see
 *   POST   /v1/tenants           create a tenant (system tenant admins)
 *   PATCH  /v1/tenants/:id       disable / re-enable a tenant (system tenant admins)
 *   GET    /v1/audit             the audit log, newest first; ?tenant= ?before= ?limit=
 *
 * Every route declares its permission; objects are checked against the caller's tenant with
 * `request.authorizeResource` (another tenant's key answers 404, exactly like a missing one), and
 * request bodies accept only the documented fields, so a caller cannot set ids, hashes, creators
 * or revocation times (mass assignment).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/json-limits.js';
import type { AuditLog, TenantStore } from '../../core/ports/security.js';
import { SYSTEM_TENANT, type Principal } from '../../core/security/principal.js';
import { assertTenantId, filterAuthorized, listTenant } from '../../core/security/tenancy.js';
import type { ApiKeyService } from '../../security/api-keys.js';
import type { RouteSecurity } from '../plugins/security.js';

export interface SecurityAdminDeps {
  readonly keys: ApiKeyService;
  readonly tenants: TenantStore;
  readonly audit: AuditLog;
  readonly maxJsonDepth: number;
  /** Wall clock, ms since the epoch. */
  readonly now?: () => number;
}

export const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

export const invalid = (field: string, message: string): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `${field} ${message}`, { details: { field } });

/** The JSON object body, refusing any field not in `allowed` (no mass assignment). */
export function bodyOf(
  request: FastifyRequest,
  maxDepth: number,
  allowed: readonly string[],
): Record<string, unknown> {
  const raw = request.body;
  if (!(raw instanceof Uint8Array) || raw.length === 0) {
    throw new KaleidoError('ERR_BAD_REQUEST', 'a JSON object body is required');
  }
  const parsed = parseJsonLimited(raw, { maxDepth, maxElements: 10_000 });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KaleidoError('ERR_BAD_REQUEST', 'the request body must be a JSON object');
  }
  const body = parsed as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new KaleidoError('ERR_VALIDATION', `unknown or read-only field "${key.slice(0, 64)}"`, {
        details: { field: key.slice(0, 64), allowed },
      });
    }
  }
  return body;
}

/** A query parameter given at most once, as a string. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(name, 'must be given once');
  return v;
}

export const principalOf = (request: FastifyRequest): Principal => {
  // The security plugin authenticated the request before the handler runs; without it these
  // routes must not exist (buildApp only registers them with the plugin).
  if (request.principal === null) throw new KaleidoError('ERR_UNAUTHENTICATED', 'credentials are required');
  return request.principal;
};

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const declare = (action: RouteSecurity['action'], resource: RouteSecurity['resource'], audit = false) => ({
  config: { security: { action, resource, ...(audit ? { audit: true } : {}) } satisfies RouteSecurity },
});

export async function registerSecurityAdminRoutes(
  app: FastifyInstance,
  deps: SecurityAdminDeps,
): Promise<void> {
  const { keys, tenants, audit, maxJsonDepth } = deps;
  const now = deps.now ?? Date.now;

  // ---- API keys ----

  app.post('/v1/keys', declare('create', 'api_key'), async (request, reply) => {
    const p = principalOf(request);
    const body = bodyOf(request, maxJsonDepth, ['name', 'role', 'scopes', 'expiresAt', 'tenant']);
    const tenantId = body.tenant === undefined ? p.tenantId : body.tenant;
    if (typeof tenantId !== 'string') throw invalid('tenant', 'must be a string');
    request.authorizeResource('create', { type: 'api_key', tenantId });
    if (body.scopes !== undefined && !Array.isArray(body.scopes)) throw invalid('scopes', 'must be an array');
    if (body.expiresAt !== undefined && typeof body.expiresAt !== 'number') {
      throw invalid('expiresAt', 'must be a time in ms since the epoch');
    }
    const created = await keys.create({
      tenantId,
      name: body.name as string,
      role: body.role as never,
      ...(body.scopes === undefined ? {} : { scopes: body.scopes as never[] }),
      ...(body.expiresAt === undefined ? {} : { expiresAt: body.expiresAt as number }),
      createdBy: p.subject,
    });
    request.authorizeResource('create', { type: 'api_key', tenantId, id: created.record.id });
    // The only answer that ever carries the secret: never cache it anywhere.
    reply.header('cache-control', 'no-store');
    return json(reply, 201, { key: created.key, apiKey: created.record });
  });

  app.get('/v1/keys', declare('read', 'api_key'), async (request, reply) => {
    const p = principalOf(request);
    const tenantId = listTenant(p, 'api_key', queryParam(request, 'tenant'));
    const includeRevoked = queryParam(request, 'includeRevoked');
    if (includeRevoked !== undefined && includeRevoked !== 'true' && includeRevoked !== 'false') {
      throw invalid('includeRevoked', 'must be true or false');
    }
    const list = await keys.list(tenantId, { includeRevoked: includeRevoked === 'true' });
    return json(reply, 200, { apiKeys: filterAuthorized(p, 'read', 'api_key', list) });
  });

  const keyById = async (request: FastifyRequest, action: 'read' | 'delete') => {
    const p = principalOf(request);
    const id = (request.params as { id: string }).id;
    const tenantId = queryParam(request, 'tenant') ?? p.tenantId;
    // Ids are UUIDs: anything else cannot exist, and is answered like a missing key.
    request.authorizeResource(action, { type: 'api_key', tenantId, id: UUID.test(id) ? id : '-' });
    const found = UUID.test(id) ? await keys.get(tenantId, id) : undefined;
    if (found === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `api_key "${id.slice(0, 64)}" not found`, {
        details: { resource: 'api_key', id: id.slice(0, 64) },
      });
    }
    return { p, found };
  };

  app.get('/v1/keys/:id', declare('read', 'api_key'), async (request, reply) => {
    const { found } = await keyById(request, 'read');
    return json(reply, 200, { apiKey: found });
  });

  app.delete('/v1/keys/:id', declare('delete', 'api_key'), async (request, reply) => {
    const { p, found } = await keyById(request, 'delete');
    await keys.revoke(found.tenantId, found.id, p.subject);
    return json(reply, 200, { apiKey: await keys.get(found.tenantId, found.id) });
  });

  // ---- tenants ----

  app.get('/v1/tenants', declare('read', 'tenant'), async (request, reply) => {
    const p = principalOf(request);
    // A tenant is owned by itself: a tenant admin sees its own, system admins see them all.
    const visible = filterAuthorized(
      p,
      'read',
      'tenant',
      (await tenants.listTenants()).map((t) => ({ ...t, tenantId: t.id })),
    );
    return json(reply, 200, { tenants: visible.map(({ tenantId: _owner, ...t }) => t) });
  });

  /** Tenant administration belongs to the platform operators (the system tenant's admins). */
  const requireSystem = (p: Principal, action: string): void => {
    if (p.tenantId !== SYSTEM_TENANT) {
      throw new KaleidoError('ERR_PERMISSION_DENIED', `only system administrators may ${action} tenants`, {
        details: { action, resource: 'tenant', reason: 'role' },
      });
    }
  };

  app.post('/v1/tenants', declare('create', 'tenant'), async (request, reply) => {
    const p = principalOf(request);
    requireSystem(p, 'create');
    const body = bodyOf(request, maxJsonDepth, ['id', 'name']);
    const { id, name } = body;
    if (typeof id !== 'string') throw invalid('id', 'must be a string');
    if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
      throw invalid('name', 'must be 1–200 characters');
    }
    request.authorizeResource('create', { type: 'tenant', tenantId: id, id });
    assertTenantId(id, 'id');
    const tenant = { id, name: name.trim(), createdAt: now(), disabledAt: null };
    await tenants.createTenant(tenant);
    return json(reply, 201, { tenant });
  });

  app.patch('/v1/tenants/:id', declare('update', 'tenant'), async (request, reply) => {
    const p = principalOf(request);
    requireSystem(p, 'update');
    const id = (request.params as { id: string }).id;
    const body = bodyOf(request, maxJsonDepth, ['disabled']);
    if (typeof body.disabled !== 'boolean') throw invalid('disabled', 'must be true or false');
    if (id === SYSTEM_TENANT && body.disabled) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        'the system tenant cannot be disabled (it would lock out every operator)',
        {
          details: { field: 'disabled' },
        },
      );
    }
    request.authorizeResource('update', { type: 'tenant', tenantId: id, id });
    if (!(await tenants.setTenantDisabled(id, body.disabled ? now() : null))) {
      throw new KaleidoError('ERR_NOT_FOUND', `tenant "${id.slice(0, 64)}" not found`, {
        details: { resource: 'tenant', id: id.slice(0, 64) },
      });
    }
    return json(reply, 200, { tenant: await tenants.getTenant(id) });
  });

  // ---- audit log ----

  app.get('/v1/audit', declare('read', 'audit_log', true), async (request, reply) => {
    const p = principalOf(request);
    const tenantId = listTenant(p, 'audit_log', queryParam(request, 'tenant'));
    const int = (name: string): number | undefined => {
      const raw = queryParam(request, name);
      if (raw === undefined) return undefined;
      if (!/^\d{1,15}$/.test(raw)) throw invalid(name, 'must be a non-negative integer');
      return Number(raw);
    };
    const before = int('before');
    const limit = int('limit');
    const entries = await audit.list({
      tenantId,
      ...(before === undefined ? {} : { before }),
      ...(limit === undefined ? {} : { limit }),
    });
    return json(reply, 200, { entries });
  });
}
