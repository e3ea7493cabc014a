/**
 * What the signed-in caller may do, for showing and enabling the console's actions. The server
 * decides every request on its own (src/core/security/rbac.ts); this only keeps the console from
 * offering what would be refused, and says why.
 *
 * What is allowed comes from the server alone: the answer of `GET /v1/auth/session` (and of
 * sign-in) lists every "resource:action" the principal may do, computed by the server's own RBAC
 * (role grants narrowed by the credential's scopes). No copy of the role table lives here, so a
 * change on the server cannot leave the console offering the wrong controls. The list is read
 * tolerantly: an array ("dataset:create") or a map ({dataset: ["create"]}).
 */

export type Role = 'admin' | 'maintainer' | 'operator' | 'analyst' | 'service';
export type Action = 'read' | 'create' | 'update' | 'delete' | 'infer' | 'operate';
export type Resource =
  | 'model'
  | 'model_version'
  | 'deployment'
  | 'dataset'
  | 'study'
  | 'policy'
  | 'api_key'
  | 'ledger'
  | 'tenant'
  | 'audit_log'
  | 'user';

export const SYSTEM_TENANT = 'system';

/** The server's roles (src/core/security/principal.ts), most powerful first: for role pickers. */
export const ROLES: readonly Role[] = ['admin', 'maintainer', 'operator', 'analyst', 'service'];

export interface Principal {
  readonly subject: string;
  readonly tenantId: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly kind: string;
}

/**
 * The console's view of the session:
 * - `open`: the server checks no credentials (auth disabled, or no session endpoint): everything
 *   is offered and the server's answers decide;
 * - `signed-in`: a principal and what it may do;
 * - `signed-out`: the server wants credentials (401).
 */
export type AuthInfo =
  | { readonly mode: 'open' }
  | { readonly mode: 'signed-out' }
  | {
      readonly mode: 'signed-in';
      readonly principal: Principal;
      /** "resource:action" strings from the server; undefined = none sent (offer everything). */
      readonly permissions?: ReadonlySet<string>;
    };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parsePermissions(raw: unknown): Set<string> | undefined {
  if (Array.isArray(raw)) return new Set(raw.filter((p): p is string => typeof p === 'string'));
  if (isObject(raw)) {
    const out = new Set<string>();
    for (const [resource, actions] of Object.entries(raw)) {
      if (Array.isArray(actions))
        for (const a of actions) if (typeof a === 'string') out.add(`${resource}:${a}`);
    }
    return out;
  }
  return undefined;
}

/** Reads an answer of GET /v1/auth/session (tolerant of where the principal's fields sit). */
export function parseSession(body: unknown): AuthInfo {
  if (!isObject(body)) return { mode: 'open' };
  if (body['authEnabled'] === false || body['mode'] === 'disabled') return { mode: 'open' };
  const p = isObject(body['principal']) ? body['principal'] : body;
  const role = str(p['role']);
  const tenantId =
    str(p['tenantId']) ??
    str(p['tenant']) ??
    (isObject(p['tenant']) ? str((p['tenant'] as Record<string, unknown>)['id']) : undefined);
  if (role === undefined || !(ROLES as readonly string[]).includes(role) || tenantId === undefined) {
    return { mode: 'open' };
  }
  const scopes = Array.isArray(p['scopes'])
    ? p['scopes'].filter((s): s is string => typeof s === 'string')
    : [];
  const permissions = parsePermissions(body['permissions'] ?? p['permissions']);
  return {
    mode: 'signed-in',
    principal: {
      subject: str(p['subject']) ?? str(p['id']) ?? 'unknown',
      tenantId,
      role: role as Role,
      scopes,
      kind: str(p['kind']) ?? 'api_key',
    },
    ...(permissions === undefined ? {} : { permissions }),
  };
}

/**
 * Whether the console should offer `action` on `resource`: what the server listed for this
 * principal. A server that sends no list (older than the list) gets every control offered, and
 * its answers decide, as in open mode.
 */
export function can(auth: AuthInfo, resource: Resource, action: Action): boolean {
  if (auth.mode === 'open') return true;
  if (auth.mode === 'signed-out') return false;
  if (auth.permissions === undefined) return true;
  return auth.permissions.has(`${resource}:${action}`) || auth.permissions.has(`${resource}:*`);
}

const NOUNS: Record<Resource, string> = {
  model: 'models',
  model_version: 'model versions',
  deployment: 'deployments',
  dataset: 'data sets',
  study: 'studies',
  policy: 'policies',
  api_key: 'API keys',
  ledger: 'the ledger',
  tenant: 'tenants',
  audit_log: 'the audit log',
  user: 'users',
};

/** A sentence for a disabled control: why it is disabled and what to do. */
export function deniedReason(auth: AuthInfo, resource: Resource, action: Action): string | undefined {
  if (can(auth, resource, action)) return undefined;
  if (auth.mode === 'signed-out') return 'Sign in to do this.';
  if (auth.mode === 'signed-in') {
    return `Your role (${auth.principal.role}) may not ${action} ${NOUNS[resource]}. Ask an administrator of tenant ${auth.principal.tenantId}.`;
  }
  return undefined;
}

/** System-tenant admins administer every tenant's keys and audit log (a tenant switcher). */
export const isSystemAdmin = (auth: AuthInfo): boolean =>
  auth.mode === 'signed-in' && auth.principal.tenantId === SYSTEM_TENANT && auth.principal.role === 'admin';
