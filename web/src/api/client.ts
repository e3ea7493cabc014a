/** The typed client for OIP, the model repository, statistics and /metrics, bound to this origin. */
import { KaleidoClient } from '@kaleido/client';
import { apiBase } from './http';

let client: KaleidoClient | undefined;

/**
 * One client per page load. No API key: the server has no authentication yet; when it does, the
 * session's credentials go here (and in requestJson) and nowhere else.
 */
export function kaleido(): KaleidoClient {
  client ??= new KaleidoClient({ baseUrl: apiBase(), timeoutMs: 30_000 });
  return client;
}
