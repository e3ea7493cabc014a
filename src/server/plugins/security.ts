/**
 * The security edge as one Fastify plugin: security headers and CORS, authentication (API keys,
 * and JWTs through the JwtVerifier port), rate limits and quotas, route-level authorization from
 * route config, object-level checks through `request.authorizeResource`, and the audit trail of
 * administrative actions. Everything is denied unless a rule allows it.
 *
 * Order per request (all in onRequest, before the body is read, so refusals are cheap):
 *   CORS preflight → headers → per-IP limit → authenticate → per-key/per-tenant limits → CSRF
 *   (cookie sessions only) → authorize.
 *
 * Credentials: `Authorization: Bearer <API key | JWT>` (API clients, the CLI, gRPC through
 * `authenticateBearer`), or the console's `kaleido_session` cookie. A cookie-authenticated unsafe
 * request (POST/PUT/PATCH/DELETE) must carry the session's X-CSRF-Token and, when the browser
 * sends Origin or Referer, come from this host (or a trusted origin). Bearer requests carry no
 * ambient credential, so they need neither.
 *
 * Routes declare what they do: `{ config: { security: { action: 'infer', resource: 'model' } } }`.
 * A route without a declaration (and not open, and not covered by `routeSecurity`) is refused:
 * forgetting to declare a route must never open it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import type { AuditLog, JwtVerifier, RateLimitStore } from '../../core/ports/security.js';
import type { Action, Principal, ResourceType } from '../../core/security/principal.js';
import {
  cookieValue,
  csrfMatches,
  CSRF_HEADER,
  SESSION_COOKIE,
  type ResolvedSession,
} from '../../security/sessions.js';
import { isAction, isResourceType } from '../../core/security/principal.js';
import { authorize, authorizeType, denialError, type ResourceRef } from '../../core/security/rbac.js';
import { validatePolicy, type TokenBucketPolicy } from '../../core/security/token-bucket.js';

export interface RouteSecurity {
  readonly action: Action;
  readonly resource: ResourceType;
  /** Write an audit entry even for a non-administrative action (reads of the audit log, say). */
  readonly audit?: boolean;
  /**
   * Any authenticated caller may use the route (its own session, sign-out): authentication, rate
   * limits and CSRF still apply, the RBAC table is not consulted. action/resource name it in audits.
   */
  readonly anyPrincipal?: boolean;
}

export type AuthMode = 'required' | 'open-inference';

/** What the plugin needs from ApiKeyService. */
export interface ApiKeyVerifier {
  verify(key: string): Promise<Principal>;
}

export interface SecurityPluginOptions {
  /**
   * required: every route but `openRoutes` needs a credential. open-inference: inference and
   * model-metadata routes also accept requests without one (as the anonymous service principal
   * of `anonymousTenant`); a credential, when sent, must still be valid.
   */
  readonly mode: AuthMode;
  readonly apiKeys: ApiKeyVerifier;
  /** Bearer tokens that are not API keys go here; without it they are refused. */
  readonly jwt?: JwtVerifier;
  /** Browser sessions (the `kaleido_session` cookie); without it cookies are ignored. */
  readonly sessions?: {
    resolve(token: string): Promise<ResolvedSession>;
    /** Origins besides the request's own host accepted on cookie-authenticated unsafe requests. */
    readonly trustedOrigins?: readonly string[];
    /** Set-Cookie attribute Secure (default true). */
    readonly secureCookie?: boolean;
  };
  /** Route URLs (as registered, e.g. "/v2/health/live") that need no credential. */
  readonly openRoutes?: readonly string[];
  /** Tenant of anonymous callers in open-inference mode (default "default"). */
  readonly anonymousTenant?: string;
  /** Security of routes registered without `config.security` (e.g. routes owned by other modules). */
  readonly routeSecurity?: (request: FastifyRequest) => RouteSecurity | undefined;
  readonly rateLimit?: {
    readonly store: RateLimitStore;
    /** Per client address, before authentication (guards the key check itself). */
    readonly perIp?: TokenBucketPolicy;
    /** Per API key / JWT subject. */
    readonly perPrincipal?: TokenBucketPolicy;
    /** Per tenant: the quota all of a tenant's callers share. */
    readonly perTenant?: TokenBucketPolicy;
    /** When the store is down: true lets requests through (logged), false answers 503 (default). */
    readonly failOpen?: boolean;
  };
  readonly headers?: {
    /** Served over TLS (directly or behind a TLS-terminating proxy): send HSTS. */
    readonly tls: boolean;
    readonly hstsMaxAgeSeconds?: number;
    /** Override the API CSP (e.g. for a UI served from the same origin). */
    readonly contentSecurityPolicy?: string;
  };
  /** Off unless given. Origins are compared exactly ("https://app.example.com"). */
  readonly cors?: {
    readonly allowedOrigins: readonly string[];
    readonly allowedHeaders?: readonly string[];
    readonly exposedHeaders?: readonly string[];
    readonly maxAgeSeconds?: number;
  };
  readonly audit?: {
    readonly log: AuditLog;
    /** Wall clock, ms since the epoch (default Date.now). */
    readonly now?: () => number;
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    security?: RouteSecurity;
  }
  interface FastifyRequest {
    /** Who is calling; null on open routes and before authentication. */
    principal: Principal | null;
    /**
     * Object-level check once the object's tenant is known: throws ERR_NOT_FOUND for another
     * tenant's object and ERR_PERMISSION_DENIED for a forbidden action. Every route that takes an
     * id must call it. The last checked object is what the audit entry names.
     */
    authorizeResource(action: Action, resource: ResourceRef): void;
    securityResource: ResourceRef | null;
    /** The browser session when the request was authenticated by its cookie. */
    authSession: (ResolvedSession & { readonly token: string }) | null;
  }
}

/** Verifiers for `authenticateBearer`. */
export interface BearerVerifiers {
  readonly apiKeys: ApiKeyVerifier;
  readonly jwt?: JwtVerifier;
}

/**
 * THE bearer check, shared by the HTTP edge and the gRPC server: `authorization` is the value of
 * an HTTP Authorization header or of gRPC "authorization" metadata. Returns undefined when it is
 * absent or empty (the caller decides whether anonymous is allowed); the principal for a valid
 * API key or JWT; otherwise throws ERR_UNAUTHENTICATED with one generic message (the reason goes
 * to `onFailure`, for the operator's log, never to the caller). A JWT without a Kaleido role
 * throws ERR_PERMISSION_DENIED; an unreachable JWKS, ERR_UNAVAILABLE.
 */
export async function authenticateBearer(
  authorization: string | undefined,
  verifiers: BearerVerifiers,
  onFailure?: (reason: string) => void,
): Promise<Principal | undefined> {
  if (authorization === undefined || authorization === '') return undefined;
  const m = /^Bearer +(\S+)$/i.exec(authorization);
  if (m === null) {
    onFailure?.('malformed authorization header');
    throw new KaleidoError(
      'ERR_UNAUTHENTICATED',
      'the Authorization header must be "Bearer <API key or token>"',
      {
        details: { challenge: 'invalid_request' },
      },
    );
  }
  const token = m[1] as string;
  try {
    if (token.startsWith('kal_')) return await verifiers.apiKeys.verify(token);
    if (verifiers.jwt !== undefined && token.split('.').length === 3)
      return await verifiers.jwt.verify(token);
    throw new KaleidoError('ERR_UNAUTHENTICATED', 'unrecognised bearer credential', {
      details: { reason: 'unrecognised bearer credential' },
    });
  } catch (e) {
    if (e instanceof KaleidoError && e.code === 'ERR_UNAUTHENTICATED') {
      const reason = e.details?.['reason'];
      onFailure?.(typeof reason === 'string' ? reason : 'invalid');
      throw new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired credentials', {
        details: { challenge: 'invalid_token' },
      });
    }
    throw e;
  }
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Does a browser request come from this server's own pages (or a trusted origin)? Origin is
 * checked when sent, else Referer; `Sec-Fetch-Site: cross-site` is refused. A request with none
 * of them (non-browser clients, stripped headers) passes: the CSRF token alone decides then.
 */
export function sameOriginRequest(request: FastifyRequest, trusted: ReadonlySet<string>): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return false;
  const host = request.host;
  const fits = (value: string): boolean => {
    try {
      const u = new URL(value);
      return (
        ((u.protocol === 'http:' || u.protocol === 'https:') && u.host === host) || trusted.has(u.origin)
      );
    } catch {
      return false;
    }
  };
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') return origin !== 'null' && fits(origin);
  const referer = request.headers.referer;
  if (typeof referer === 'string' && referer !== '') return fits(referer);
  return true;
}

/** Set-Cookie value that removes the session cookie. */
export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict;${secure ? ' Secure;' : ''} Max-Age=0`;
}

export const DEFAULT_OPEN_ROUTES: readonly string[] = ['/v2/health/live', '/v2/health/ready'];
export const ADMIN_ACTIONS: ReadonlySet<Action> = new Set(['create', 'update', 'delete', 'operate']);
export const ANONYMOUS_ACTIONS: ReadonlySet<Action> = new Set(['infer', 'read']);
export const ANONYMOUS_RESOURCES: ReadonlySet<ResourceType> = new Set([
  'model',
  'model_version',
  'deployment',
]);
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DEFAULT_CORS_HEADERS = [
  'authorization',
  'content-type',
  'content-encoding',
  'inference-header-content-length',
  'x-request-id',
];
const DEFAULT_CORS_EXPOSED = ['x-request-id', 'retry-after', 'inference-header-content-length'];
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

function validateOptions(o: SecurityPluginOptions): void {
  if (o.mode !== 'required' && o.mode !== 'open-inference') {
    throw new KaleidoError('ERR_BAD_CONFIG', 'auth.mode must be "required" or "open-inference"', {
      details: { field: 'auth.mode', value: o.mode },
    });
  }
  const rl = o.rateLimit;
  if (rl?.perIp) validatePolicy(rl.perIp, 'rateLimit.perIp');
  if (rl?.perPrincipal) validatePolicy(rl.perPrincipal, 'rateLimit.perPrincipal');
  if (rl?.perTenant) validatePolicy(rl.perTenant, 'rateLimit.perTenant');
  for (const origin of o.cors?.allowedOrigins ?? []) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `CORS origin "${origin}" must look like https://host[:port]`, {
        details: { field: 'cors.allowedOrigins', value: origin },
      });
    }
  }
}

const unauthenticated = (message: string): KaleidoError => new KaleidoError('ERR_UNAUTHENTICATED', message);

export function securityPlugin(options: SecurityPluginOptions): FastifyPluginAsync {
  validateOptions(options);
  const openRoutes = new Set(options.openRoutes ?? DEFAULT_OPEN_ROUTES);
  const anonymousTenant = options.anonymousTenant ?? 'default';
  const now = options.audit?.now ?? Date.now;
  const origins = new Set(options.cors?.allowedOrigins ?? []);
  const hsts =
    options.headers?.tls === true
      ? `max-age=${options.headers.hstsMaxAgeSeconds ?? 31_536_000}; includeSubDomains`
      : undefined;
  const csp = options.headers?.contentSecurityPolicy ?? API_CSP;

  const anonymous: Principal = {
    kind: 'anonymous',
    subject: 'anonymous',
    tenantId: anonymousTenant,
    role: 'service',
    scopes: [],
  };

  const routeSecurityOf = (request: FastifyRequest): RouteSecurity | undefined => {
    const declared = request.routeOptions.config.security;
    const sec = declared ?? options.routeSecurity?.(request);
    if (sec !== undefined && !(isAction(sec.action) && isResourceType(sec.resource))) {
      throw new KaleidoError('ERR_INTERNAL', 'route security declaration is invalid', {
        cause: new Error(`route ${request.routeOptions.url ?? '?'} declares ${JSON.stringify(sec)}`),
      });
    }
    return sec;
  };

  const sessions = options.sessions;
  const trustedOrigins = new Set([...(sessions?.trustedOrigins ?? []), ...origins].filter((o) => o !== '*'));

  async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    sec: RouteSecurity | undefined,
  ): Promise<Principal> {
    const header = request.headers.authorization;
    const cookie =
      sessions !== undefined && (header === undefined || header === '')
        ? cookieValue(request.headers.cookie, SESSION_COOKIE)
        : undefined;
    if (sessions !== undefined && cookie !== undefined && cookie !== '') {
      try {
        const resolved = await sessions.resolve(cookie);
        request.authSession = { ...resolved, token: cookie };
        return resolved.principal;
      } catch (e) {
        if (e instanceof KaleidoError && e.code === 'ERR_UNAUTHENTICATED') {
          request.log.info({ reason: e.details?.['reason'] }, 'session authentication failed');
          reply.header('set-cookie', clearSessionCookie(sessions.secureCookie !== false));
          throw unauthenticated('invalid or expired session: sign in again');
        }
        throw e;
      }
    }
    if (header === undefined || header === '') {
      const anonymousAllowed =
        options.mode === 'open-inference' &&
        sec !== undefined &&
        ANONYMOUS_ACTIONS.has(sec.action) &&
        ANONYMOUS_RESOURCES.has(sec.resource);
      if (anonymousAllowed) return anonymous;
      reply.header('www-authenticate', 'Bearer realm="kaleido"');
      throw unauthenticated('credentials are required (Authorization: Bearer <API key or token>)');
    }
    try {
      const principal = await authenticateBearer(
        header,
        { apiKeys: options.apiKeys, ...(options.jwt === undefined ? {} : { jwt: options.jwt }) },
        // The reason (revoked, expired …) is logged for operators, never told to the caller.
        (reason) => request.log.info({ reason }, 'authentication failed'),
      );
      if (principal === undefined) throw unauthenticated('credentials are required');
      return principal;
    } catch (e) {
      if (e instanceof KaleidoError && e.code === 'ERR_UNAUTHENTICATED') {
        const challenge =
          e.details?.['challenge'] === 'invalid_request' ? 'invalid_request' : 'invalid_token';
        reply.header('www-authenticate', `Bearer realm="kaleido", error="${challenge}"`);
        throw unauthenticated(e.message);
      }
      throw e;
    }
  }

  /** Cookie-authenticated unsafe requests: the session's CSRF token and a same-origin browser. */
  function checkCsrf(request: FastifyRequest): void {
    const s = request.authSession;
    if (s === null || SAFE_METHODS.has(request.method)) return;
    if (!csrfMatches(s.token, request.headers[CSRF_HEADER])) {
      throw new KaleidoError(
        'ERR_PERMISSION_DENIED',
        `missing or wrong ${CSRF_HEADER} header for this session`,
        {
          details: { reason: 'csrf' },
        },
      );
    }
    if (!sameOriginRequest(request, trustedOrigins)) {
      throw new KaleidoError('ERR_PERMISSION_DENIED', 'cross-origin request refused for a cookie session', {
        details: { reason: 'origin' },
      });
    }
  }

  async function limit(
    request: FastifyRequest,
    scope: 'ip' | 'principal' | 'tenant',
    id: string,
    policy: TokenBucketPolicy | undefined,
  ): Promise<void> {
    const rl = options.rateLimit;
    if (rl === undefined || policy === undefined) return;
    let decision;
    try {
      decision = await rl.store.take(`${scope}:${id}`, policy);
    } catch (e) {
      if (rl.failOpen === true) {
        request.log.warn({ err: e, scope }, 'rate-limit store unavailable; request allowed (failOpen)');
        return;
      }
      throw new KaleidoError('ERR_UNAVAILABLE', 'rate limiting is unavailable', {
        cause: e,
        retryAfterSeconds: 1,
      });
    }
    if (!decision.allowed) {
      throw new KaleidoError('ERR_RATE_LIMITED', `rate limit exceeded for this ${scope}`, {
        details: { scope },
        retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      });
    }
  }

  const plugin: FastifyPluginAsync = async (app) => {
    if (options.mode === 'open-inference') {
      app.log.warn(
        { authMode: options.mode, anonymousTenant },
        'SECURITY WARNING: auth.mode is "open-inference": inference and model metadata routes accept requests WITHOUT credentials',
      );
    }
    app.decorateRequest('principal', null);
    app.decorateRequest('securityResource', null);
    app.decorateRequest('authSession', null);
    app.decorateRequest(
      'authorizeResource',
      function (this: FastifyRequest, action: Action, resource: ResourceRef) {
        if (this.principal === null) throw unauthenticated('credentials are required');
        const decision = authorize(this.principal, action, resource);
        // A probe of another tenant's object is audited without naming it: that tenant's id and
        // object stay out of the caller's trail, and the caller's identity out of theirs.
        if (decision.allowed || decision.reason !== 'tenant') this.securityResource = resource;
        if (!decision.allowed) throw denialError(decision.reason, action, resource.type, resource.id);
      },
    );

    app.addHook('onRequest', async (request, reply) => {
      // Headers first, so that refusals below carry them too.
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('content-security-policy', csp);
      if (hsts !== undefined) reply.header('strict-transport-security', hsts);

      const origin = request.headers.origin;
      if (origins.size > 0 && typeof origin === 'string') {
        reply.header('vary', 'Origin');
        if (origins.has(origin) || origins.has('*')) {
          reply.header('access-control-allow-origin', origins.has('*') ? '*' : origin);
          if (
            request.method === 'OPTIONS' &&
            request.headers['access-control-request-method'] !== undefined
          ) {
            // A preflight carries no credentials by design: answer it before authentication.
            reply.header('access-control-allow-methods', CORS_METHODS);
            reply.header(
              'access-control-allow-headers',
              (options.cors?.allowedHeaders ?? DEFAULT_CORS_HEADERS).join(', '),
            );
            reply.header('access-control-max-age', String(options.cors?.maxAgeSeconds ?? 600));
            return reply.code(204).send();
          }
          reply.header(
            'access-control-expose-headers',
            (options.cors?.exposedHeaders ?? DEFAULT_CORS_EXPOSED).join(', '),
          );
        }
      }

      const url = request.routeOptions.url;
      if (url !== undefined && openRoutes.has(url)) return;

      await limit(request, 'ip', request.ip, options.rateLimit?.perIp);
      // Unmatched URLs still need a credential: a 404 must not tell strangers which routes exist.
      const sec = url === undefined ? undefined : routeSecurityOf(request);
      const principal = await authenticate(request, reply, sec);
      request.principal = principal;
      if (principal.kind !== 'anonymous') {
        await limit(
          request,
          'principal',
          `${principal.kind}:${principal.subject}`,
          options.rateLimit?.perPrincipal,
        );
        await limit(request, 'tenant', principal.tenantId, options.rateLimit?.perTenant);
      }

      checkCsrf(request);

      if (url === undefined) return; // the not-found handler answers
      if (sec === undefined) {
        throw new KaleidoError('ERR_PERMISSION_DENIED', 'this route declares no permission and is closed', {
          details: { route: url },
        });
      }
      if (sec.anyPrincipal === true && principal.kind !== 'anonymous') return;
      const decision = authorizeType(principal, sec.action, sec.resource);
      if (!decision.allowed) throw denialError(decision.reason, sec.action, sec.resource);
      return;
    });

    app.addHook('onSend', async (request, reply, payload) => {
      // Authenticated answers are per-caller: no shared cache may keep them.
      if (
        request.principal !== null &&
        request.principal.kind !== 'anonymous' &&
        !reply.hasHeader('cache-control')
      ) {
        reply.header('cache-control', 'no-store');
      }
      return payload;
    });

    const audit = options.audit;
    if (audit !== undefined) {
      app.addHook('onResponse', async (request, reply) => {
        const url = request.routeOptions.url;
        if (url === undefined || openRoutes.has(url)) return;
        let sec: RouteSecurity | undefined;
        try {
          sec = routeSecurityOf(request);
        } catch {
          sec = undefined;
        }
        if (sec === undefined || !(sec.audit === true || ADMIN_ACTIONS.has(sec.action))) return;
        const p = request.principal;
        const status = reply.statusCode;
        const params = (request.params ?? {}) as Record<string, unknown>;
        const resource = request.securityResource;
        const paramId = params['id'] ?? params['name'];
        try {
          await audit.log.append({
            at: now(),
            tenantId: resource?.tenantId ?? p?.tenantId ?? anonymousTenant,
            actor: p?.subject ?? 'unauthenticated',
            actorKind: p?.kind ?? 'unauthenticated',
            action: sec.action,
            resourceType: sec.resource,
            resourceId: resource?.id ?? (typeof paramId === 'string' ? paramId : null),
            outcome: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
            statusCode: status,
            requestId: request.id,
            sourceIp: request.ip,
            userAgent:
              typeof request.headers['user-agent'] === 'string'
                ? request.headers['user-agent'].slice(0, 512)
                : null,
            details: { method: request.method, route: url, params },
          });
        } catch (err) {
          // The action already happened; a lost audit record must at least be loud.
          request.log.error({ err, route: url, action: sec.action }, 'AUDIT WRITE FAILED');
        }
      });
    }
  };
  // Hooks must apply to the whole app, not only to routes registered inside this plugin: the
  // same flag fastify-plugin sets, without the dependency.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'kaleido-security',
  });
}
