// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kaleido } from '../api/client';
import { requestJson } from '../api/http';
import { resetSession } from '../api/session';
import { SessionSlot } from './SignIn';

const PASSWORD = 'correct horse battery staple';
const GOOD_KEY = 'kal_good_0123456789';
const CSRF = 'csrf-token-of-this-session';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const SESSION = {
  principal: { kind: 'user', subject: 'u-1', tenantId: 'acme', role: 'operator', scopes: [] },
  name: 'ann',
  permissions: ['model:read', 'model_version:operate'],
  csrfToken: CSRF,
  expiresAt: 2_000_000_000_000,
};

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  csrf: string | null;
  credentials: RequestCredentials | undefined;
  body: unknown;
}
let seen: Seen[];
/** The server's idea of this browser: signed in after a good login, until logout. */
let signedIn: boolean;
let failures: number;

beforeEach(() => {
  seen = [];
  signedIn = false;
  failures = 0;
  // A server with authentication on: sign-in sets a session (the cookie itself is the browser's
  // business; here "signedIn" stands for it).
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = new Headers(init?.headers);
      const method = init?.method ?? 'GET';
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      seen.push({
        method,
        path: url.pathname,
        authorization: headers.get('authorization'),
        csrf: headers.get('x-csrf-token'),
        credentials: init?.credentials,
        body,
      });
      if (url.pathname === '/v1/auth/login') {
        const b = body as { username?: string; password?: string; apiKey?: string };
        if (failures >= 3) return json(429, { error: { message: 'too many' } }, { 'retry-after': '42' });
        if ((b.username === 'ann' && b.password === PASSWORD) || b.apiKey === GOOD_KEY) {
          signedIn = true;
          return json(
            200,
            b.apiKey ? { ...SESSION, principal: { ...SESSION.principal, kind: 'api_key' } } : SESSION,
          );
        }
        failures += 1;
        return json(401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'sign-in failed' } });
      }
      if (url.pathname === '/v1/auth/logout') {
        signedIn = false;
        return new Response(null, { status: 204 });
      }
      if (!signedIn) return json(401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'sign in' } });
      if (url.pathname === '/v1/auth/session') return json(200, SESSION);
      if (url.pathname === '/v2') return json(200, { name: 'kaleido', version: '0.1.0', extensions: [] });
      return json(200, { pipelines: [] });
    }),
  );
});
afterEach(() => {
  cleanup();
  act(() => resetSession());
  vi.unstubAllGlobals();
});

async function signInWithForm(username: string, password: string) {
  const form = screen.getByRole('form', { name: 'Sign in' });
  fireEvent.change(within(form).getByLabelText('Username'), { target: { value: username } });
  fireEvent.change(within(form).getByLabelText('Password'), { target: { value: password } });
  // A previous attempt may still be under way ("Signing in…").
  fireEvent.click(await within(form).findByRole('button', { name: 'Sign in' }));
}

describe('SessionSlot', () => {
  it('asks the server who is signed in on mount, and sends no credential header ever', async () => {
    render(<SessionSlot />);
    await waitFor(() => expect(seen.map((s) => s.path)).toContain('/v1/auth/session'));
    screen.getByRole('button', { name: 'Sign in' });
    await expect(requestJson('GET', '/v1/pipelines')).rejects.toMatchObject({ status: 401 });
    expect(seen.every((s) => s.authorization === null)).toBe(true);
    expect(window.sessionStorage.length + window.localStorage.length).toBe(0);
  });

  it('signs in with a username and password, shows who is signed in, and sends the CSRF token on writes only', async () => {
    render(<SessionSlot />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const user = screen.getByLabelText('Username') as HTMLInputElement;
    expect(document.activeElement).toBe(user);
    expect((screen.getByLabelText('Password') as HTMLInputElement).type).toBe('password');
    await signInWithForm('ann', PASSWORD);

    const signOutButton = await screen.findByRole('button', { name: 'Sign out' });
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Signed in as ann (operator, tenant acme)');
    const login = seen.find((s) => s.path === '/v1/auth/login');
    expect(login).toMatchObject({ method: 'POST', body: { username: 'ann', password: PASSWORD } });
    await waitFor(() => expect(document.activeElement).toBe(signOutButton));
    // Nothing secret is stored by the page: the session is an HttpOnly cookie.
    expect(window.sessionStorage.length + window.localStorage.length).toBe(0);

    await requestJson('GET', '/v1/pipelines');
    await requestJson('POST', '/v1/analyze', { text: 'hi' });
    await kaleido().serverMetadata();
    await kaleido()
      .loadModel('m')
      .catch(() => undefined);
    const calls = seen.slice(-4);
    expect(calls.map((c) => [c.method, c.csrf, c.credentials])).toEqual([
      ['GET', null, 'same-origin'],
      ['POST', CSRF, 'same-origin'],
      ['GET', null, 'same-origin'],
      ['POST', CSRF, 'same-origin'],
    ]);
    expect(calls.every((c) => c.authorization === null)).toBe(true);

    fireEvent.click(signOutButton);
    screen.getByRole('button', { name: 'Sign in' });
    await waitFor(() =>
      expect(seen.at(-1)).toMatchObject({ method: 'POST', path: '/v1/auth/logout', csrf: CSRF }),
    );
    await expect(requestJson('GET', '/v1/pipelines')).rejects.toMatchObject({ status: 401 });
  });

  it('signs in with an API key instead', async () => {
    render(<SessionSlot />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    fireEvent.click(screen.getByLabelText('API key', { selector: 'input[type=radio]' }));
    const input = screen.getByLabelText('API key', { selector: 'input[type=password]' });
    await waitFor(() => expect(document.activeElement).toBe(input));
    fireEvent.change(input, { target: { value: ` ${GOOD_KEY} ` } });
    fireEvent.submit(screen.getByRole('form', { name: 'Sign in' }));
    await screen.findByRole('button', { name: 'Sign out' });
    expect(seen.find((s) => s.path === '/v1/auth/login')?.body).toEqual({ apiKey: GOOD_KEY });
  });

  it('opens by itself on a 401, says when the server refuses, and reports throttling', async () => {
    render(<SessionSlot />);
    await waitFor(() => expect(seen.length).toBeGreaterThan(0));
    expect(screen.queryByRole('form')).toBeNull();
    await act(async () => {
      await expect(kaleido().serverMetadata()).rejects.toMatchObject({ status: 401 });
    });
    expect(screen.getByRole('alert').textContent).toMatch(/asked you to sign in/);
    // No cancel: the server insists.
    expect(
      within(screen.getByRole('form', { name: 'Sign in' })).queryByRole('button', { name: 'Cancel' }),
    ).toBeNull();

    await signInWithForm('ann', 'wrong password!');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Wrong username or password.'));
    const user = screen.getByLabelText('Username');
    expect(user.getAttribute('aria-invalid')).toBe('true');
    expect(user.getAttribute('aria-describedby')).toBe(screen.getByRole('alert').id);
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('');

    await signInWithForm('ann', 'wrong again!');
    await waitFor(() => expect(failures).toBe(2));
    await signInWithForm('ann', 'and again!');
    await waitFor(() => expect(failures).toBe(3));
    await signInWithForm('ann', PASSWORD);
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'Too many failed sign-ins. Try again in 42 seconds.',
      ),
    );
  });
});

describe('SessionSlot on a server with auth.mode=disabled', () => {
  it('reads the session answer {auth: "disabled"} as "nothing to sign in to": no form, no error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: string | URL | Request) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.pathname === '/v1/auth/session')
          return json(200, {
            auth: 'disabled',
            principal: null,
            permissions: ['model:read'],
            csrfToken: null,
          });
        return json(200, {});
      }),
    );
    render(<SessionSlot />);
    expect((await screen.findByTestId('auth-disabled')).textContent).toMatch(/Sign-in is off/);
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
    expect(screen.queryByTestId('signed-in-as')).toBeNull();
  });
});
