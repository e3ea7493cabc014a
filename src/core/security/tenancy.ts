/**
 * Tenant scoping helpers for list and lookup code paths: every query is narrowed to the caller's
 * tenant before it runs, and results are filtered again before they leave (defence in depth).
 */
import { KaleidoError } from '../errors.js';
import type { Action, Principal, ResourceType } from './principal.js';
import { TENANT_ID } from './principal.js';
import { authorize, denialError, tenantVisible } from './rbac.js';

/** Throws ERR_VALIDATION unless `id` is a well-formed tenant id. */
export function assertTenantId(id: unknown, field = 'tenantId'): asserts id is string {
  if (typeof id !== 'string' || !TENANT_ID.test(id)) {
    throw new KaleidoError('ERR_VALIDATION', `${field} must match ${TENANT_ID.source}`, {
      details: { field, value: typeof id === 'string' ? id.slice(0, 80) : typeof id },
    });
  }
}

/**
 * The tenant a list query must be restricted to. A caller asks for its own tenant by default;
 * asking for another tenant (only meaningful for the system tenant's admins on tenant, key and
 * audit resources) answers ERR_NOT_FOUND when not allowed, exactly like a tenant that does not exist.
 */
export function listTenant(principal: Principal, type: ResourceType, requested?: string): string {
  const tenantId = requested ?? principal.tenantId;
  assertTenantId(tenantId);
  if (!tenantVisible(principal, type, tenantId)) throw denialError('tenant', 'read', 'tenant', tenantId);
  return tenantId;
}

/** Keeps the items the principal may `action`; never throws, never reveals what it dropped. */
export function filterAuthorized<T extends { readonly tenantId: string; readonly id?: string }>(
  principal: Principal,
  action: Action,
  type: ResourceType,
  items: readonly T[],
): T[] {
  return items.filter(
    (item) =>
      authorize(principal, action, {
        type,
        tenantId: item.tenantId,
        ...(item.id === undefined ? {} : { id: item.id }),
      }).allowed,
  );
}

/**
 * Loads an object by id and checks it in one step: a missing object and another tenant's object
 * give the same ERR_NOT_FOUND, so ids cannot be probed across tenants.
 */
export async function loadAuthorized<T extends { readonly tenantId: string }>(
  principal: Principal,
  action: Action,
  type: ResourceType,
  id: string,
  load: (id: string) => Promise<T | undefined>,
): Promise<T> {
  const item = await load(id);
  if (item === undefined) throw denialError('tenant', action, type, id);
  const decision = authorize(principal, action, { type, tenantId: item.tenantId, id });
  if (!decision.allowed) throw denialError(decision.reason, action, type, id);
  return item;
}
