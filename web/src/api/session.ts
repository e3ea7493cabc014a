/**
 * The console's credentials: one API key for this browser tab, and whether the server has asked
 * for one (a 401 on any call). http.ts and client.ts read the key here; the top bar's sign-in
 * form writes it. Without a key nothing is sent, so a server with authentication disabled (tests,
 * local demos) sees exactly the requests it saw before sign-in existed.
 *
 * The key lives in sessionStorage, never localStorage: an API key is a bearer secret, and
 * sessionStorage is scoped to this tab and dropped when it closes, so the key does not outlive the
 * session, leak into other tabs or windows, or sit on disk for the next user of a shared machine.
 */
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'kaleido.apiKey';

export interface SessionState {
  /** The key sent as `Authorization: Bearer <apiKey>`; undefined = send no credentials. */
  readonly apiKey: string | undefined;
  /** True after a call answered 401 and until a key is stored: the console should ask for one. */
  readonly signInRequired: boolean;
}

function readStoredKey(): string | undefined {
  try {
    const value = window.sessionStorage.getItem(STORAGE_KEY);
    return value === null || value === '' ? undefined : value;
  } catch {
    // Storage can be unavailable (privacy modes, sandboxed frames): act as signed out.
    return undefined;
  }
}

// One immutable snapshot, replaced on every change, so useSyncExternalStore sees stable values.
let state: SessionState = { apiKey: readStoredKey(), signInRequired: false };
const listeners = new Set<() => void>();

function update(next: SessionState): void {
  if (next.apiKey === state.apiKey && next.signInRequired === state.signInRequired) return;
  state = next;
  for (const listener of listeners) listener();
}

export function getApiKey(): string | undefined {
  return state.apiKey;
}

/** Stores the key for this tab; surrounding whitespace (a common paste artefact) is dropped. */
export function signIn(apiKey: string): void {
  const key = apiKey.trim();
  if (key === '') throw new Error('An API key is required.');
  try {
    window.sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Unavailable storage: the key still works for this page load.
  }
  update({ apiKey: key, signInRequired: false });
}

/** Forgets the key: later calls go out without credentials. */
export function signOut(): void {
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored to remove.
  }
  update({ apiKey: undefined, signInRequired: false });
}

/** Called by the API layer when the server answers 401: the key is missing, wrong or revoked. */
export function reportUnauthenticated(): void {
  update({ ...state, signInRequired: true });
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribeSession, () => state);
}

/** The Authorization header for `apiKey` (default: the stored key), or none without a key. */
export function authHeaders(apiKey: string | undefined = state.apiKey): Record<string, string> {
  return apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` };
}
