// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kaleido } from '../api/client';
import { requestJson } from '../api/http';
import { signOut } from '../api/session';
import { SessionSlot } from './SignIn';

const GOOD_KEY = 'kal_good_0123456789';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let seen: Array<{ path: string; authorization: string | null }>;

beforeEach(() => {
  seen = [];
  // A server with authentication on: only GOOD_KEY passes.
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const authorization = new Headers(init?.headers).get('authorization');
      seen.push({ path: url.pathname, authorization });
      if (authorization !== `Bearer ${GOOD_KEY}`) {
        return json(401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'an API key is required' } });
      }
      if (url.pathname === '/v2') return json(200, { name: 'kaleido', version: '0.1.0', extensions: [] });
      return json(200, { pipelines: [] });
    }),
  );
});
afterEach(() => {
  cleanup();
  act(() => signOut());
  vi.unstubAllGlobals();
});

describe('SessionSlot', () => {
  it('sends no Authorization header before sign-in', async () => {
    await expect(requestJson('GET', '/v1/pipelines')).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual([{ path: '/v1/pipelines', authorization: null }]);
  });

  it('stores the key in sessionStorage and sends it as a Bearer header on every call', async () => {
    render(<SessionSlot />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const input = screen.getByLabelText('API key') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: ` ${GOOD_KEY} ` } });
    fireEvent.submit(screen.getByRole('form', { name: 'Sign in' }));

    const signOutButton = await screen.findByRole('button', { name: 'Sign out' });
    expect(window.sessionStorage.getItem('kaleido.apiKey')).toBe(GOOD_KEY);
    expect(window.localStorage.getItem('kaleido.apiKey')).toBeNull();
    expect(seen).toEqual([{ path: '/v2', authorization: `Bearer ${GOOD_KEY}` }]);
    await waitFor(() => expect(document.activeElement).toBe(signOutButton));

    await requestJson('GET', '/v1/pipelines');
    await kaleido().serverMetadata();
    expect(seen.slice(1).map((s) => s.authorization)).toEqual([`Bearer ${GOOD_KEY}`, `Bearer ${GOOD_KEY}`]);

    fireEvent.click(signOutButton);
    expect(window.sessionStorage.getItem('kaleido.apiKey')).toBeNull();
    screen.getByRole('button', { name: 'Sign in' });
    await expect(requestJson('GET', '/v1/pipelines')).rejects.toMatchObject({ status: 401 });
    expect(seen.at(-1)!.authorization).toBeNull();
  });

  it('says so when the server refuses the key, and opens by itself when a call answers 401', async () => {
    render(<SessionSlot />);
    expect(screen.queryByRole('form')).toBeNull();
    await act(async () => {
      await expect(kaleido().serverMetadata()).rejects.toMatchObject({ status: 401 });
    });
    const input = screen.getByLabelText('API key');
    expect(screen.getByRole('alert').textContent).toMatch(/asked for an API key/);

    fireEvent.change(input, { target: { value: 'kal_wrong' } });
    const form = screen.getByRole('form', { name: 'Sign in' });
    fireEvent.click(within(form).getByRole('button', { name: 'Sign in' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('The server did not accept this API key.'),
    );
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(screen.getByRole('alert').id);
    expect(window.sessionStorage.getItem('kaleido.apiKey')).toBeNull();
  });
});
