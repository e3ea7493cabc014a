/**
 * Sign-in for the web console, and console users:
 *
 *   POST  /v1/auth/login            {username, password} or {apiKey} → session cookie + CSRF token
 *   POST  /v1/auth/logout           ends the cookie's session (server-side)
 *   GET   /v1/auth/session          who is calling: principal, permissions, CSRF token (also
 *                                   with auth.mode=disabled: {auth: "disabled", principal: null})
 *   POST  /v1/users                 create a user {username, password, role, tenant?}
 *   GET   /v1/users                 list a tenant's users; ?tenant=
 *   GET   /v1/users/:id             one user; ?tenant=
 *   PATCH /v1/users/:id             {disabled?: true|false, role?}; ?tenant= (a role change ends
 *                                   the user's sessions)
 *   POST  /v1/users/:id/password    {password}: reset; ends the user's sessions; ?tenant=
 *
 * The session cookie is `kaleido_session`: HttpOnly, SameSite=Strict, Path=/, Secure unless
 * configured off; its value is 256 random bits, a new one at every sign-in (no fixation), stored
 * only as a hash. Failed sign-ins are throttled per username and per address (429 + Retry-After),
 * answer one message whatever went wrong, and cost the same scrypt work for unknown users. Sign-in
 * successes, failures and sign-outs are audited; user administration is audited by the edge.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import type { AuditEntryInput, AuditLog } from '../../core/ports/security.js';
import {
  ACTIONS,
  RESOURCE_TYPES,
  SYSTEM_TENANT,
  isRole,
  type Principal,
} from '../../core/security/principal.js';
import { authorizeType, RESOURCE_ACTIONS } from '../../core/security/rbac.js';
import { filterAuthorized, listTenant } from '../../core/security/tenancy.js';
import type { ApiKeyService } from '../../security/api-keys.js';
import type { LoginThrottle } from '../../security/login-throttle.js';
import { SESSION_COOKIE, cookieValue, type SessionService } from '../../security/sessions.js';
import { normalizeUsername, type UserService } from '../../security/users.js';
import { clearSessionCookie, sameOriginRequest, type RouteSecurity } from '../plugins/security.js';
import { bodyOf, invalid, json, principalOf, queryParam, UUID } from './security-admin.js';

export const LOGIN_ROUTE = '/v1/auth/login';

export interface AuthSessionDeps {
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly apiKeys: ApiKeyService;
  readonly throttle: LoginThrottle;
  readonly audit: AuditLog;
  readonly maxJsonDepth: number;
  /** Set-Cookie Secure (default true). */
  readonly secureCookie?: boolean;
  /** Origins besides the server's own accepted for sign-in (the CORS allowlist). */
  readonly trustedOrigins?: readonly string[];
  readonly now?: () => number;
}

const declare = (security: RouteSecurity) => ({ config: { security } });

/** Every "resource:action" the principal may do: the console enables its controls from it. */
export function permissionsOf(p: Principal): string[] {
  const out: string[] = [];
  for (const type of RESOURCE_TYPES) {
    for (const action of ACTIONS) {
      if (RESOURCE_ACTIONS[type].includes(action) && authorizeType(p, action, type).allowed) {
        out.push(`${type}:${action}`);
      }
    }
  }
  return out;
}

export const SESSION_ROUTE = '/v1/auth/session';

/**
 * GET /v1/auth/session without a security edge (auth.mode=disabled): a well-defined 200 rather
 * than a 404, so the console (and any client) can tell "nobody checks credentials, everything is
 * allowed" from "this server has no such route". Same shape as the signed-in answer, with no
 * principal and every permission.
 */
export async function registerDisabledAuthSessionRoute(app: FastifyInstance): Promise<void> {
  const everything = RESOURCE_TYPES.flatMap((type) => RESOURCE_ACTIONS[type].map((a) => `${type}:${a}`));
  app.get(SESSION_ROUTE, async (_request, reply) =>
    json(reply, 200, {
      auth: 'disabled',
      principal: null,
      permissions: everything,
      csrfToken: null,
      expiresAt: null,
      idleExpiresAt: null,
    }),
  );
}

/**
 * GET /v1/auth/session with auth on but console sessions off (`auth.sessions.enabled=false`): bearer
 * callers (API keys, JWTs) still learn who they are and what they may do; `sessions: false` tells
 * the console that signing in is not offered here.
 */
export async function registerBearerOnlySessionRoute(app: FastifyInstance): Promise<void> {
  app.get(
    SESSION_ROUTE,
    declare({ action: 'read', resource: 'user', anyPrincipal: true }),
    async (request, reply) => {
      const p = principalOf(request);
      return json(reply, 200, {
        auth: 'enabled',
        sessions: false,
        principal: { kind: p.kind, subject: p.subject, tenantId: p.tenantId, role: p.role, scopes: p.scopes },
        permissions: permissionsOf(p),
        csrfToken: null,
        expiresAt: null,
        idleExpiresAt: null,
      });
    },
  );
}

const LOGIN_FAILED = 'sign-in failed: unknown user, wrong password or invalid API key';

export async function registerAuthSessionRoutes(app: FastifyInstance, deps: AuthSessionDeps): Promise<void> {
  const { users, sessions, apiKeys, throttle, audit, maxJsonDepth } = deps;
  const now = deps.now ?? Date.now;
  const secure = deps.secureCookie !== false;
  const trusted = new Set((deps.trustedOrigins ?? []).filter((o) => o !== '*'));

  const record = async (request: FastifyRequest, entry: Partial<AuditEntryInput>): Promise<void> => {
    try {
      await audit.append({
        at: now(),
        tenantId: SYSTEM_TENANT,
        actor: 'unauthenticated',
        actorKind: 'unauthenticated',
        action: 'login',
        resourceType: 'session',
        resourceId: null,
        outcome: 'failure',
        statusCode: 401,
        requestId: request.id,
        sourceIp: request.ip,
        userAgent:
          typeof request.headers['user-agent'] === 'string'
            ? request.headers['user-agent'].slice(0, 512)
            : null,
        details: {},
        ...entry,
      });
    } catch (err) {
      request.log.error({ err, action: entry.action }, 'AUDIT WRITE FAILED');
    }
  };

  const describe = async (p: Principal) => {
    let name: string | undefined;
    if (p.kind === 'user') name = (await users.get(p.tenantId, p.subject))?.username;
    else if (p.kind === 'api_key') name = (await apiKeys.get(p.tenantId, p.subject))?.name;
    return {
      principal: { kind: p.kind, subject: p.subject, tenantId: p.tenantId, role: p.role, scopes: p.scopes },
      ...(name === undefined ? {} : { name }),
      permissions: permissionsOf(p),
    };
  };

  // ---- sign-in ----

  app.post(LOGIN_ROUTE, async (request, reply) => {
    // Login CSRF: another site must not sign a victim's browser into the attacker's account.
    if (!sameOriginRequest(request, trusted)) {
      throw new KaleidoError('ERR_PERMISSION_DENIED', 'cross-origin sign-in refused', {
        details: { reason: 'origin' },
      });
    }
    const body = bodyOf(request, maxJsonDepth, ['username', 'password', 'apiKey']);
    const byKey = body.apiKey !== undefined;
    if (byKey && (body.username !== undefined || body.password !== undefined)) {
      throw invalid('apiKey', 'cannot be combined with username/password');
    }
    if (
      byKey
        ? typeof body.apiKey !== 'string'
        : typeof body.username !== 'string' || typeof body.password !== 'string'
    ) {
      throw new KaleidoError('ERR_VALIDATION', 'send {"username", "password"} or {"apiKey"}', {
        details: { field: byKey ? 'apiKey' : 'username' },
      });
    }
    // Throttled per claimed identity: the username, or the key's public prefix.
    const identity = byKey
      ? `key:${String(body.apiKey).slice(0, 16)}`
      : `user:${normalizeUsername(String(body.username)).slice(0, 128)}`;
    const waitMs = await throttle.retryAfterMs(identity, request.ip);
    if (waitMs > 0) {
      await record(request, { statusCode: 429, details: { identity, reason: 'throttled' } });
      throw new KaleidoError('ERR_RATE_LIMITED', 'too many failed sign-ins: try again later', {
        details: { scope: 'login' },
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    }

    let principal: Principal | undefined;
    if (byKey) {
      try {
        principal = await apiKeys.verify(String(body.apiKey).trim());
      } catch (e) {
        if (!(e instanceof KaleidoError && e.code === 'ERR_UNAUTHENTICATED')) throw e;
      }
    } else {
      const user = await users.verifyPassword(body.username, body.password);
      if (user !== undefined) {
        principal = { kind: 'user', subject: user.id, tenantId: user.tenantId, role: user.role, scopes: [] };
      }
    }
    if (principal === undefined) {
      await throttle.failure(identity, request.ip);
      await record(request, { details: { identity } });
      reply.header('www-authenticate', 'Bearer realm="kaleido"');
      throw new KaleidoError('ERR_UNAUTHENTICATED', LOGIN_FAILED);
    }
    await throttle.success(identity);

    // A cookie sent with the sign-in is ended, never promoted: the new session gets a new id.
    const previous = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (previous !== undefined && previous !== '') await sessions.revoke(previous);
    const created = await sessions.create({
      principal,
      sourceIp: request.ip,
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
    });
    const maxAge = Math.floor(sessions.absoluteTtlMs / 1000);
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=${created.token}; Path=/; HttpOnly; SameSite=Strict;${secure ? ' Secure;' : ''} Max-Age=${maxAge}`,
    );
    reply.header('cache-control', 'no-store');
    await record(request, {
      tenantId: principal.tenantId,
      actor: principal.subject,
      actorKind: principal.kind,
      outcome: 'success',
      statusCode: 200,
      details: { identity, method: byKey ? 'api_key' : 'password' },
    });
    return json(reply, 200, {
      ...(await describe(principal)),
      csrfToken: created.csrfToken,
      expiresAt: created.record.expiresAt,
      idleExpiresAt: Math.min(created.record.expiresAt, created.record.createdAt + sessions.idleTtlMs),
    });
  });

  app.post(
    '/v1/auth/logout',
    declare({ action: 'read', resource: 'user', anyPrincipal: true }),
    async (request, reply) => {
      const p = principalOf(request);
      const s = request.authSession;
      reply.header('set-cookie', clearSessionCookie(secure));
      if (s === null) return reply.code(204).send();
      await sessions.revoke(s.token);
      await record(request, {
        tenantId: p.tenantId,
        actor: p.subject,
        actorKind: p.kind,
        action: 'logout',
        outcome: 'success',
        statusCode: 204,
      });
      return reply.code(204).send();
    },
  );

  app.get(
    SESSION_ROUTE,
    declare({ action: 'read', resource: 'user', anyPrincipal: true }),
    async (request, reply) => {
      const p = principalOf(request);
      const s = request.authSession;
      return json(reply, 200, {
        auth: 'enabled',
        ...(await describe(p)),
        // Bearer callers have no session and need no CSRF token.
        csrfToken: s?.csrfToken ?? null,
        expiresAt: s?.record.expiresAt ?? null,
        idleExpiresAt: s?.idleExpiresAt ?? null,
      });
    },
  );

  // ---- users ----

  app.post('/v1/users', declare({ action: 'create', resource: 'user' }), async (request, reply) => {
    const p = principalOf(request);
    const body = bodyOf(request, maxJsonDepth, ['username', 'password', 'role', 'tenant']);
    const tenantId = body.tenant === undefined ? p.tenantId : body.tenant;
    if (typeof tenantId !== 'string') throw invalid('tenant', 'must be a string');
    request.authorizeResource('create', { type: 'user', tenantId });
    const user = await users.create({
      tenantId,
      username: body.username as string,
      password: body.password as string,
      role: body.role as never,
      createdBy: p.subject,
    });
    request.authorizeResource('create', { type: 'user', tenantId, id: user.id });
    return json(reply, 201, { user });
  });

  app.get('/v1/users', declare({ action: 'read', resource: 'user' }), async (request, reply) => {
    const p = principalOf(request);
    const tenantId = listTenant(p, 'user', queryParam(request, 'tenant'));
    return json(reply, 200, { users: filterAuthorized(p, 'read', 'user', await users.list(tenantId)) });
  });

  const userById = async (request: FastifyRequest, action: 'read' | 'update') => {
    const p = principalOf(request);
    const id = (request.params as { id: string }).id;
    const tenantId = queryParam(request, 'tenant') ?? p.tenantId;
    request.authorizeResource(action, { type: 'user', tenantId, id: UUID.test(id) ? id : '-' });
    const found = UUID.test(id) ? await users.get(tenantId, id) : undefined;
    if (found === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `user "${id.slice(0, 64)}" not found`, {
        details: { resource: 'user', id: id.slice(0, 64) },
      });
    }
    return found;
  };

  app.get('/v1/users/:id', declare({ action: 'read', resource: 'user' }), async (request, reply) => {
    return json(reply, 200, { user: await userById(request, 'read') });
  });

  app.patch('/v1/users/:id', declare({ action: 'update', resource: 'user' }), async (request, reply) => {
    const found = await userById(request, 'update');
    const body = bodyOf(request, maxJsonDepth, ['disabled', 'role']);
    if (body.disabled === undefined && body.role === undefined) {
      throw invalid('disabled', 'send {"disabled": true|false} and/or {"role": "..."}');
    }
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') {
      throw invalid('disabled', 'must be true or false');
    }
    // Both checked before either is applied, so a bad role does not leave a half-applied change.
    if (body.role !== undefined && !isRole(body.role)) {
      throw invalid('role', `unknown role "${String(body.role).slice(0, 64)}"`);
    }
    let user = found;
    if (body.role !== undefined) user = await users.setRole(found.tenantId, found.id, body.role);
    if (typeof body.disabled === 'boolean') {
      user = await users.setDisabled(found.tenantId, found.id, body.disabled);
    }
    return json(reply, 200, { user });
  });

  app.post(
    '/v1/users/:id/password',
    declare({ action: 'update', resource: 'user' }),
    async (request, reply) => {
      const found = await userById(request, 'update');
      const body = bodyOf(request, maxJsonDepth, ['password']);
      return json(reply, 200, { user: await users.setPassword(found.tenantId, found.id, body.password) });
    },
  );
}
