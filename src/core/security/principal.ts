/**
 * Who is calling: the principal the edge builds from an API key, a JWT or (in open-inference
 * mode) nothing at all. Pure data; the authorization decision lives in rbac.ts.
 */

/** Roles, from most to least powerful. "analyst" is the read-only role (the analyst/viewer). */
export const Role = {
  ADMIN: 'admin',
  MAINTAINER: 'maintainer',
  OPERATOR: 'operator',
  ANALYST: 'analyst',
  SERVICE: 'service',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = Object.values(Role);

export const Action = {
  READ: 'read',
  CREATE: 'create',
  UPDATE: 'update',
  DELETE: 'delete',
  INFER: 'infer',
  /** Runtime operations: load/unload a version, promote/roll back a deployment, start/stop a study. */
  OPERATE: 'operate',
} as const;
export type Action = (typeof Action)[keyof typeof Action];
export const ACTIONS: readonly Action[] = Object.values(Action);

export const ResourceType = {
  MODEL: 'model',
  MODEL_VERSION: 'model_version',
  DEPLOYMENT: 'deployment',
  DATASET: 'dataset',
  STUDY: 'study',
  POLICY: 'policy',
  API_KEY: 'api_key',
  LEDGER: 'ledger',
  TENANT: 'tenant',
  AUDIT_LOG: 'audit_log',
  /** Console users (username + password) of a tenant. */
  USER: 'user',
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];
export const RESOURCE_TYPES: readonly ResourceType[] = Object.values(ResourceType);

/**
 * The tenant of the platform's own operators. Its admins may manage tenants, their API keys and
 * their audit logs across tenants (someone has to create a tenant and its first key); they still
 * cannot read or infer with another tenant's models, data sets or studies.
 */
export const SYSTEM_TENANT = 'system';

/** Tenant ids and other identifiers we accept: lowercase, no separators that could confuse keys. */
export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A scope narrows what a credential may do below its role, never widens it:
 * "<resource>:<action>", with "*" for either side ("model:infer", "dataset:*", "*:read").
 */
export type Scope = `${ResourceType | '*'}:${Action | '*'}`;
export const SCOPE = /^(\*|[a-z_]+):(\*|[a-z]+)$/;

/** `user`: a console user signed in with a password (through a browser session). */
export type PrincipalKind = 'api_key' | 'jwt' | 'user' | 'anonymous';

export interface Principal {
  readonly kind: PrincipalKind;
  /** Stable id of the caller: the API key id, the JWT `sub`, the user id, or "anonymous". */
  readonly subject: string;
  readonly tenantId: string;
  readonly role: Role;
  /** Empty: everything the role allows. Otherwise the role AND one matching scope must allow it. */
  readonly scopes: readonly Scope[];
}

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as string[]).includes(v);
export const isAction = (v: unknown): v is Action =>
  typeof v === 'string' && (ACTIONS as string[]).includes(v);
export const isResourceType = (v: unknown): v is ResourceType =>
  typeof v === 'string' && (RESOURCE_TYPES as string[]).includes(v);

/** A scope string is valid when both sides are "*" or a known resource/action. */
export function isScope(v: unknown): v is Scope {
  if (typeof v !== 'string') return false;
  const m = SCOPE.exec(v);
  if (!m) return false;
  const [, resource, action] = m;
  return (resource === '*' || isResourceType(resource)) && (action === '*' || isAction(action));
}
