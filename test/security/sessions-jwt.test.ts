/**
 * OWASP API2:2023 Broken Authentication, continued: bearer JWTs from an OIDC issuer and the web
 * console's cookie sessions, against the real server (startKaleido) with auth.mode=required, a
 * real JWKS served over HTTP by a local server, and the SQLite security store.
 *
 * Covered: JWT valid/expired/wrong audience/alg none/no role; session cookie flags; session
 * fixation (a new id at every sign-in, a planted id never promoted); logout revokes server-side;
 * CSRF token missing or wrong refused; cross-origin Origin/Referer refused; bearer requests
 * unaffected by CSRF; login throttling → 429 + Retry-After with one failure message; users
 * administration (tenant-scoped, audited, no hashes), disable and password reset end sessions;
 * the bootstrap API key signs in to the console.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, base64url, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';
import { call, createKey, createTenant, type Answer } from './support.js';

const ADMIN = TEST_ADMIN_KEY;
const ISS = 'https://login.example.test';
const AUD = 'kaleido';
const PASSWORD = 'correct horse battery staple';

let s: TestServer;
let jwks: Server;
let signingKey: CryptoKey;
let acmeAdmin: { key: string; id: string };

const nowSec = (): number => Math.floor(Date.now() / 1000);

async function jwt(
  claims: Record<string, unknown> = {},
  o: { exp?: number; iat?: number; aud?: string } = {},
) {
  return new SignJWT({ tenant: 'acme', roles: ['analyst'], ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISS)
    .setAudience(o.aud ?? AUD)
    .setSubject('oidc-user-7')
    .setIssuedAt(o.iat ?? nowSec())
    .setExpirationTime(o.exp ?? nowSec() + 300)
    .sign(signingKey);
}

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly setCookie: string;
  readonly body: Answer['body'];
}

/** The cookie value of a Set-Cookie header. */
const cookieOf = (setCookie: string): string => setCookie.split(';')[0] as string;

async function login(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  return call(s.httpUrl, 'POST', '/v1/auth/login', { body, headers });
}

async function signIn(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Session> {
  const res = await login(body, headers);
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: cookieOf(setCookie), csrf: res.body.csrfToken as string, setCookie, body: res.body };
}

/** A call as the browser would make it: the cookie, and (when given) the CSRF token and origin. */
function browser(
  method: string,
  path: string,
  session: Pick<Session, 'cookie'> & { csrf?: string },
  o: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return call(s.httpUrl, method, path, {
    ...(o.body === undefined ? {} : { body: o.body }),
    headers: {
      cookie: session.cookie,
      ...(session.csrf === undefined ? {} : { 'x-csrf-token': session.csrf }),
      ...o.headers,
    },
  });
}

async function createUser(username: string, role: string, key = acmeAdmin.key): Promise<string> {
  const res = await call(s.httpUrl, 'POST', '/v1/users', {
    key,
    body: { username, password: PASSWORD, role },
  });
  if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${res.text}`);
  return res.body.user.id as string;
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const address = jwks.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  s = await startTestServer({
    startupModels: ['add_sub_fp32'],
    auth: {},
    overrides: {
      'analysis.modalities': 'text',
      'auth.jwt.issuer': ISS,
      'auth.jwt.audience': AUD,
      'auth.jwt.algorithms': 'ES256',
      'auth.jwt.jwksUrl': `http://127.0.0.1:${port}/.well-known/jwks.json`,
      'auth.sessions.freeFailuresPerUsername': '3',
      'auth.sessions.freeFailuresPerIp': '1000',
      // A long first wait, so the refusal below cannot race the clock on a slow machine.
      'auth.sessions.backoffBaseSec': '60',
    },
  });
  await createTenant(s.httpUrl, ADMIN, 'acme');
  await createTenant(s.httpUrl, ADMIN, 'globex');
  acmeAdmin = await createKey(s.httpUrl, ADMIN, { role: 'admin', tenant: 'acme' });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await new Promise<void>((r) => jwks?.close(() => r()));
});

describe('API2:2023 Broken Authentication — bearer JWTs (OIDC issuer, remote JWKS)', () => {
  it('a valid token authenticates with the role and tenant from its claims', async () => {
    const token = await jwt({ roles: ['analyst'] });
    expect((await call(s.httpUrl, 'GET', '/v2', { key: token })).status).toBe(200);
    const me = await call(s.httpUrl, 'GET', '/v1/auth/session', { key: token });
    expect(me.status).toBe(200);
    expect(me.body.principal).toEqual({
      kind: 'jwt',
      subject: 'oidc-user-7',
      tenantId: 'acme',
      role: 'analyst',
      scopes: [],
    });
    expect(me.body.csrfToken).toBeNull();
    expect(me.body.auth).toBe('enabled');
    // The analyst may read models but not create keys.
    expect(
      (await call(s.httpUrl, 'POST', '/v1/keys', { key: token, body: { name: 'x', role: 'service' } }))
        .status,
    ).toBe(403);
  });

  it('expired, wrong audience, alg none and forged tokens get the same generic 401', async () => {
    const header = (o: object) => base64url.encode(JSON.stringify(o));
    const claims = { iss: ISS, aud: AUD, sub: 'x', tenant: 'acme', roles: ['admin'], exp: nowSec() + 300 };
    const good = await jwt();
    const bad = [
      await jwt({}, { iat: nowSec() - 3600, exp: nowSec() - 600 }),
      await jwt({}, { aud: 'someone-else' }),
      `${header({ alg: 'none', typ: 'JWT' })}.${header(claims)}.`,
      `${good.split('.')[0]}.${header(claims)}.${good.split('.')[2]}`,
      await jwt({ tenant: 'no-such-tenant' }),
    ];
    const answers = await Promise.all(bad.map((t) => call(s.httpUrl, 'GET', '/v1/auth/session', { key: t })));
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body.error.message).toBe('invalid or expired credentials');
      expect(a.body.error.details).toBeUndefined();
      expect(a.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });

  it('a valid token without a Kaleido role is 403, not 401', async () => {
    const res = await call(s.httpUrl, 'GET', '/v2', { key: await jwt({ roles: ['viewer'] }) });
    expect(res.status).toBe(403);
  });
});

describe('API2:2023 Broken Authentication — console sessions', () => {
  it('sets a hardened session cookie and answers who signed in, with permissions and a CSRF token', async () => {
    await createUser('ann@acme.test', 'operator');
    const session = await signIn({ username: 'Ann@Acme.test', password: PASSWORD });
    const flags = session.setCookie.split(';').map((p) => p.trim());
    expect(flags[0]).toMatch(/^kaleido_session=[A-Za-z0-9_-]{43}$/);
    expect(flags).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Secure']));
    expect(session.body.principal).toMatchObject({ kind: 'user', tenantId: 'acme', role: 'operator' });
    expect(session.body.name).toBe('ann@acme.test');
    expect(session.body.permissions).toContain('model_version:operate');
    expect(session.body.permissions).not.toContain('api_key:create');
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.body).not.toHaveProperty('passwordHash');

    const me = await browser('GET', '/v1/auth/session', session);
    expect(me.status).toBe(200);
    expect(me.body.csrfToken).toBe(session.csrf);
    expect(me.body.principal.role).toBe('operator');
    // A cookie session works on the API like a key of the same role would.
    expect((await browser('GET', '/v2/models/add_sub_fp32', session)).status).toBe(200);
    expect((await browser('GET', '/v1/keys', session)).status).toBe(403);
  });

  it('session fixation: every sign-in gets a new id, and a planted cookie is ended, not promoted', async () => {
    await createUser('fix@acme.test', 'analyst');
    const first = await signIn({ username: 'fix@acme.test', password: PASSWORD });
    const second = await signIn({ username: 'fix@acme.test', password: PASSWORD }, { cookie: first.cookie });
    expect(second.cookie).not.toBe(first.cookie);
    expect(second.csrf).not.toBe(first.csrf);
    // The session the browser carried into the sign-in is over.
    expect((await browser('GET', '/v1/auth/session', first)).status).toBe(401);
    expect((await browser('GET', '/v1/auth/session', second)).status).toBe(200);
    // An id the server never issued authenticates nobody.
    const planted = { cookie: `kaleido_session=${'A'.repeat(43)}` };
    const res = await browser('GET', '/v1/auth/session', planted);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toMatch(/^kaleido_session=;.*Max-Age=0/);
  });

  it('logout revokes the session on the server', async () => {
    await createUser('out@acme.test', 'analyst');
    const session = await signIn({ username: 'out@acme.test', password: PASSWORD });
    const res = await browser('POST', '/v1/auth/logout', session);
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    // Replaying the old cookie (as a stolen copy would) fails.
    expect((await browser('GET', '/v2', session)).status).toBe(401);
  });

  it('CSRF: a cookie-authenticated write needs the session token and a same-origin browser', async () => {
    await createUser('root@acme.test', 'admin');
    const session = await signIn({ username: 'root@acme.test', password: PASSWORD });
    const body = { name: 'from the console', role: 'service' };
    const noToken = await browser('POST', '/v1/keys', { cookie: session.cookie }, { body });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.details.reason).toBe('csrf');
    const wrong = await browser(
      'POST',
      '/v1/keys',
      { cookie: session.cookie, csrf: 'x'.repeat(43) },
      { body },
    );
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this session.
    const other = await signIn({ username: 'root@acme.test', password: PASSWORD });
    expect(
      (await browser('POST', '/v1/keys', { cookie: session.cookie, csrf: other.csrf }, { body })).status,
    ).toBe(403);

    const evilOrigin = await browser('POST', '/v1/keys', session, {
      body,
      headers: { origin: 'https://evil.example' },
    });
    expect(evilOrigin.status).toBe(403);
    expect(evilOrigin.body.error.details.reason).toBe('origin');
    const evilReferer = await browser('POST', '/v1/keys', session, {
      body,
      headers: { referer: 'https://evil.example/page' },
    });
    expect(evilReferer.status).toBe(403);
    const crossSite = await browser('POST', '/v1/keys', session, {
      body,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);

    const ok = await browser('POST', '/v1/keys', session, { body, headers: { origin: s.httpUrl } });
    expect(ok.status).toBe(201);
    // Reads need no token.
    expect((await browser('GET', '/v1/keys', { cookie: session.cookie })).status).toBe(200);
    // Bearer requests carry no ambient credential: no CSRF token, whatever the Origin.
    const bearer = await call(s.httpUrl, 'POST', '/v1/keys', {
      key: acmeAdmin.key,
      body,
      headers: { origin: 'https://evil.example' },
    });
    expect(bearer.status).toBe(201);
  });

  it('refuses a cross-origin sign-in (login CSRF)', async () => {
    const res = await login(
      { username: 'root@acme.test', password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('throttles failed sign-ins per username: 429 + Retry-After, one failure message for every cause', async () => {
    await createUser('victim@acme.test', 'analyst');
    await createUser('bystander@acme.test', 'analyst');
    const unknown = await login({ username: 'nobody@acme.test', password: PASSWORD });
    const wrong = await login({ username: 'victim@acme.test', password: 'not the password!' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect((await login({ apiKey: 'kal_000000000000_' + '0'.repeat(64) })).body.error.message).toBe(
      unknown.body.error.message,
    );
    // Three free failures per username (configured); the fourth starts the backoff.
    for (let i = 0; i < 3; i++) {
      expect((await login({ username: 'victim@acme.test', password: 'not the password!' })).status).toBe(401);
    }
    const throttled = await login({ username: 'victim@acme.test', password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.headers.get('set-cookie')).toBeNull();
    // Other users are unaffected.
    expect((await login({ username: 'bystander@acme.test', password: PASSWORD })).status).toBe(200);
  });

  it('the bootstrap API key signs in to the console too', async () => {
    const session = await signIn({ apiKey: ADMIN });
    expect(session.body.principal).toMatchObject({ kind: 'api_key', tenantId: 'system', role: 'admin' });
    expect(session.body.name).toMatch(/bootstrap admin/);
    expect((await browser('GET', '/v1/tenants', session)).status).toBe(200);
  });

  it('a revoked key ends the sessions it opened', async () => {
    const k = await createKey(s.httpUrl, acmeAdmin.key, { role: 'analyst' });
    const session = await signIn({ apiKey: k.key });
    expect((await browser('GET', '/v2', session)).status).toBe(200);
    expect((await call(s.httpUrl, 'DELETE', `/v1/keys/${k.id}`, { key: acmeAdmin.key })).status).toBe(200);
    expect((await browser('GET', '/v2', session)).status).toBe(401);
  });
});

describe('users administration (/v1/users)', () => {
  it('is tenant-scoped, never shows hashes, and is audited', async () => {
    const id = await createUser('carol@acme.test', 'maintainer');
    const list = await call(s.httpUrl, 'GET', '/v1/users', { key: acmeAdmin.key });
    expect(list.status).toBe(200);
    expect(list.body.users.map((u: { username: string }) => u.username)).toContain('carol@acme.test');
    expect(list.text).not.toContain('scrypt$');
    const globexAdmin = await createKey(s.httpUrl, ADMIN, { role: 'admin', tenant: 'globex' });
    expect((await call(s.httpUrl, 'GET', `/v1/users/${id}`, { key: globexAdmin.key })).status).toBe(404);
    expect((await call(s.httpUrl, 'GET', '/v1/users?tenant=acme', { key: globexAdmin.key })).status).toBe(
      404,
    );
    expect((await call(s.httpUrl, 'GET', '/v1/users', { key: globexAdmin.key })).body.users).toEqual([]);
    // Non-admins may not manage users.
    const analyst = await createKey(s.httpUrl, acmeAdmin.key, { role: 'analyst' });
    expect((await call(s.httpUrl, 'GET', '/v1/users', { key: analyst.key })).status).toBe(403);
    // Validation: weak password, duplicate username, unknown fields.
    const weak = await call(s.httpUrl, 'POST', '/v1/users', {
      key: acmeAdmin.key,
      body: { username: 'dave', password: 'short', role: 'analyst' },
    });
    expect(weak.status).toBe(400);
    const dup = await call(s.httpUrl, 'POST', '/v1/users', {
      key: acmeAdmin.key,
      body: { username: 'carol@acme.test', password: PASSWORD, role: 'analyst' },
    });
    expect(dup.status).toBe(409);
    const mass = await call(s.httpUrl, 'POST', '/v1/users', {
      key: acmeAdmin.key,
      body: { username: 'eve', password: PASSWORD, role: 'analyst', passwordHash: 'scrypt$x' },
    });
    expect(mass.status).toBe(400);

    const audit = await call(s.httpUrl, 'GET', '/v1/audit?limit=200', { key: acmeAdmin.key });
    const actions = audit.body.entries.map(
      (e: { action: string; resourceType: string; outcome: string }) =>
        `${e.action}:${e.resourceType}:${e.outcome}`,
    );
    expect(actions).toContain('create:user:success');
    expect(actions).toContain('login:session:success');
    expect(actions).toContain('logout:session:success');
    const system = await call(s.httpUrl, 'GET', '/v1/audit?limit=500', { key: ADMIN });
    expect(
      system.body.entries.some(
        (e: { action: string; outcome: string; details: { identity?: string } }) =>
          e.action === 'login' && e.outcome === 'failure' && e.details.identity === 'user:nobody@acme.test',
      ),
    ).toBe(true);
  });

  it('disabling a user or resetting the password ends their sessions', async () => {
    const id = await createUser('frank@acme.test', 'analyst');
    const before = await signIn({ username: 'frank@acme.test', password: PASSWORD });
    const reset = await call(s.httpUrl, 'POST', `/v1/users/${id}/password`, {
      key: acmeAdmin.key,
      body: { password: 'a brand new passphrase' },
    });
    expect(reset.status).toBe(200);
    expect((await browser('GET', '/v2', before)).status).toBe(401);
    expect((await login({ username: 'frank@acme.test', password: PASSWORD })).status).toBe(401);
    const after = await signIn({ username: 'frank@acme.test', password: 'a brand new passphrase' });
    expect((await browser('GET', '/v2', after)).status).toBe(200);

    const disabled = await call(s.httpUrl, 'PATCH', `/v1/users/${id}`, {
      key: acmeAdmin.key,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.user.disabledAt).toBeTypeOf('number');
    expect((await browser('GET', '/v2', after)).status).toBe(401);
    expect((await login({ username: 'frank@acme.test', password: 'a brand new passphrase' })).status).toBe(
      401,
    );
    const enabled = await call(s.httpUrl, 'PATCH', `/v1/users/${id}`, {
      key: acmeAdmin.key,
      body: { disabled: false },
    });
    expect(enabled.body.user.disabledAt).toBeNull();
  });

  it('changing a role takes effect at once: the sessions end, the next sign-in has the new role', async () => {
    const id = await createUser('gina@acme.test', 'analyst');
    const before = await signIn({ username: 'gina@acme.test', password: PASSWORD });
    expect(before.body.principal).toMatchObject({ role: 'analyst' });
    const patch = (body: unknown) =>
      call(s.httpUrl, 'PATCH', `/v1/users/${id}`, { key: acmeAdmin.key, body });
    expect((await patch({ role: 'superuser' })).status).toBe(400);
    expect((await patch({})).status).toBe(400);
    // A bad part refuses the whole change: the valid role is not applied either.
    expect((await patch({ role: 'operator', disabled: 'yes' })).status).toBe(400);
    const changed = await patch({ role: 'operator' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.role).toBe('operator');
    expect((await browser('GET', '/v2', before)).status).toBe(401);
    const after = await signIn({ username: 'gina@acme.test', password: PASSWORD });
    expect(after.body.principal).toMatchObject({ role: 'operator' });
    // Another tenant's administrator cannot change it.
    const globexAdmin = await createKey(s.httpUrl, ADMIN, { role: 'admin', tenant: 'globex' });
    const foreign = await call(s.httpUrl, 'PATCH', `/v1/users/${id}`, {
      key: globexAdmin.key,
      body: { role: 'admin' },
    });
    // Another tenant's user is answered like a missing one (no existence oracle).
    expect(foreign.status).toBe(404);
    expect((await browser('GET', '/v2', after)).status).toBe(200);
  });
});

describe('kaleido users (CLI over /v1/users)', () => {
  async function cli(...args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    });
    try {
      await buildCli()
        .exitOverride()
        .parseAsync(['node', 'kaleido', ...args, '--url', s.httpUrl, '--api-key', acmeAdmin.key]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('creates (password from the environment, never an argument), lists, disables and resets', async () => {
    vi.stubEnv('KALEIDO_USER_PASSWORD', PASSWORD);
    let id: string;
    try {
      const created = JSON.parse(
        await cli('users', 'create', 'cli-user@acme.test', '--role', 'analyst', '--json'),
      ) as {
        id: string;
        role: string;
      };
      id = created.id;
      expect(created.role).toBe('analyst');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(await cli('users', 'list')).toContain('cli-user@acme.test');
    await signIn({ username: 'cli-user@acme.test', password: PASSWORD });
    expect(await cli('users', 'disable', id)).toContain('disabled');
    expect((await login({ username: 'cli-user@acme.test', password: PASSWORD })).status).toBe(401);
    expect(await cli('users', 'enable', id)).not.toContain('disabled');
    expect(await cli('users', 'role', id, 'operator')).toContain('operator');
    vi.stubEnv('KALEIDO_USER_PASSWORD', 'the replacement passphrase');
    try {
      expect(await cli('users', 'passwd', id)).toContain('password changed for cli-user@acme.test');
    } finally {
      vi.unstubAllEnvs();
    }
    await signIn({ username: 'cli-user@acme.test', password: 'the replacement passphrase' });
    // Without a password source the CLI refuses rather than take one from argv.
    await expect(cli('users', 'create', 'nopass', '--role', 'analyst')).rejects.toThrow(/password-stdin/);
  });
});

describe('API2:2023 — login throttling shared by replicas through Redis (rateLimit.redisUrl)', () => {
  it('failures on one replica lock the username on another', async () => {
    const overrides = {
      'analysis.modalities': 'text',
      'rateLimit.redisUrl': process.env['KALEIDO_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      'auth.sessions.freeFailuresPerUsername': '3',
      'auth.sessions.freeFailuresPerIp': '1000',
      'auth.sessions.backoffBaseSec': '60',
    };
    const [a, b] = await Promise.all([
      startTestServer({ startupModels: [], auth: {}, overrides }),
      startTestServer({ startupModels: [], auth: {}, overrides }),
    ]);
    try {
      // A fresh name per run: the counts outlive the servers in Redis (that is the point).
      const username = `ghost-${Date.now()}-${Math.random().toString(36).slice(2)}@acme.test`;
      const attempt = (url: string) =>
        call(url, 'POST', '/v1/auth/login', { body: { username, password: 'not the password!' } });
      // Three free failures in all (not per replica); the fourth starts the backoff.
      for (const url of [a.httpUrl, b.httpUrl, a.httpUrl, b.httpUrl]) {
        expect((await attempt(url)).status).toBe(401);
      }
      const throttled = await attempt(b.httpUrl);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(30);
      expect((await attempt(a.httpUrl)).status).toBe(429);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);
});
