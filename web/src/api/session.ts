/**
 * The console's session: who is signed in, and whether the server has asked for sign-in (a 401 on
 * any call). Signing in (username + password, or an API key) makes the server set an HttpOnly
 * `kaleido_session` cookie: the browser sends it on every same-origin call, and no script — this
 * one included — can read it, so a credential never sits in JavaScript memory or Web Storage.
 *
 * What the page keeps is the session's description (principal, permissions) and its CSRF token,
 * which every unsafe call (POST/PUT/PATCH/DELETE) sends back in X-CSRF-Token (`csrfHeaders`). After
 * a reload both come back from GET /v1/auth/session. A server with authentication disabled answers
 * that route `{auth: "disabled", principal: null}` (`authDisabled`): the console then offers no
 * sign-in and sends its calls without credentials.
 */
import { useSyncExternalStore } from 'react';

export interface SessionPrincipal {
  readonly kind: 'user' | 'api_key' | 'jwt' | 'anonymous';
  readonly subject: string;
  readonly tenantId: string;
  readonly role: string;
  readonly scopes: readonly string[];
}

export interface SessionInfo {
  readonly principal: SessionPrincipal;
  /** The username, or the API key's name. */
  readonly name?: string;
  /** "resource:action" pairs this principal may do (e.g. "model_version:operate"). */
  readonly permissions: readonly string[];
  readonly csrfToken: string | null;
  readonly expiresAt: number | null;
}

export interface SessionState {
  /** Who is signed in; undefined = nobody (or not known yet). */
  readonly session: SessionInfo | undefined;
  /** The server checks no credentials (auth.mode=disabled): nothing to sign in to. */
  readonly authDisabled?: boolean;
  /** True after a call answered 401 and until sign-in succeeds: the console should ask. */
  readonly signInRequired: boolean;
  /**
   * @deprecated Kept for effects keyed on the former bearer key: now the signed-in subject's id
   * (never a secret), so it still changes whenever who is signed in changes. Prefer `session`.
   */
  readonly apiKey: string | undefined;
}

let state: SessionState = { session: undefined, signInRequired: false, apiKey: undefined };

/** The answer of GET /v1/auth/session with auth.mode=disabled (no principal, every permission). */
export const isAuthDisabledAnswer = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && (body as { auth?: unknown }).auth === 'disabled';
const listeners = new Set<() => void>();

function update(next: Omit<SessionState, 'apiKey'>): void {
  if (
    next.session === state.session &&
    next.signInRequired === state.signInRequired &&
    next.authDisabled === state.authDisabled
  )
    return;
  state = { ...next, apiKey: next.session?.principal.subject };
  for (const listener of listeners) listener();
}

export function getSession(): SessionInfo | undefined {
  return state.session;
}

/** May the signed-in principal do `action` on `resource`? (No session: unknown, so true.) */
export function can(resource: string, action: string): boolean {
  const s = state.session;
  return s === undefined || s.permissions.includes(`${resource}:${action}`);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The X-CSRF-Token header for an unsafe call in a cookie session; nothing otherwise. */
export function csrfHeaders(method: string = 'GET'): Record<string, string> {
  const token = state.session?.csrfToken;
  return token !== undefined && token !== null && UNSAFE.has(method.toUpperCase())
    ? { 'x-csrf-token': token }
    : {};
}

let firstCheck: Promise<SessionInfo | undefined> | undefined;

/**
 * The session, asking the server once per page load when none is known yet (a page's first calls
 * can start before the top bar's check has answered).
 */
export function knownSession(): Promise<SessionInfo | undefined> {
  if (state.session !== undefined) return Promise.resolve(state.session);
  firstCheck ??= refreshSession();
  return firstCheck;
}

/**
 * csrfHeaders, for a call about to be sent: an unsafe call made before the session is known waits
 * for the server's answer first, so it never goes out without the token it needs.
 */
export async function csrfHeadersFor(method: string): Promise<Record<string, string>> {
  if (UNSAFE.has(method.toUpperCase()) && state.session === undefined) await knownSession();
  return csrfHeaders(method);
}

/** @deprecated Use csrfHeaders(method): the headers a call needs beyond the cookie (the CSRF token). */
export function authHeaders(): Record<string, string> {
  return csrfHeaders('POST');
}

/** Thrown by the sign-in calls with the server's status, for the form's message. */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

async function postLogin(body: Record<string, string>): Promise<SessionInfo> {
  let response: Response;
  try {
    response = await fetch(new URL('/v1/auth/login', window.location.origin).href, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new SignInError('The server did not answer.', 0);
  }
  const text = await response.text();
  let parsed: { error?: { message?: string } } & Partial<SessionInfo> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as typeof parsed);
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok) {
    const retry = Number(response.headers.get('retry-after'));
    throw new SignInError(
      parsed.error?.message ?? `Sign-in failed (${response.status}).`,
      response.status,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }
  const session = parsed as SessionInfo;
  update({ session, signInRequired: false });
  return session;
}

/** Signs in with a console user's username and password. */
export async function signInWithPassword(username: string, password: string): Promise<SessionInfo> {
  if (username.trim() === '' || password === '') throw new Error('A username and a password are required.');
  return postLogin({ username: username.trim(), password });
}

/** Signs in with an API key (e.g. the bootstrap admin key printed at first start). */
export async function signInWithApiKey(apiKey: string): Promise<SessionInfo> {
  const key = apiKey.trim();
  if (key === '') throw new Error('An API key is required.');
  return postLogin({ apiKey: key });
}

/**
 * Asks the server who this browser is (after a reload, the cookie is all that is left). Resolves
 * with the session, or undefined when there is none (401) or the server has no sign-in (404).
 */
export async function refreshSession(): Promise<SessionInfo | undefined> {
  try {
    const response = await fetch(new URL('/v1/auth/session', window.location.origin).href, {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    if (!response.ok) {
      update({ ...state, session: undefined });
      return undefined;
    }
    const body = (await response.json()) as unknown;
    if (isAuthDisabledAnswer(body)) {
      update({ session: undefined, signInRequired: false, authDisabled: true });
      return undefined;
    }
    const session = body as SessionInfo;
    update({ session, signInRequired: false });
    return session;
  } catch {
    return undefined;
  }
}

/** Ends the session on the server (the cookie stops working everywhere) and forgets it here. */
export async function signOut(): Promise<void> {
  const headers = { accept: 'application/json', ...csrfHeaders('POST') };
  update({ session: undefined, signInRequired: false });
  try {
    await fetch(new URL('/v1/auth/logout', window.location.origin).href, {
      method: 'POST',
      credentials: 'same-origin',
      headers,
    });
  } catch {
    // Offline: the server ends the session at its idle timeout.
  }
}

/** Called by the API layer when the server answers 401: no session, or it ended. */
export function reportUnauthenticated(): void {
  if (state.authDisabled === true) return;
  update({ session: undefined, signInRequired: true });
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, () => state);
}

/** For tests: back to "nobody signed in", without calling the server. */
export function resetSession(): void {
  firstCheck = undefined;
  update({ session: undefined, signInRequired: false });
}
