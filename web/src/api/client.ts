/** The typed client for OIP, the model repository, statistics and /metrics, bound to this origin. */
import { KaleidoClient } from '@kaleido/client';
import { apiBase } from './http';
import { csrfHeadersFor, reportUnauthenticated } from './session';

let client: KaleidoClient | undefined;

/**
 * Looks fetch up per call (tests and instrumentation replace the global), adds the session's CSRF
 * token to unsafe calls (the session cookie itself goes by the browser, same origin only), and
 * reports a 401 to the session, so a page whose typed call was refused brings up the sign-in form
 * like requestJson does.
 */
const observedFetch: typeof fetch = async (input, init) => {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(await csrfHeadersFor(method))) headers.set(name, value);
  const response = await globalThis.fetch(input, { ...init, headers, credentials: 'same-origin' });
  if (response.status === 401) reportUnauthenticated();
  return response;
};

/** One client per page load: credentials are the session cookie, never an API key in the page. */
export function kaleido(): KaleidoClient {
  client ??= new KaleidoClient({ baseUrl: apiBase(), timeoutMs: 30_000, fetch: observedFetch });
  return client;
}
