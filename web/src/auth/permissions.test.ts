import { describe, expect, it } from 'vitest';
import { can, deniedReason, isSystemAdmin, parseSession, type AuthInfo } from './permissions';

const session = (role: string, tenantId: string, permissions?: string[], scopes: string[] = []) => ({
  principal: { kind: 'user', subject: 'u-1', tenantId, role, scopes },
  ...(permissions ? { permissions } : {}),
  csrfToken: null,
});

describe('permissions from the session', () => {
  it('uses the server’s permission list when it sends one', () => {
    const info = parseSession(session('analyst', 'acme', ['dataset:read', 'study:read']));
    expect(info.mode).toBe('signed-in');
    expect(can(info, 'dataset', 'read')).toBe(true);
    expect(can(info, 'dataset', 'create')).toBe(false);
    expect(deniedReason(info, 'dataset', 'create')).toBe(
      'Your role (analyst) may not create data sets. Ask an administrator of tenant acme.',
    );
    expect(deniedReason(info, 'study', 'read')).toBeUndefined();
  });

  it('derives nothing from the role: only the server’s list counts (no copy of the RBAC table)', () => {
    // A maintainer's list without study:operate (e.g. a scoped credential): not offered.
    const scoped = parseSession(session('maintainer', 'acme', ['dataset:create', 'dataset:read']));
    expect(can(scoped, 'dataset', 'create')).toBe(true);
    expect(can(scoped, 'study', 'operate')).toBe(false);
    // The map form reads the same.
    const mapped = parseSession({
      ...session('operator', 'acme'),
      permissions: { model_version: ['operate'] },
    });
    expect(can(mapped, 'model_version', 'operate')).toBe(true);
    expect(can(mapped, 'model_version', 'delete')).toBe(false);
    // A server that sends no list: every control offered, the server's answers decide.
    expect(can(parseSession(session('analyst', 'acme')), 'api_key', 'create')).toBe(true);
  });

  it('treats no session as open and a refused one as signed out', () => {
    const open: AuthInfo = { mode: 'open' };
    expect(can(open, 'study', 'delete')).toBe(true);
    expect(parseSession(null)).toEqual(open);
    expect(parseSession({ principal: { role: 'wizard', tenantId: 'x' } })).toEqual(open);
    expect(can({ mode: 'signed-out' }, 'study', 'read')).toBe(false);
    expect(deniedReason({ mode: 'signed-out' }, 'study', 'read')).toBe('Sign in to do this.');
  });

  it('knows the system tenant’s admins', () => {
    expect(isSystemAdmin(parseSession(session('admin', 'system', ['tenant:read'])))).toBe(true);
    expect(isSystemAdmin(parseSession(session('admin', 'acme', ['tenant:read'])))).toBe(false);
    expect(isSystemAdmin(parseSession(session('maintainer', 'system')))).toBe(false);
  });
});
