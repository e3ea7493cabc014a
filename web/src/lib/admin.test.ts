import { describe, expect, it } from 'vitest';
import {
  currentCursor,
  distinct,
  filterAudit,
  firstPage,
  keyRequest,
  keyStatus,
  newerPage,
  olderPage,
  parseScopes,
  userErrors,
  type AuditEntryView,
} from './admin';

const NOW = 1_700_000_000_000;

const entry = (seq: number, over: Partial<AuditEntryView> = {}): AuditEntryView => ({
  seq,
  at: NOW - seq * 1000,
  tenantId: 'acme',
  actor: 'u-1',
  actorKind: 'user',
  action: 'create',
  resourceType: 'api_key',
  resourceId: `k-${seq}`,
  outcome: 'success',
  statusCode: 201,
  requestId: `req-${seq}`,
  sourceIp: '127.0.0.1',
  ...over,
});

describe('API keys', () => {
  it('says whether a key is active, expired or revoked (revoked wins)', () => {
    expect(keyStatus({ expiresAt: null, revokedAt: null }, NOW)).toBe('active');
    expect(keyStatus({ expiresAt: NOW + 1, revokedAt: null }, NOW)).toBe('active');
    expect(keyStatus({ expiresAt: NOW, revokedAt: null }, NOW)).toBe('expired');
    expect(keyStatus({ expiresAt: NOW - 5, revokedAt: NOW - 10 }, NOW)).toBe('revoked');
  });

  it('reads scopes separated by commas or spaces, and names the first malformed one', () => {
    expect(parseScopes('model:infer, dataset:*  model:infer')).toEqual({
      scopes: ['model:infer', 'dataset:*'],
    });
    expect(parseScopes('  ')).toEqual({ scopes: [] });
    expect(parseScopes('model:infer, everything')).toEqual({
      error: '"everything" is not resource:action (e.g. model:infer, dataset:*)',
    });
  });

  it('builds the create body: trimmed name, scopes only when given, expiry from days, the tenant', () => {
    expect(keyRequest({ name: ' ci ', role: 'service', scopes: '', expiresInDays: '' }, NOW)).toEqual({
      ok: true,
      body: { name: 'ci', role: 'service' },
    });
    expect(
      keyRequest({ name: 'ci', role: 'service', scopes: 'model:infer', expiresInDays: '30' }, NOW, 'acme'),
    ).toEqual({
      ok: true,
      body: {
        name: 'ci',
        role: 'service',
        scopes: ['model:infer'],
        expiresAt: NOW + 30 * 86_400_000,
        tenant: 'acme',
      },
    });
    const bad = keyRequest({ name: '', role: '', scopes: 'x', expiresInDays: '1.5' }, NOW);
    expect(bad.ok).toBe(false);
    expect(Object.keys((bad as { errors: object }).errors).sort()).toEqual([
      'expiresInDays',
      'name',
      'role',
      'scopes',
    ]);
  });
});

describe('users', () => {
  it('checks the form with the server’s rules (12-character passwords)', () => {
    expect(userErrors({ username: 'ann', password: 'correct horse', role: 'analyst' })).toEqual({});
    expect(userErrors({ username: ' ', password: 'short', role: '' })).toEqual({
      username: 'A username is required.',
      password: 'At least 12 characters (a passphrase is easiest).',
      role: 'Choose a role.',
    });
  });
});

describe('audit log', () => {
  const page = [
    entry(30),
    entry(29, { outcome: 'failure', action: 'login', actor: 'unauthenticated', statusCode: 401 }),
    entry(28, { action: 'delete', resourceId: 'k-special' }),
  ];

  it('filters by outcome, action and words in actor, resource or request id', () => {
    expect(filterAudit(page, { text: '', outcome: 'failure', action: '' }).map((e) => e.seq)).toEqual([29]);
    expect(filterAudit(page, { text: '', outcome: '', action: 'delete' }).map((e) => e.seq)).toEqual([28]);
    expect(
      filterAudit(page, { text: 'K-SPECIAL api_key', outcome: '', action: '' }).map((e) => e.seq),
    ).toEqual([28]);
    expect(filterAudit(page, { text: 'req-30 nothing', outcome: '', action: '' })).toEqual([]);
    expect(distinct(page, 'action')).toEqual(['create', 'delete', 'login']);
  });

  it('pages backwards by sequence number and back again', () => {
    expect(currentCursor(firstPage)).toBeUndefined();
    // A short page is the last one.
    expect(olderPage(firstPage, page, 50)).toBeUndefined();
    const second = olderPage(firstPage, page, 3)!;
    expect(currentCursor(second)).toBe(28);
    const third = olderPage(second, [entry(27), entry(26), entry(25)], 3)!;
    expect(currentCursor(third)).toBe(25);
    expect(currentCursor(newerPage(third)!)).toBe(28);
    expect(newerPage(firstPage)).toBeUndefined();
  });
});
