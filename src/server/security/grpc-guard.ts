/**
 * The security edge of the gRPC front end: every call is authenticated from its metadata,
 * authorized with the RBAC table, rate limited and (for administrative calls) audited exactly as
 * the REST route that does the same thing — so gRPC never becomes a way around the HTTP edge
 * (the "unauthenticated admin API" class of bugs: Ray's ShadowRay, CVE-2023-48022).
 *
 * - Credentials: `authorization: Bearer <API key or JWT>` metadata, or `x-api-key: <API key>`;
 *   checked by the HTTP edge's own bearer check (edge.ts bearerAuthenticator), so revocation,
 *   expiry, JWT validation and tenant state are the same on both transports.
 * - Authorization: each RPC is mapped to its REST twin (GRPC_REST_EQUIVALENT) and gets that
 *   route's permission from route-table.ts; routes open over REST (health, `auth.openRoutes`) are
 *   open over gRPC, and in open-inference mode anonymous callers get what they get over REST.
 *   An RPC without a twin is refused (deny by default).
 * - Rate limits: the same buckets as REST (same store and keys), per IP before authentication,
 *   per principal and per tenant after; ModelStreamInfer takes one token per streamed request.
 * - Audit: administrative RPCs (load/unload …), allowed or refused, go to the audit log with
 *   `details.transport = "grpc"` and the HTTP-equivalent status.
 * - Failures carry the catalog's codes (ERR_UNAUTHENTICATED → UNAUTHENTICATED, ERR_PERMISSION_DENIED
 *   → PERMISSION_DENIED, ERR_RATE_LIMITED → RESOURCE_EXHAUSTED with a retry-after trailer).
 */
import { randomUUID } from 'node:crypto';
import { KaleidoError, toKaleidoError } from '../../core/errors.js';
import type { AuditLog, RateLimitStore } from '../../core/ports/security.js';
import type { Principal } from '../../core/security/principal.js';
import { authorizeType, denialError } from '../../core/security/rbac.js';
import type { TokenBucketPolicy } from '../../core/security/token-bucket.js';
import {
  ADMIN_ACTIONS,
  ANONYMOUS_ACTIONS,
  ANONYMOUS_RESOURCES,
  type AuthMode,
  type RouteSecurity,
} from '../plugins/security.js';
import { routeSecurityFor } from './route-table.js';

/** The REST route each RPC does the same thing as: its permission is that route's. */
export const GRPC_REST_EQUIVALENT: Readonly<
  Record<string, { readonly method: string; readonly url: string }>
> = {
  ServerLive: { method: 'GET', url: '/v2/health/live' },
  ServerReady: { method: 'GET', url: '/v2/health/ready' },
  'Health.Check': { method: 'GET', url: '/v2/health/ready' },
  ServerMetadata: { method: 'GET', url: '/v2' },
  ModelReady: { method: 'GET', url: '/v2/models/:model/ready' },
  ModelMetadata: { method: 'GET', url: '/v2/models/:model' },
  ModelConfig: { method: 'GET', url: '/v2/models/:model/config' },
  ModelStatistics: { method: 'GET', url: '/v2/models/:model/stats' },
  ModelInfer: { method: 'POST', url: '/v2/models/:model/infer' },
  ModelStreamInfer: { method: 'POST', url: '/v2/models/:model/infer' },
  RepositoryIndex: { method: 'POST', url: '/v2/repository/index' },
  RepositoryModelLoad: { method: 'POST', url: '/v2/repository/models/:model/load' },
  RepositoryModelUnload: { method: 'POST', url: '/v2/repository/models/:model/unload' },
};

/** What the guard sees of a call (grpc-js Metadata satisfies `metadata`). */
export interface GrpcCallContext {
  /** The RPC name as the server records it ("ModelInfer", "Health.Check"). */
  readonly method: string;
  readonly metadata: { get(key: string): Array<string | Buffer> };
  /** grpc-js getPeer(): "127.0.0.1:50123", "[::1]:50123", "ipv4:…". */
  readonly peer: string;
  /** The request message of a unary call (names the model in the audit entry). */
  readonly request?: unknown;
}

export interface GrpcAdmission {
  /** Null on open RPCs. */
  readonly principal: Principal | null;
  /** One more request on the same call (ModelStreamInfer): takes rate-limit tokens again. */
  admitAnother(): Promise<void>;
  /** The call ended with this gRPC status code: writes the audit entry of administrative calls. */
  finish(grpcCode: number): void;
}

export type GrpcGuard = (call: GrpcCallContext) => Promise<GrpcAdmission>;

export interface GrpcGuardOptions {
  readonly mode: AuthMode;
  /** The HTTP edge's bearer check (edge.ts bearerAuthenticator). */
  readonly authenticate: (
    authorization: string | undefined,
    onFailure?: (reason: string) => void,
  ) => Promise<Principal | undefined>;
  /** Route URLs open over REST (openRoutesFor with the same config): their RPCs are open too. */
  readonly openRoutes: readonly string[];
  readonly rateLimit?: {
    readonly store: RateLimitStore;
    readonly perIp?: TokenBucketPolicy;
    readonly perPrincipal?: TokenBucketPolicy;
    readonly perTenant?: TokenBucketPolicy;
    readonly failOpen?: boolean;
  };
  readonly audit?: AuditLog;
  readonly now?: () => number;
  readonly anonymousTenant?: string;
  readonly logger?: { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

/** gRPC status → the HTTP status REST would have answered (for the audit log's statusCode). */
const HTTP_OF_GRPC: Readonly<Record<number, number>> = {
  0: 200,
  1: 499,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 412,
  12: 501,
  14: 503,
  16: 401,
};

/** The client address in a grpc-js peer string ("ipv4:1.2.3.4:5", "[::1]:5", "1.2.3.4:5"). */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^([^:]+):\d+$/.exec(p);
  return v4 ? (v4[1] as string) : p;
}

const first = (metadata: GrpcCallContext['metadata'], key: string): string | undefined => {
  const v = metadata.get(key)[0];
  return v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8');
};

function resourceIdOf(request: unknown): string | null {
  if (typeof request !== 'object' || request === null) return null;
  const r = request as Record<string, unknown>;
  const id = r['model_name'] ?? r['name'];
  return typeof id === 'string' && id !== '' ? id.slice(0, 256) : null;
}

export function createGrpcGuard(options: GrpcGuardOptions): GrpcGuard {
  const open = new Set(options.openRoutes);
  const now = options.now ?? Date.now;
  const anonymousTenant = options.anonymousTenant ?? 'default';
  const anonymous: Principal = {
    kind: 'anonymous',
    subject: 'anonymous',
    tenantId: anonymousTenant,
    role: 'service',
    scopes: [],
  };

  async function limit(scope: 'ip' | 'principal' | 'tenant', id: string, policy?: TokenBucketPolicy) {
    const rl = options.rateLimit;
    if (rl === undefined || policy === undefined) return;
    let decision;
    try {
      decision = await rl.store.take(`${scope}:${id}`, policy);
    } catch (e) {
      if (rl.failOpen === true) return;
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

  async function admitPrincipal(principal: Principal): Promise<void> {
    if (principal.kind === 'anonymous') return;
    await limit('principal', `${principal.kind}:${principal.subject}`, options.rateLimit?.perPrincipal);
    await limit('tenant', principal.tenantId, options.rateLimit?.perTenant);
  }

  function audit(
    call: GrpcCallContext,
    sec: RouteSecurity,
    principal: Principal | null,
    requestId: string,
    ip: string,
    grpcCode: number,
  ): void {
    if (options.audit === undefined || !(sec.audit === true || ADMIN_ACTIONS.has(sec.action))) return;
    const status = HTTP_OF_GRPC[grpcCode] ?? 500;
    options.audit
      .append({
        at: now(),
        tenantId: principal?.tenantId ?? anonymousTenant,
        actor: principal?.subject ?? 'unauthenticated',
        actorKind: principal?.kind ?? 'unauthenticated',
        action: sec.action,
        resourceType: sec.resource,
        resourceId: resourceIdOf(call.request),
        outcome: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
        statusCode: status,
        requestId,
        sourceIp: ip,
        userAgent: first(call.metadata, 'user-agent')?.slice(0, 512) ?? null,
        details: { transport: 'grpc', rpc: call.method, grpcCode },
      })
      .catch((err: unknown) => {
        // The action already happened; a lost audit record must at least be loud.
        options.logger?.error({ err, rpc: call.method }, 'AUDIT WRITE FAILED');
      });
  }

  return async (call) => {
    const twin = GRPC_REST_EQUIVALENT[call.method];
    if (twin !== undefined && open.has(twin.url)) {
      return { principal: null, admitAnother: async () => undefined, finish: () => undefined };
    }
    const ip = peerAddress(call.peer);
    const requestId = first(call.metadata, 'x-request-id')?.slice(0, 128) ?? randomUUID();
    const sec = twin === undefined ? undefined : routeSecurityFor(twin.method, twin.url);
    let principal: Principal | null = null;
    try {
      await limit('ip', ip, options.rateLimit?.perIp);
      const apiKey = first(call.metadata, 'x-api-key');
      const authorization =
        first(call.metadata, 'authorization') ??
        (apiKey === undefined || apiKey === '' ? undefined : `Bearer ${apiKey}`);
      const authenticated = await options.authenticate(authorization, (reason) =>
        options.logger?.info({ reason, rpc: call.method, transport: 'grpc' }, 'authentication failed'),
      );
      if (authenticated === undefined) {
        const anonymousAllowed =
          options.mode === 'open-inference' &&
          sec !== undefined &&
          ANONYMOUS_ACTIONS.has(sec.action) &&
          ANONYMOUS_RESOURCES.has(sec.resource);
        if (!anonymousAllowed) {
          throw new KaleidoError(
            'ERR_UNAUTHENTICATED',
            'credentials are required (metadata "authorization: Bearer <API key or token>" or "x-api-key")',
          );
        }
        principal = anonymous;
      } else principal = authenticated;
      await admitPrincipal(principal);
      if (sec === undefined) {
        throw new KaleidoError('ERR_PERMISSION_DENIED', 'this RPC declares no permission and is closed', {
          details: { rpc: call.method },
        });
      }
      const decision = authorizeType(principal, sec.action, sec.resource);
      if (!decision.allowed) throw denialError(decision.reason, sec.action, sec.resource);
    } catch (e) {
      const error = toKaleidoError(e);
      if (sec !== undefined) {
        const code =
          error.code === 'ERR_UNAUTHENTICATED'
            ? 16
            : error.code === 'ERR_PERMISSION_DENIED'
              ? 7
              : error.code === 'ERR_RATE_LIMITED'
                ? 8
                : 13;
        audit(call, sec, principal, requestId, ip, code);
      }
      throw error;
    }
    const admitted = principal;
    const security = sec;
    return {
      principal: admitted,
      admitAnother: async () => {
        await limit('ip', ip, options.rateLimit?.perIp);
        await admitPrincipal(admitted);
      },
      finish: (grpcCode) => audit(call, security, admitted, requestId, ip, grpcCode),
    };
  };
}
