/**
 * Tenant scoping helpers for list and lookup code paths: every query is narrowed to the caller's
 * tenant before it runs, and results are filtered again before they leave (defence in depth).
 */
import { KaleidoError } from '../errors.js';
import type { Action, Principal, ResourceType } from './principal.js';
import { SYSTEM_TENANT, TENANT_ID } from './principal.js';
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

/**
 * Served (model repository) names of tenants' trained models: the system tenant's keep their
 * plain name; another tenant's are published as `<tenant>__<name>` (tenant ids never contain "_",
 * so the first "__" always ends the tenant). Bundled and configured repository models have plain
 * names and belong to the system tenant: platform-wide, visible to every tenant. See
 * docs/adr (tenant-owned models) for why names carry the owner rather than a field or a
 * repository per tenant.
 */
export const TENANT_MODEL_SEPARATOR = '__';
const TENANT_MODEL = /^([a-z0-9][a-z0-9-]{0,62})__(.+)$/;

/** The served name of `tenantId`'s model `name`. */
export function servingModelName(tenantId: string, name: string): string {
  if (tenantId === SYSTEM_TENANT) {
    // A plain name that looks tenant-qualified would be served as that tenant's model.
    if (TENANT_MODEL.test(name) && servingModelOwner(name) !== SYSTEM_TENANT) {
      throw new KaleidoError('ERR_VALIDATION', `model names of the form <tenant>__<name> are reserved`, {
        details: { field: 'modelName', value: name.slice(0, 200) },
      });
    }
    return name;
  }
  assertTenantId(tenantId);
  return `${tenantId}${TENANT_MODEL_SEPARATOR}${name}`;
}

/** The owner of a served model name: the tenant prefix, or the system tenant for plain names. */
export function servingModelOwner(servedName: string): string {
  const m = TENANT_MODEL.exec(servedName);
  return m === null ? SYSTEM_TENANT : (m[1] as string);
}

/** The tenant's own name of a served model (the served name without the caller's prefix). */
export function ownModelName(tenantId: string, servedName: string): string {
  const prefix = `${tenantId}${TENANT_MODEL_SEPARATOR}`;
  return tenantId !== SYSTEM_TENANT && servedName.startsWith(prefix)
    ? servedName.slice(prefix.length)
    : servedName;
}

/** May `tenantId` see, query and infer with the served model `servedName`? */
export function servedModelVisible(tenantId: string, servedName: string): boolean {
  const owner = servingModelOwner(servedName);
  return owner === SYSTEM_TENANT || owner === tenantId;
}
