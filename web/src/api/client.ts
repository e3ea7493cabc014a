/** The typed client for OIP, the model repository, statistics and /metrics, bound to this origin. */
import { KaleidoClient } from '@kaleido/client';
import { apiBase } from './http';
import { getApiKey, reportUnauthenticated } from './session';

let client: KaleidoClient | undefined;
let clientKey: string | undefined;

/**
 * Looks fetch up per call (tests and instrumentation replace the global) and reports a 401 to the
 * session, so a page whose typed call was refused brings up the sign-in form like requestJson does.
 */
const observedFetch: typeof fetch = async (input, init) => {
  const response = await globalThis.fetch(input, init);
  if (response.status === 401) reportUnauthenticated();
  return response;
};

/**
 * One client per page load and API key: signing in or out builds a new one, since the client fixes
 * its credentials at construction. No key sends no Authorization header.
 */
export function kaleido(): KaleidoClient {
  const apiKey = getApiKey();
  if (client === undefined || clientKey !== apiKey) {
    client = new KaleidoClient({
      baseUrl: apiBase(),
      timeoutMs: 30_000,
      fetch: observedFetch,
      ...(apiKey === undefined ? {} : { apiKey }),
    });
    clientKey = apiKey;
  }
  return client;
}
