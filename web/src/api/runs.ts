/** Metric history of a tracked run (MLflow `GET /api/2.0/mlflow/metrics/get-history`). */
import { requestJson } from './http';
import type { Metric } from './mlflow';

export async function metricHistory(runId: string, key: string, signal?: AbortSignal): Promise<Metric[]> {
  const out: Metric[] = [];
  let pageToken: string | undefined;
  // Pages of up to 1000 points; a run logs one point per epoch, so a few pages at most.
  for (let page = 0; page < 20; page++) {
    const r = await requestJson<{ metrics?: Metric[]; next_page_token?: string }>(
      'GET',
      '/api/2.0/mlflow/metrics/get-history',
      undefined,
      {
        ...(signal ? { signal } : {}),
        query: { run_id: runId, metric_key: key, max_results: 1000, page_token: pageToken },
      },
    );
    out.push(...(r.metrics ?? []));
    pageToken = r.next_page_token;
    if (!pageToken) break;
  }
  return out.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}
