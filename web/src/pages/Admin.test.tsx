// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetSession } from '../api/session';
import { AuthContext, authValue } from '../auth/AuthContext';
import { parseSession } from '../auth/permissions';
import { Admin } from './Admin';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const session = (role: string, tenantId: string, permissions: string[]) =>
  parseSession({ principal: { kind: 'user', subject: 'u-1', tenantId, role, scopes: [] }, permissions });

const ADMIN = [
  'api_key:read',
  'api_key:create',
  'api_key:delete',
  'user:read',
  'user:create',
  'user:update',
  'audit_log:read',
];
const SECRET = 'kal_abcdef012345_' + 'f'.repeat(64);

interface Key {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  prefix: string;
  tenantId: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}
let keys: Key[];
let users: Array<Record<string, unknown> & { id: string; role: string }>;
let calls: Array<{ method: string; path: string; query: string; body: unknown }>;

beforeEach(() => {
  keys = [
    {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'ingest',
      role: 'service',
      scopes: [],
      prefix: 'aaaaaaaaaaaa',
      tenantId: 'acme',
      createdAt: 1,
      createdBy: 'u-1',
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    },
  ];
  users = [
    {
      id: '00000000-0000-4000-8000-0000000000aa',
      username: 'gina@acme.test',
      role: 'analyst',
      tenantId: 'acme',
      createdAt: 1,
      createdBy: 'u-1',
      passwordChangedAt: 1,
      disabledAt: null,
    },
  ];
  calls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? 'GET';
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      calls.push({ method, path: url.pathname, query: url.search, body });
      if (url.pathname === '/v1/auth/session') return json(200, { principal: null });
      if (url.pathname === '/v1/keys' && method === 'GET') {
        const all = url.searchParams.get('includeRevoked') === 'true';
        return json(200, { apiKeys: keys.filter((k) => all || k.revokedAt === null) });
      }
      if (url.pathname === '/v1/keys' && method === 'POST') {
        const b = body as { name: string; role: string; scopes?: string[] };
        const k: Key = {
          ...keys[0]!,
          id: '00000000-0000-4000-8000-000000000002',
          name: b.name,
          role: b.role,
          scopes: b.scopes ?? [],
          prefix: 'abcdef012345',
        };
        keys.push(k);
        return json(201, { key: SECRET, apiKey: k });
      }
      if (url.pathname.startsWith('/v1/keys/') && method === 'DELETE') {
        const k = keys.find((x) => url.pathname.endsWith(x.id))!;
        k.revokedAt = 5;
        return json(200, { apiKey: k });
      }
      if (url.pathname === '/v1/users' && method === 'GET') return json(200, { users });
      if (url.pathname.startsWith('/v1/users/') && method === 'PATCH') {
        const u = users.find((x) => url.pathname.endsWith(x.id))!;
        Object.assign(u, body);
        return json(200, { user: u });
      }
      if (url.pathname === '/v1/audit') {
        const before = Number(url.searchParams.get('before') ?? 1000);
        const limit = Number(url.searchParams.get('limit'));
        const entries = Array.from({ length: limit }, (_, i) => before - 1 - i)
          .filter((seq) => seq > 900)
          .map((seq) => ({
            seq,
            at: seq * 1000,
            tenantId: 'acme',
            actor: seq % 2 ? 'unauthenticated' : 'u-1',
            actorKind: seq % 2 ? 'unauthenticated' : 'user',
            action: seq % 2 ? 'login' : 'create',
            resourceType: 'session',
            resourceId: null,
            outcome: seq % 2 ? 'failure' : 'success',
            statusCode: seq % 2 ? 401 : 200,
            requestId: `req-${seq}`,
            sourceIp: '127.0.0.1',
          }));
        return json(200, { entries });
      }
      return json(404, { error: { code: 'ERR_NOT_FOUND', message: 'no route' } });
    }),
  );
});
afterEach(() => {
  cleanup();
  act(() => resetSession());
  vi.unstubAllGlobals();
});

describe('Administration', () => {
  it('is not offered to a role the server lists no admin permission for', () => {
    render(
      <AuthContext.Provider value={authValue(session('analyst', 'acme', ['model:read', 'dataset:read']))}>
        <Admin rest={[]} />
      </AuthContext.Provider>,
    );
    screen.getByRole('heading', { name: 'Not available to your role' });
    expect(screen.queryByRole('navigation', { name: 'Administration sections' })).toBeNull();
  });

  it('creates a key and shows its secret once, then revokes a key after a confirmation', async () => {
    render(
      <AuthContext.Provider value={authValue(session('admin', 'acme', ADMIN))}>
        <Admin rest={['keys']} />
      </AuthContext.Provider>,
    );
    await screen.findByRole('rowheader', { name: 'ingest' });
    const form = screen.getByRole('form', { name: 'Create an API key' });
    // Checked before sending: a malformed scope says which one.
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'ci-deploy' } });
    fireEvent.change(within(form).getByLabelText('Scopes'), { target: { value: 'model:infer everything' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    expect(within(form).getByRole('alert').textContent).toContain('"everything" is not resource:action');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(within(form).getByLabelText('Scopes'), { target: { value: 'model:infer' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create key' }));
    const secret = await screen.findByRole('heading', { name: 'The key for ci-deploy' });
    expect(document.activeElement).toBe(secret);
    expect((screen.getByLabelText('API key') as HTMLInputElement).value).toBe(SECRET);
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      name: 'ci-deploy',
      role: 'service',
      scopes: ['model:infer'],
    });
    await screen.findByRole('rowheader', { name: 'ci-deploy' });
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByRole('heading', { name: 'The key for ci-deploy' })).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);

    fireEvent.click(screen.getByRole('button', { name: 'Revoke ingest' }));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, revoke ingest' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, revoke ingest' }));
    await screen.findByText('ingest is revoked: the next request with it is refused.');
    await waitFor(() => expect(screen.queryByRole('rowheader', { name: 'ingest' })).toBeNull());
  });

  it("changes a user's role from the users table, and shows the role as text to a reader", async () => {
    render(
      <AuthContext.Provider value={authValue(session('admin', 'acme', ADMIN))}>
        <Admin rest={['users']} />
      </AuthContext.Provider>,
    );
    const select = (await screen.findByLabelText('Role of gina@acme.test')) as HTMLSelectElement;
    expect(select.value).toBe('analyst');
    fireEvent.change(select, { target: { value: 'operator' } });
    await screen.findByText(/gina@acme.test is now operator: their sessions have ended/);
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({
      path: '/v1/users/00000000-0000-4000-8000-0000000000aa',
      body: { role: 'operator' },
    });
    cleanup();
    render(
      <AuthContext.Provider value={authValue(session('analyst', 'acme', ['user:read']))}>
        <Admin rest={['users']} />
      </AuthContext.Provider>,
    );
    await screen.findByRole('rowheader', { name: 'gina@acme.test' });
    expect(screen.queryByLabelText('Role of gina@acme.test')).toBeNull();
  });

  it('lists another tenant’s keys for a system admin who switched tenant', async () => {
    render(
      <AuthContext.Provider
        value={authValue(session('admin', 'system', ADMIN), {
          tenant: 'acme',
          tenants: [
            { id: 'system', name: 'system' },
            { id: 'acme', name: 'Acme' },
          ],
        })}
      >
        <Admin rest={['keys']} />
      </AuthContext.Provider>,
    );
    await screen.findByRole('rowheader', { name: 'ingest' });
    expect(calls.find((c) => c.path === '/v1/keys')?.query).toContain('tenant=acme');
  });

  it('pages the audit log backwards and filters the page shown', async () => {
    render(
      <AuthContext.Provider value={authValue(session('admin', 'acme', ADMIN))}>
        <Admin rest={['audit']} />
      </AuthContext.Provider>,
    );
    await screen.findByText('Page 1: 50 entries.');
    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'failure' } });
    screen.getByText('Page 1: 25 of 50 entries match.');
    expect(screen.getByRole('button', { name: 'Newer entries' })).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: 'Older entries' }));
    await waitFor(() => expect(calls.at(-1)?.query).toContain('before=950'));
    await screen.findByText('Page 2: 25 of 49 entries match.');
    // A short page is the last one.
    expect(screen.getByRole('button', { name: 'Older entries' })).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: 'Newer entries' }));
    await screen.findByText('Page 1: 25 of 50 entries match.');
  });
});
