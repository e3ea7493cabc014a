import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import {
  ACTIONS,
  RESOURCE_TYPES,
  ROLES,
  SYSTEM_TENANT,
  isScope,
  type Action,
  type Principal,
  type ResourceType,
  type Role,
  type Scope,
} from './principal.js';
import {
  RESOURCE_ACTIONS,
  ROLE_GRANTS,
  assertAuthorized,
  authorize,
  authorizeType,
  roleAllows,
} from './rbac.js';
import { filterAuthorized, listTenant, loadAuthorized } from './tenancy.js';

/**
 * THE permission table. Columns: read create update delete infer operate; "x" = allowed.
 * Every cell is checked against authorize(); changing who may do what means changing this table.
 */
const TABLE = `
  admin       model          x x x x x x
  admin       model_version  x x x x x x
  admin       deployment     x x x x x x
  admin       dataset        x x x x . .
  admin       study          x x x x . x
  admin       policy         x x x x . .
  admin       api_key        x x . x . .
  admin       ledger         x . . . . .
  admin       tenant         x x x x . .
  admin       audit_log      x . . . . .
  admin       user           x x x . . .
  maintainer  model          x x x x x .
  maintainer  model_version  x x x x x .
  maintainer  deployment     x . . . x .
  maintainer  dataset        x x x x . .
  maintainer  study          x x x x . x
  maintainer  policy         x x x . . .
  maintainer  api_key        . . . . . .
  maintainer  ledger         x . . . . .
  maintainer  tenant         . . . . . .
  maintainer  audit_log      . . . . . .
  maintainer  user           . . . . . .
  operator    model          x . . . x x
  operator    model_version  x . . . x x
  operator    deployment     x x x x x x
  operator    dataset        . . . . . .
  operator    study          x . . . . .
  operator    policy         x . . . . .
  operator    api_key        . . . . . .
  operator    ledger         x . . . . .
  operator    tenant         . . . . . .
  operator    audit_log      . . . . . .
  operator    user           . . . . . .
  analyst     model          x . . . x .
  analyst     model_version  x . . . x .
  analyst     deployment     x . . . x .
  analyst     dataset        x . . . . .
  analyst     study          x . . . . .
  analyst     policy         x . . . . .
  analyst     api_key        . . . . . .
  analyst     ledger         x . . . . .
  analyst     tenant         . . . . . .
  analyst     audit_log      . . . . . .
  analyst     user           . . . . . .
  service     model          x . . . x .
  service     model_version  x . . . x .
  service     deployment     x . . . x .
  service     dataset        . . . . . .
  service     study          . . . . . .
  service     policy         . . . . . .
  service     api_key        . . . . . .
  service     ledger         . . . . . .
  service     tenant         . . . . . .
  service     audit_log      . . . . . .
  service     user           . . . . . .
`;

const principal = (role: Role, tenantId = 'acme', scopes: readonly Scope[] = []): Principal => ({
  kind: 'api_key',
  subject: `key-${role}`,
  tenantId,
  role,
  scopes,
});

function parseTable(): Map<string, boolean> {
  const cells = new Map<string, boolean>();
  for (const line of TABLE.trim().split('\n')) {
    const [role, resource, ...marks] = line.trim().split(/\s+/);
    expect(marks).toHaveLength(ACTIONS.length);
    marks.forEach((m, i) => {
      expect(m === 'x' || m === '.').toBe(true);
      cells.set(`${role}/${resource}/${ACTIONS[i]}`, m === 'x');
    });
  }
  return cells;
}

describe('RBAC table (role × action × resource)', () => {
  const cells = parseTable();

  it('covers every role, resource and action exactly once', () => {
    expect(ROLES).toEqual(['admin', 'maintainer', 'operator', 'analyst', 'service']);
    expect(ACTIONS).toEqual(['read', 'create', 'update', 'delete', 'infer', 'operate']);
    expect(RESOURCE_TYPES).toHaveLength(11);
    expect(cells.size).toBe(ROLES.length * RESOURCE_TYPES.length * ACTIONS.length);
  });

  it.each(ROLES)('%s: every cell of the table matches authorize() in its own tenant', (role) => {
    const p = principal(role);
    const mismatches: string[] = [];
    for (const type of RESOURCE_TYPES) {
      for (const action of ACTIONS) {
        const expected = cells.get(`${role}/${type}/${action}`);
        const actual = authorize(p, action, { type, tenantId: 'acme', id: 'x1' }).allowed;
        if (expected !== actual)
          mismatches.push(`${role} ${action} ${type}: table ${expected}, code ${actual}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('grants only actions that exist for the resource type', () => {
    for (const role of ROLES) {
      for (const [type, actions] of Object.entries(ROLE_GRANTS[role])) {
        for (const a of actions ?? []) expect(RESOURCE_ACTIONS[type as ResourceType]).toContain(a);
      }
    }
  });

  it('denies unknown roles and unknown resource types', () => {
    expect(roleAllows('root' as Role, 'read', 'model')).toBe(false);
    expect(roleAllows('admin', 'read', 'secrets' as ResourceType)).toBe(false);
    expect(roleAllows('admin', 'fly' as Action, 'model')).toBe(false);
  });
});

describe('tenant isolation', () => {
  it('hides another tenant\'s objects from every role, whatever the action (reason "tenant")', () => {
    for (const role of ROLES) {
      for (const type of RESOURCE_TYPES) {
        for (const action of ACTIONS) {
          const d = authorize(principal(role, 'acme'), action, { type, tenantId: 'globex', id: 'm1' });
          expect(d).toEqual({ allowed: false, reason: 'tenant' });
        }
      }
    }
  });

  it('lets system admins manage tenants, keys and audit logs across tenants, but nothing else', () => {
    const root = principal('admin', SYSTEM_TENANT);
    expect(authorize(root, 'create', { type: 'tenant', tenantId: 'globex' }).allowed).toBe(true);
    expect(authorize(root, 'create', { type: 'api_key', tenantId: 'globex' }).allowed).toBe(true);
    expect(authorize(root, 'read', { type: 'audit_log', tenantId: 'globex' }).allowed).toBe(true);
    expect(authorize(root, 'update', { type: 'user', tenantId: 'globex' }).allowed).toBe(true);
    for (const type of [
      'model',
      'model_version',
      'deployment',
      'dataset',
      'study',
      'policy',
      'ledger',
    ] as const) {
      expect(authorize(root, 'read', { type, tenantId: 'globex' })).toEqual({
        allowed: false,
        reason: 'tenant',
      });
    }
    expect(authorize(root, 'infer', { type: 'model', tenantId: 'globex' }).allowed).toBe(false);
    // A system-tenant operator has no cross-tenant rights at all.
    const sysOperator = principal('operator', SYSTEM_TENANT);
    expect(authorize(sysOperator, 'read', { type: 'tenant', tenantId: 'globex' })).toEqual({
      allowed: false,
      reason: 'tenant',
    });
  });

  it('assertAuthorized: other tenant → ERR_NOT_FOUND (no existence leak), forbidden → ERR_PERMISSION_DENIED', () => {
    const analyst = principal('analyst', 'acme');
    const hidden = (() => {
      try {
        assertAuthorized(analyst, 'read', { type: 'model', tenantId: 'globex', id: 'fraud' });
      } catch (e) {
        return e as KaleidoError;
      }
      return undefined;
    })();
    expect(hidden?.code).toBe('ERR_NOT_FOUND');
    expect(hidden?.message).toBe('model "fraud" not found');
    expect(() => assertAuthorized(analyst, 'delete', { type: 'model', tenantId: 'acme', id: 'a' })).toThrow(
      expect.objectContaining({ code: 'ERR_PERMISSION_DENIED' }),
    );
    expect(() =>
      assertAuthorized(analyst, 'read', { type: 'model', tenantId: 'acme', id: 'a' }),
    ).not.toThrow();
  });
});

describe('scopes narrow a role, never widen it', () => {
  it('allows only actions matching a scope', () => {
    const p = principal('admin', 'acme', ['model:infer', 'dataset:*', '*:read']);
    expect(authorizeType(p, 'infer', 'model').allowed).toBe(true);
    expect(authorizeType(p, 'delete', 'dataset').allowed).toBe(true);
    expect(authorizeType(p, 'read', 'tenant').allowed).toBe(true);
    expect(authorizeType(p, 'delete', 'model')).toEqual({ allowed: false, reason: 'scope' });
    expect(authorizeType(p, 'operate', 'deployment')).toEqual({ allowed: false, reason: 'scope' });
  });

  it('a scope cannot grant what the role lacks', () => {
    const p = principal('service', 'acme', ['*:*']);
    expect(authorizeType(p, 'delete', 'model')).toEqual({ allowed: false, reason: 'role' });
  });

  it('validates scope strings', () => {
    expect(isScope('model:infer')).toBe(true);
    expect(isScope('*:*')).toBe(true);
    expect(isScope('model:fly')).toBe(false);
    expect(isScope('secrets:read')).toBe(false);
    expect(isScope('model')).toBe(false);
    expect(isScope(3)).toBe(false);
  });
});

describe('tenancy helpers', () => {
  const items = [
    { id: 'a', tenantId: 'acme' },
    { id: 'b', tenantId: 'globex' },
    { id: 'c', tenantId: 'acme' },
  ];

  it("filterAuthorized keeps only the caller's tenant", () => {
    expect(filterAuthorized(principal('analyst'), 'read', 'model', items).map((i) => i.id)).toEqual([
      'a',
      'c',
    ]);
    expect(filterAuthorized(principal('service'), 'read', 'dataset', items)).toEqual([]);
  });

  it('loadAuthorized answers the same ERR_NOT_FOUND for missing and foreign ids', async () => {
    const load = async (id: string) => items.find((i) => i.id === id);
    const p = principal('analyst');
    await expect(loadAuthorized(p, 'read', 'model', 'a', load)).resolves.toEqual(items[0]);
    const missing = await loadAuthorized(p, 'read', 'model', 'zz', load).catch((e: unknown) => e);
    const foreign = await loadAuthorized(p, 'read', 'model', 'b', load).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KaleidoError);
    expect(foreign).toBeInstanceOf(KaleidoError);
    expect((foreign as KaleidoError).code).toBe('ERR_NOT_FOUND');
    expect((foreign as KaleidoError).message).toBe((missing as KaleidoError).message.replace('zz', 'b'));
    await expect(loadAuthorized(p, 'delete', 'model', 'a', load)).rejects.toMatchObject({
      code: 'ERR_PERMISSION_DENIED',
    });
  });

  it("listTenant defaults to the caller's tenant and refuses others", () => {
    expect(listTenant(principal('analyst'), 'model')).toBe('acme');
    expect(() => listTenant(principal('analyst'), 'model', 'globex')).toThrow(
      expect.objectContaining({ code: 'ERR_NOT_FOUND' }),
    );
    expect(listTenant(principal('admin', SYSTEM_TENANT), 'api_key', 'globex')).toBe('globex');
    expect(() => listTenant(principal('admin'), 'model', 'Bad Tenant')).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
  });
});
