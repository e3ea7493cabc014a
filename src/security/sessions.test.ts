import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  ApiKeyStore,
  SessionRecord,
  SessionStore,
  UserRecord,
  UserStore,
} from '../core/ports/security.js';
import { ApiKeyService } from './api-keys.js';
import { cookieValue, csrfMatches, csrfTokenFor, SessionService } from './sessions.js';
import { UserService } from './users.js';

/** In-memory stores, only for the service logic (the SQL stores are tested on real databases). */
function stores() {
  const sessions = new Map<string, SessionRecord>();
  const users = new Map<string, UserRecord>();
  const sessionStore: SessionStore = {
    insertSession: async (r) => void sessions.set(r.idHash, r),
    findSession: async (h) => sessions.get(h),
    touchSession: async (h, at) => {
      const r = sessions.get(h);
      if (r && r.lastSeenAt < at) sessions.set(h, { ...r, lastSeenAt: at });
    },
    revokeSession: async (h, at) => {
      const r = sessions.get(h);
      if (!r || r.revokedAt !== null) return false;
      sessions.set(h, { ...r, revokedAt: at });
      return true;
    },
    revokeSessionsOf: async () => 0,
    purgeSessions: async () => 0,
  };
  const userStore: UserStore = {
    insertUser: async (u) => void users.set(u.id, u),
    findUserByUsername: async (n) => [...users.values()].find((u) => u.username === n),
    getUser: async (t, id) => (users.get(id)?.tenantId === t ? users.get(id) : undefined),
    listUsers: async (t) => [...users.values()].filter((u) => u.tenantId === t),
    setUserDisabled: async (t, id, at) => {
      const u = users.get(id);
      if (!u || u.tenantId !== t) return false;
      users.set(id, { ...u, disabledAt: at });
      return true;
    },
    setUserPassword: async () => false,
    setUserRole: async () => false,
  };
  return { sessions, sessionStore, userStore };
}

const FAST = { N: 1024, r: 8, p: 1 };

describe('SessionService', () => {
  it('derives the CSRF token from the cookie value (known answer) and compares it exactly', () => {
    const token = 'A'.repeat(43);
    const expected = createHash('sha256').update(`kaleido-csrf\0${token}`).digest('base64url');
    expect(csrfTokenFor(token)).toBe(expected);
    expect(csrfMatches(token, expected)).toBe(true);
    expect(csrfMatches(token, expected.slice(0, -1))).toBe(false);
    expect(csrfMatches(token, undefined)).toBe(false);
    expect(csrfMatches(token, ['x'])).toBe(false);
    expect(cookieValue('a=1; kaleido_session=abc; b=2', 'kaleido_session')).toBe('abc');
    expect(cookieValue('xkaleido_session=abc', 'kaleido_session')).toBeUndefined();
  });

  it('stores only the hash, and ends sessions when idle, at the absolute end, and for a disabled user', async () => {
    let now = 1_000_000;
    const { sessions, sessionStore, userStore } = stores();
    const users = new UserService({ store: userStore, scrypt: FAST, now: () => now });
    const apiKeys = new ApiKeyService({
      store: {
        getApiKey: async () => undefined,
      } as unknown as ApiKeyStore,
      now: () => now,
    });
    const service = new SessionService({
      store: sessionStore,
      users,
      apiKeys,
      absoluteTtlMs: 10_000,
      idleTtlMs: 3000,
      touchIntervalMs: 0,
      now: () => now,
    });
    const user = await users.create({
      tenantId: 'acme',
      username: 'ann',
      password: 'twelve chars!',
      role: 'analyst',
      createdBy: 'test',
    });
    const principal = {
      kind: 'user' as const,
      subject: user.id,
      tenantId: 'acme',
      role: 'analyst' as const,
      scopes: [],
    };
    const s = await service.create({ principal, sourceIp: null, userAgent: null });
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([...sessions.keys()]).toEqual([createHash('sha256').update(s.token).digest('hex')]);
    expect(JSON.stringify([...sessions.values()])).not.toContain(s.token);

    now += 2000;
    expect((await service.resolve(s.token)).principal).toEqual(principal);
    now += 2999; // 2999 ms after the last request: still inside the idle window
    await service.resolve(s.token);
    now += 3000;
    await expect(service.resolve(s.token)).rejects.toMatchObject({ details: { reason: 'idle' } });

    const s2 = await service.create({ principal, sourceIp: null, userAgent: null });
    for (let i = 0; i < 3; i++) {
      now += 2500;
      await service.resolve(s2.token);
    }
    now += 2500; // 10 s after creation: the absolute end, although never idle
    await expect(service.resolve(s2.token)).rejects.toMatchObject({ details: { reason: 'expired' } });

    const s3 = await service.create({ principal, sourceIp: null, userAgent: null });
    await users.setDisabled('acme', user.id, true);
    await expect(service.resolve(s3.token)).rejects.toMatchObject({
      details: { reason: 'credential no longer valid' },
    });
    expect(await service.revoke(s3.token)).toBe(true);
    await expect(service.resolve(s3.token)).rejects.toMatchObject({ details: { reason: 'revoked' } });
    await expect(service.resolve('not a token')).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
  });
});
