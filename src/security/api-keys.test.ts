import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlSecurityStore } from '../adapters/store-sql/sql-security-store.js';
import { SqliteClient } from '../adapters/store-sqlite/index.js';
import { ApiKeyService, hashSecret, verifySecret, DEFAULT_SCRYPT, API_KEY_PATTERN } from './api-keys.js';

const FAST = { N: 1024, r: 8, p: 1 };

let store: SqlSecurityStore;
let now: number;
let writes: number;

beforeEach(async () => {
  store = new SqlSecurityStore(new SqliteClient({ path: ':memory:' }));
  await store.migrate();
  await store.createTenant({ id: 'acme', name: 'Acme', createdAt: 0, disabledAt: null });
  now = 1_700_000_000_000;
  writes = 0;
  const touch = store.touchApiKey.bind(store);
  store.touchApiKey = async (id, at) => {
    writes++;
    return touch(id, at);
  };
});
afterEach(async () => store.close());

const service = (over: Partial<ConstructorParameters<typeof ApiKeyService>[0]> = {}) =>
  new ApiKeyService({ store, tenants: store, now: () => now, scrypt: FAST, ...over });

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('scrypt hashing', () => {
  it('uses the default cost, a random salt, and verifies in constant time', async () => {
    const a = await hashSecret('kal_x', DEFAULT_SCRYPT);
    const b = await hashSecret('kal_x', DEFAULT_SCRYPT);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await verifySecret('kal_x', a)).toBe(true);
    expect(await verifySecret('kal_y', a)).toBe(false);
    expect(await verifySecret('kal_x', 'bcrypt$whatever')).toBe(false);
    expect(await verifySecret('kal_x', 'scrypt$0$8$1$AAAA$AAAA')).toBe(false);
  });
});

describe('ApiKeyService', () => {
  it('creates a key shown once, stores only its hash, and verifies it into a principal', async () => {
    const svc = service();
    const { key, record } = await svc.create({
      tenantId: 'acme',
      name: ' ci ',
      role: 'service',
      scopes: ['model:infer'],
      createdBy: 'root',
    });
    expect(key).toMatch(API_KEY_PATTERN);
    expect(key.startsWith(`kal_${record.prefix}_`)).toBe(true);
    expect(record).not.toHaveProperty('hash');
    expect(record.name).toBe('ci');
    const stored = await store.getApiKey('acme', record.id);
    expect(stored?.hash.startsWith('scrypt$1024$')).toBe(true);
    expect(stored?.hash).not.toContain(key.slice(17));
    expect(await svc.verify(key)).toEqual({
      kind: 'api_key',
      subject: record.id,
      tenantId: 'acme',
      role: 'service',
      scopes: ['model:infer'],
    });
    expect((await svc.list('acme')).map((k) => k.id)).toEqual([record.id]);
    expect(await svc.get('acme', record.id)).toEqual({ ...record, lastUsedAt: now });
  });

  it('refuses malformed, unknown, altered keys with one message', async () => {
    const svc = service();
    const { key } = await svc.create({ tenantId: 'acme', name: 'k', role: 'admin', createdBy: 'root' });
    const altered = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    for (const bad of ['', 'Bearer x', 'kal_123_456', `kal_${'f'.repeat(12)}_${'0'.repeat(64)}`, altered]) {
      await expect(svc.verify(bad)).rejects.toMatchObject({
        code: 'ERR_UNAUTHENTICATED',
        message: 'invalid or expired API key',
      });
    }
    // The altered key still fails once the genuine one has been memoised.
    await svc.verify(key);
    await expect(svc.verify(altered)).rejects.toMatchObject({ details: { reason: 'secret mismatch' } });
  });

  it('revocation takes effect on the next request, on every replica', async () => {
    const a = service();
    const b = service(); // a second process sharing the database
    const { key, record } = await a.create({
      tenantId: 'acme',
      name: 'k',
      role: 'operator',
      createdBy: 'root',
    });
    await a.verify(key);
    await b.verify(key);
    await a.revoke('acme', record.id, 'root');
    await expect(a.verify(key)).rejects.toMatchObject({ details: { reason: 'revoked' } });
    await expect(b.verify(key)).rejects.toMatchObject({ details: { reason: 'revoked' } });
    await expect(a.revoke('acme', 'nope', 'root')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await a.list('acme')).toEqual([]);
  });

  it('expires keys and refuses keys of disabled tenants', async () => {
    const svc = service();
    const { key } = await svc.create({
      tenantId: 'acme',
      name: 'k',
      role: 'analyst',
      expiresAt: now + 1000,
      createdBy: 'root',
    });
    await svc.verify(key);
    now += 1000;
    await expect(svc.verify(key)).rejects.toMatchObject({ details: { reason: 'expired' } });
    now -= 1000;
    await store.setTenantDisabled('acme', now);
    await expect(svc.verify(key)).rejects.toMatchObject({ details: { reason: 'tenant disabled' } });
  });

  it('writes last_used_at at most once per interval, not per request', async () => {
    const svc = service({ lastUsedWriteIntervalMs: 60_000 });
    const { key, record } = await svc.create({
      tenantId: 'acme',
      name: 'k',
      role: 'service',
      createdBy: 'root',
    });
    for (let i = 0; i < 20; i++) {
      await svc.verify(key);
      now += 1000;
    }
    await settle();
    expect(writes).toBe(1);
    expect((await store.getApiKey('acme', record.id))?.lastUsedAt).toBe(1_700_000_000_000);
    now += 60_000;
    await svc.verify(key);
    await settle();
    expect(writes).toBe(2);
    expect((await store.getApiKey('acme', record.id))?.lastUsedAt).toBe(now);
  });

  it('memoises the slow hash: the second verification does not run scrypt', async () => {
    const slow = { N: 2 ** 14, r: 8, p: 1 };
    const svc = service({ scrypt: slow });
    const { key } = await svc.create({ tenantId: 'acme', name: 'k', role: 'service', createdBy: 'root' });
    const t0 = performance.now();
    await svc.verify(key);
    const first = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) await svc.verify(key);
    const tenMore = performance.now() - t1;
    expect(tenMore).toBeLessThan(first);
  });

  it('validates create input', async () => {
    const svc = service();
    const base = { tenantId: 'acme', name: 'k', role: 'service', createdBy: 'root' } as const;
    await expect(svc.create({ ...base, tenantId: 'Not A Tenant' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(svc.create({ ...base, name: ' ' })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(svc.create({ ...base, role: 'root' as 'admin' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(svc.create({ ...base, scopes: ['model:fly' as 'model:read'] })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(svc.create({ ...base, expiresAt: now - 1 })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(svc.create({ ...base, tenantId: 'ghost' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
