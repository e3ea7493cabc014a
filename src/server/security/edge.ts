/**
 * Puts the security edge in front of buildApp's routes: the security plugin (authentication, rate
 * limits, RBAC, audit, headers, CORS) with the route table of route-table.ts, the security
 * administration routes (/v1/keys, /v1/tenants, /v1/audit), console sign-in and users (/v1/auth/*,
 * /v1/users, when `accounts` is given), and an inventory of every route
 * registered afterwards with how it is protected, so tests and the startup log can prove that no
 * route was left undeclared.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { AuditLog, JwtVerifier, RateLimitStore, TenantStore } from '../../core/ports/security.js';
import type { Principal } from '../../core/security/principal.js';
import type { TokenBucketPolicy } from '../../core/security/token-bucket.js';
import type { ApiKeyService } from '../../security/api-keys.js';
import type { LoginThrottle } from '../../security/login-throttle.js';
import type { SessionService } from '../../security/sessions.js';
import type { UserService } from '../../security/users.js';
import {
  authenticateBearer,
  securityPlugin,
  type AuthMode,
  type RouteSecurity,
} from '../plugins/security.js';
import {
  LOGIN_ROUTE,
  registerAuthSessionRoutes,
  registerBearerOnlySessionRoute,
} from '../routes/auth-sessions.js';
import { registerSecurityAdminRoutes } from '../routes/security-admin.js';
import { openRoutesFor, routeSecurityFor } from './route-table.js';

export interface AppSecurity {
  /** 'required' or 'open-inference' ('disabled' means: do not pass `security` to buildApp). */
  readonly mode: AuthMode;
  readonly apiKeys: ApiKeyService;
  /** Tenants and the audit trail (SqlSecurityStore implements both). */
  readonly store: TenantStore & AuditLog;
  /** Bearer JWTs from an OIDC/OAuth issuer (auth.jwt); absent = only API keys. */
  readonly jwt?: JwtVerifier;
  /** Console users and browser sessions (auth.sessions); absent = bearer credentials only. */
  readonly accounts?: {
    readonly users: UserService;
    readonly sessions: SessionService;
    readonly throttle: LoginThrottle;
    /** Set-Cookie Secure (default true). */
    readonly secureCookie?: boolean;
  };
  readonly rateLimit?: {
    readonly store: RateLimitStore;
    readonly perIp?: TokenBucketPolicy;
    readonly perPrincipal?: TokenBucketPolicy;
    readonly perTenant?: TokenBucketPolicy;
    readonly failOpen?: boolean;
  };
  /** Browser origins allowed to call the API; empty or absent = CORS off. */
  readonly allowedOrigins?: readonly string[];
  /** `auth.openRoutes`: further routes that need no credential. */
  readonly openRoutes?: readonly string[];
  /** `auth.openMetrics`: /metrics without a credential. */
  readonly openMetrics?: boolean;
  /** Send Strict-Transport-Security (served over TLS). */
  readonly hsts?: boolean;
  /** Wall clock, ms since the epoch (audit times, tenant times). */
  readonly now?: () => number;
}

export type RouteAccess =
  /** No credential needed (health probes, web UI shell, configured open routes). */
  | { readonly method: string; readonly url: string; readonly access: 'open' }
  /** Protected by the route's own `config.security` or by the route table. */
  | {
      readonly method: string;
      readonly url: string;
      readonly access: 'declared' | 'mapped';
      readonly security: RouteSecurity;
    }
  /** Neither: the plugin refuses every request to it (deny by default). */
  | { readonly method: string; readonly url: string; readonly access: 'refused' };

const inventories = new WeakMap<FastifyInstance, RouteAccess[]>();

/** Every route registered after the security edge, with how it is protected. */
export function routeInventory(app: FastifyInstance): readonly RouteAccess[] {
  return inventories.get(app) ?? [];
}

/**
 * The credential check of the HTTP edge as a function of one Authorization value (an HTTP header or
 * gRPC "authorization" metadata): undefined when none was sent, the principal of a valid API key or
 * JWT, else a KaleidoError (ERR_UNAUTHENTICATED with a generic message; ERR_PERMISSION_DENIED for a
 * JWT without a Kaleido role; ERR_UNAVAILABLE when the JWKS cannot be fetched). Cookies are an
 * HTTP-only credential and are not accepted here.
 */
export function bearerAuthenticator(
  security: Pick<AppSecurity, 'apiKeys' | 'jwt'>,
): (
  authorization: string | undefined,
  onFailure?: (reason: string) => void,
) => Promise<Principal | undefined> {
  const verifiers = {
    apiKeys: security.apiKeys,
    ...(security.jwt === undefined ? {} : { jwt: security.jwt }),
  };
  return (authorization, onFailure) => authenticateBearer(authorization, verifiers, onFailure);
}

export async function registerSecurityEdge(
  app: FastifyInstance,
  security: AppSecurity,
  options: { readonly maxJsonDepth: number },
): Promise<void> {
  const accounts = security.accounts;
  const open = new Set(
    openRoutesFor({
      openMetrics: security.openMetrics,
      // Sign-in is the one route a browser reaches without a credential: it checks its own.
      extra: [...(security.openRoutes ?? []), ...(accounts === undefined ? [] : [LOGIN_ROUTE])],
    }),
  );
  // (method, url) → security, filled as routes are registered: the per-request lookup is one Map hit.
  const table = new Map<string, RouteSecurity | undefined>();
  const inventory: RouteAccess[] = [];
  inventories.set(app, inventory);

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const declared = (route.config as { security?: RouteSecurity } | undefined)?.security;
    for (const method of methods) {
      const url = route.url;
      const mapped = declared === undefined ? routeSecurityFor(method, url) : undefined;
      table.set(`${method} ${url}`, mapped);
      if (open.has(url)) inventory.push({ method, url, access: 'open' });
      else if (declared !== undefined)
        inventory.push({ method, url, access: 'declared', security: declared });
      else if (mapped !== undefined) inventory.push({ method, url, access: 'mapped', security: mapped });
      else inventory.push({ method, url, access: 'refused' });
    }
  });

  const origins = security.allowedOrigins ?? [];
  await app.register(
    securityPlugin({
      mode: security.mode,
      apiKeys: security.apiKeys,
      ...(security.jwt === undefined ? {} : { jwt: security.jwt }),
      ...(accounts === undefined
        ? {}
        : {
            sessions: {
              resolve: (token: string) => accounts.sessions.resolve(token),
              trustedOrigins: origins,
              secureCookie: accounts.secureCookie !== false,
            },
          }),
      openRoutes: [...open],
      routeSecurity: (request) => {
        const url = request.routeOptions.url;
        if (url === undefined) return undefined;
        const key = `${request.method} ${url}`;
        return table.has(key) ? table.get(key) : routeSecurityFor(request.method, url);
      },
      ...(security.rateLimit === undefined ? {} : { rateLimit: security.rateLimit }),
      headers: { tls: security.hsts === true },
      ...(origins.length > 0 ? { cors: { allowedOrigins: origins } } : {}),
      audit: { log: security.store, ...(security.now === undefined ? {} : { now: security.now }) },
    }),
  );

  app.addHook('onReady', async () => {
    const refused = inventory.filter((r) => r.access === 'refused').map((r) => `${r.method} ${r.url}`);
    if (refused.length > 0) {
      app.log.warn(
        { routes: refused },
        'routes without a security declaration are refused to every caller: declare config.security or map them in src/server/security/route-table.ts',
      );
    }
  });

  await registerSecurityAdminRoutes(app, {
    keys: security.apiKeys,
    tenants: security.store,
    audit: security.store,
    maxJsonDepth: options.maxJsonDepth,
    ...(security.now === undefined ? {} : { now: security.now }),
  });

  if (accounts !== undefined) {
    await registerAuthSessionRoutes(app, {
      users: accounts.users,
      sessions: accounts.sessions,
      apiKeys: security.apiKeys,
      throttle: accounts.throttle,
      audit: security.store,
      maxJsonDepth: options.maxJsonDepth,
      secureCookie: accounts.secureCookie !== false,
      trustedOrigins: origins,
      ...(security.now === undefined ? {} : { now: security.now }),
    });
  } else {
    // Console sign-in is off; "who am I" still answers bearer callers (no 404 for the console).
    await registerBearerOnlySessionRoute(app);
  }
}
