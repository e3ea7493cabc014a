/**
 * Authorization, decided in one place: role × action × resource type (the table below), then the
 * credential's scopes, then the tenant of the object. Everything not granted here is denied.
 *
 * The table is data on purpose: rbac.test.ts spells out every cell, so a change to who may do
 * what shows up as a failing test and a reviewed diff, never as a side effect.
 */
import { KaleidoError } from '../errors.js';
import { SYSTEM_TENANT, type Action, type Principal, type ResourceType, type Role } from './principal.js';

type Grants = Readonly<Partial<Record<ResourceType, readonly Action[]>>>;

const ALL_MODEL_ACTIONS: readonly Action[] = ['read', 'create', 'update', 'delete', 'infer', 'operate'];

/**
 * Which actions exist for a resource type at all (an audit log is never updated, a data set is
 * never "inferred with"). A grant outside this set is a programming error (checked by the test).
 */
export const RESOURCE_ACTIONS: Readonly<Record<ResourceType, readonly Action[]>> = {
  model: ALL_MODEL_ACTIONS,
  model_version: ALL_MODEL_ACTIONS,
  deployment: ALL_MODEL_ACTIONS,
  dataset: ['read', 'create', 'update', 'delete'],
  study: ['read', 'create', 'update', 'delete', 'operate'],
  policy: ['read', 'create', 'update', 'delete'],
  // Revoking a key is "delete"; keys are immutable otherwise (a new scope means a new key).
  api_key: ['read', 'create', 'delete'],
  // The ledger is appended to by the server itself, never through a caller's write.
  ledger: ['read'],
  tenant: ['read', 'create', 'update', 'delete'],
  // Written only by the audit hook; nobody edits or deletes history through the API.
  audit_log: ['read'],
  // Disabling a user or resetting a password is "update"; users are never deleted (the audit
  // trail names them).
  user: ['read', 'create', 'update'],
};

/**
 * - admin: everything in its tenant (and, for the system tenant, tenant administration).
 * - maintainer: builds models: models, versions, data sets, studies, policies; no production
 *   operations, no keys.
 * - operator: runs production: loads/unloads versions, owns deployments (promote, roll back),
 *   reads what it needs to judge them; no data sets, no model authoring.
 * - analyst: reads everything but keys, tenants and the audit log, and may run inference.
 * - service: a machine client: model metadata and inference only.
 */
export const ROLE_GRANTS: Readonly<Record<Role, Grants>> = {
  admin: RESOURCE_ACTIONS,
  maintainer: {
    model: ['read', 'create', 'update', 'delete', 'infer'],
    model_version: ['read', 'create', 'update', 'delete', 'infer'],
    deployment: ['read', 'infer'],
    dataset: ['read', 'create', 'update', 'delete'],
    study: ['read', 'create', 'update', 'delete', 'operate'],
    policy: ['read', 'create', 'update'],
    ledger: ['read'],
  },
  operator: {
    model: ['read', 'infer', 'operate'],
    model_version: ['read', 'infer', 'operate'],
    deployment: ['read', 'create', 'update', 'delete', 'infer', 'operate'],
    study: ['read'],
    policy: ['read'],
    ledger: ['read'],
  },
  analyst: {
    model: ['read', 'infer'],
    model_version: ['read', 'infer'],
    deployment: ['read', 'infer'],
    dataset: ['read'],
    study: ['read'],
    policy: ['read'],
    ledger: ['read'],
  },
  service: {
    model: ['read', 'infer'],
    model_version: ['read', 'infer'],
    deployment: ['read', 'infer'],
  },
};

/** Resource types the system tenant's admins may reach in other tenants. */
const CROSS_TENANT_ADMIN: ReadonlySet<ResourceType> = new Set(['tenant', 'api_key', 'audit_log', 'user']);

/** The object being acted on. `tenantId` is the owner (for a tenant: its own id). */
export interface ResourceRef {
  readonly type: ResourceType;
  readonly tenantId: string;
  readonly id?: string;
}

export type Decision =
  | { readonly allowed: true }
  /**
   * `tenant`: the object belongs to another tenant: answer as if it did not exist.
   * `role` / `scope`: the caller sees the object's kind but may not do this to it.
   */
  | { readonly allowed: false; readonly reason: 'tenant' | 'role' | 'scope' };

/** Does the role allow `action` on this resource type, ignoring tenants and scopes? */
export function roleAllows(role: Role, action: Action, type: ResourceType): boolean {
  const grants = ROLE_GRANTS[role] as Grants | undefined;
  return grants?.[type]?.includes(action) === true;
}

/** Does the principal's scope list (empty = unrestricted) allow `action` on `type`? */
export function scopesAllow(principal: Principal, action: Action, type: ResourceType): boolean {
  if (principal.scopes.length === 0) return true;
  return principal.scopes.some((scope) => {
    const [r, a] = scope.split(':');
    return (r === '*' || r === type) && (a === '*' || a === action);
  });
}

/** May the principal reach objects of `tenantId` at all (for this resource type)? */
export function tenantVisible(principal: Principal, type: ResourceType, tenantId: string): boolean {
  if (principal.tenantId === tenantId) return true;
  return principal.tenantId === SYSTEM_TENANT && principal.role === 'admin' && CROSS_TENANT_ADMIN.has(type);
}

/**
 * Type-level check (before the object is loaded): could this principal do `action` to some
 * object of this type in its own tenant? Routes use it to fail fast; the object-level check
 * below is still required once the object's tenant is known.
 */
export function authorizeType(principal: Principal, action: Action, type: ResourceType): Decision {
  if (!roleAllows(principal.role, action, type)) return { allowed: false, reason: 'role' };
  if (!scopesAllow(principal, action, type)) return { allowed: false, reason: 'scope' };
  return { allowed: true };
}

/**
 * The one authorization decision. The tenant check comes first so that a caller from another
 * tenant learns nothing, not even that the object exists.
 */
export function authorize(principal: Principal, action: Action, resource: ResourceRef): Decision {
  if (!tenantVisible(principal, resource.type, resource.tenantId))
    return { allowed: false, reason: 'tenant' };
  return authorizeType(principal, action, resource.type);
}

/**
 * authorize(), throwing: another tenant's object is ERR_NOT_FOUND (indistinguishable from a
 * missing one), a forbidden action is ERR_PERMISSION_DENIED.
 */
export function assertAuthorized(principal: Principal, action: Action, resource: ResourceRef): void {
  const decision = authorize(principal, action, resource);
  if (decision.allowed) return;
  throw denialError(decision.reason, action, resource.type, resource.id);
}

export function denialError(
  reason: 'tenant' | 'role' | 'scope',
  action: Action,
  type: ResourceType,
  id?: string,
): KaleidoError {
  if (reason === 'tenant') {
    return new KaleidoError('ERR_NOT_FOUND', `${type}${id === undefined ? '' : ` "${id}"`} not found`, {
      details: { resource: type, ...(id === undefined ? {} : { id }) },
    });
  }
  return new KaleidoError('ERR_PERMISSION_DENIED', `not allowed to ${action} ${type}`, {
    details: { action, resource: type, reason },
  });
}
