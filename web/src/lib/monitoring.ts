/**
 * The Monitoring page's numbers, from two scrapes of /metrics (kaleido_* metrics of
 * src/adapters/metrics-prometheus): per model version throughput, error rate, latency
 * percentiles, queue depth, batch sizes and the Triton stage split; per HTTP route rate and errors.
 * "Window" values are between the two scrapes; with no traffic in the window, latencies fall back
 * to everything since the server started, and say so.
 */
import {
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  labelKey,
  rate,
  sumBy,
  type Bucket,
  type Exposition,
} from './prometheus';

export interface Snapshot {
  /** Milliseconds since the epoch when the scrape answered. */
  readonly at: number;
  readonly exposition: Exposition;
}

export type Basis = 'window' | 'since-start' | 'none';

export interface Latency {
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly basis: Basis;
}

export interface ModelRow {
  readonly model: string;
  readonly version: string;
  readonly state?: string;
  /** Requests per second in the window (undefined on the first scrape). */
  readonly throughput?: number;
  /** Every request since start, all outcomes. */
  readonly requests: number;
  /** Failed / all requests: in the window when there was traffic, else since start. */
  readonly errorRate?: number;
  readonly errorBasis: Basis;
  /** End-to-end request latency, seconds. */
  readonly latency: Latency;
  readonly queueDepth?: number;
  /** Mean rows per executed batch (window, else since start). */
  readonly meanBatchSize?: number;
  /** Mean seconds per stage (since start): queue, compute input / infer / output. */
  readonly stages: Readonly<
    Record<'queue' | 'computeInput' | 'computeInfer' | 'computeOutput', number | undefined>
  >;
}

export interface RouteRow {
  readonly method: string;
  readonly route: string;
  readonly requests: number;
  readonly throughput?: number;
  /** Share of 5xx answers (window when there was traffic, else since start). */
  readonly serverErrorRate?: number;
  /** Share of 4xx answers, same basis. */
  readonly clientErrorRate?: number;
  readonly p95?: number;
}

export interface Summary {
  readonly models: readonly ModelRow[];
  readonly routes: readonly RouteRow[];
  readonly windowSeconds?: number;
}

const MODEL = ['model', 'version'] as const;
const ROUTE = ['method', 'route'] as const;

function latencyOf(
  cur: ReadonlyMap<string, readonly Bucket[]>,
  prev: ReadonlyMap<string, readonly Bucket[]> | undefined,
  key: string,
): Latency {
  const buckets = cur.get(key);
  if (!buckets) return { basis: 'none' };
  const windowed = prev ? bucketDelta(buckets, prev.get(key)) : undefined;
  const windowTotal = windowed?.[windowed.length - 1]?.count ?? 0;
  const use: readonly Bucket[] = windowed && windowTotal > 0 ? windowed : buckets;
  const total = use[use.length - 1]?.count ?? 0;
  if (total === 0) return { basis: 'none' };
  const q = (p: number) => histogramQuantile(p, use);
  const p50 = q(0.5);
  const p95 = q(0.95);
  const p99 = q(0.99);
  return {
    basis: use === windowed ? 'window' : 'since-start',
    ...(p50 === undefined ? {} : { p50 }),
    ...(p95 === undefined ? {} : { p95 }),
    ...(p99 === undefined ? {} : { p99 }),
  };
}

const ratio = (part: number, whole: number): number | undefined => (whole > 0 ? part / whole : undefined);

/** Window counts when there was traffic in the window, else the totals since start. */
function windowOr(
  current: { part: number; whole: number },
  previous: { part: number; whole: number } | undefined,
): { value?: number; basis: Basis } {
  if (previous) {
    const whole = current.whole - previous.whole;
    const part = current.part - previous.part;
    if (whole > 0 && part >= 0) return { value: part / whole, basis: 'window' };
  }
  const value = ratio(current.part, current.whole);
  return value === undefined ? { basis: 'none' } : { value, basis: 'since-start' };
}

export function summarize(current: Snapshot, previous?: Snapshot): Summary {
  const cur = current.exposition;
  const prev = previous?.exposition;
  const seconds = previous ? (current.at - previous.at) / 1000 : undefined;

  // ---- models ----
  const total = sumBy(cur, 'kaleido_inference_requests_total', MODEL);
  const failed = sumBy(cur, 'kaleido_inference_requests_total', MODEL, (l) => l.outcome !== 'success');
  const prevTotal = prev ? sumBy(prev, 'kaleido_inference_requests_total', MODEL) : undefined;
  const prevFailed = prev
    ? sumBy(prev, 'kaleido_inference_requests_total', MODEL, (l) => l.outcome !== 'success')
    : undefined;
  const durations = histogramBuckets(cur, 'kaleido_inference_request_duration_seconds', MODEL);
  const prevDurations = prev
    ? histogramBuckets(prev, 'kaleido_inference_request_duration_seconds', MODEL)
    : undefined;
  const queueDepth = sumBy(cur, 'kaleido_inference_queue_depth', MODEL);
  const batchSum = sumBy(cur, 'kaleido_inference_batch_size_sum', MODEL);
  const batchCount = sumBy(cur, 'kaleido_inference_batch_size_count', MODEL);
  const prevBatchSum = prev ? sumBy(prev, 'kaleido_inference_batch_size_sum', MODEL) : undefined;
  const prevBatchCount = prev ? sumBy(prev, 'kaleido_inference_batch_size_count', MODEL) : undefined;
  const stageMean = (metric: string) => {
    const sums = sumBy(cur, `${metric}_sum`, MODEL);
    const counts = sumBy(cur, `${metric}_count`, MODEL);
    return (key: string) => ratio(sums.get(key) ?? 0, counts.get(key) ?? 0);
  };
  const queue = stageMean('kaleido_inference_queue_duration_seconds');
  const computeInput = stageMean('kaleido_inference_compute_input_duration_seconds');
  const computeInfer = stageMean('kaleido_inference_compute_infer_duration_seconds');
  const computeOutput = stageMean('kaleido_inference_compute_output_duration_seconds');
  const states = new Map<string, string>();
  for (const s of cur.samples) {
    if (s.name === 'kaleido_model_state' && s.value === 1 && s.labels.state) {
      states.set(labelKey(s.labels, MODEL), s.labels.state);
    }
  }

  const keys = new Set<string>([...total.keys(), ...queueDepth.keys(), ...states.keys()]);
  const models: ModelRow[] = [...keys].map((key) => {
    const [model = '', version = ''] = key.split('\u0000');
    const requests = total.get(key) ?? 0;
    const throughput = seconds === undefined ? undefined : rate(requests, prevTotal?.get(key) ?? 0, seconds);
    const errors = windowOr(
      { part: failed.get(key) ?? 0, whole: requests },
      prevTotal ? { part: prevFailed?.get(key) ?? 0, whole: prevTotal.get(key) ?? 0 } : undefined,
    );
    const batch = windowOr(
      { part: batchSum.get(key) ?? 0, whole: batchCount.get(key) ?? 0 },
      prevBatchSum ? { part: prevBatchSum.get(key) ?? 0, whole: prevBatchCount?.get(key) ?? 0 } : undefined,
    );
    const depth = queueDepth.get(key);
    const state = states.get(key);
    return {
      model,
      version,
      ...(state === undefined ? {} : { state }),
      ...(throughput === undefined ? {} : { throughput }),
      requests,
      ...(errors.value === undefined ? {} : { errorRate: errors.value }),
      errorBasis: errors.basis,
      latency: latencyOf(durations, prevDurations, key),
      ...(depth === undefined ? {} : { queueDepth: depth }),
      ...(batch.value === undefined ? {} : { meanBatchSize: batch.value }),
      stages: {
        queue: queue(key),
        computeInput: computeInput(key),
        computeInfer: computeInfer(key),
        computeOutput: computeOutput(key),
      },
    };
  });
  models.sort(
    (a, b) =>
      a.model.localeCompare(b.model) || a.version.localeCompare(b.version, undefined, { numeric: true }),
  );

  // ---- HTTP routes ----
  const httpTotal = sumBy(cur, 'kaleido_http_requests_total', ROUTE);
  const http5xx = sumBy(cur, 'kaleido_http_requests_total', ROUTE, (l) => (l.status ?? '').startsWith('5'));
  const http4xx = sumBy(cur, 'kaleido_http_requests_total', ROUTE, (l) => (l.status ?? '').startsWith('4'));
  const prevHttpTotal = prev ? sumBy(prev, 'kaleido_http_requests_total', ROUTE) : undefined;
  const prevHttp5xx = prev
    ? sumBy(prev, 'kaleido_http_requests_total', ROUTE, (l) => (l.status ?? '').startsWith('5'))
    : undefined;
  const prevHttp4xx = prev
    ? sumBy(prev, 'kaleido_http_requests_total', ROUTE, (l) => (l.status ?? '').startsWith('4'))
    : undefined;
  const httpDurations = histogramBuckets(cur, 'kaleido_http_request_duration_seconds', ROUTE);
  const prevHttpDurations = prev
    ? histogramBuckets(prev, 'kaleido_http_request_duration_seconds', ROUTE)
    : undefined;
  const routes: RouteRow[] = [...httpTotal].map(([key, requests]) => {
    const [method = '', route = ''] = key.split('\u0000');
    const before = prevHttpTotal ? { whole: prevHttpTotal.get(key) ?? 0 } : undefined;
    const s5 = windowOr(
      { part: http5xx.get(key) ?? 0, whole: requests },
      before ? { part: prevHttp5xx?.get(key) ?? 0, whole: before.whole } : undefined,
    );
    const s4 = windowOr(
      { part: http4xx.get(key) ?? 0, whole: requests },
      before ? { part: prevHttp4xx?.get(key) ?? 0, whole: before.whole } : undefined,
    );
    const throughput = seconds === undefined ? undefined : rate(requests, before?.whole ?? 0, seconds);
    const p95 = latencyOf(httpDurations, prevHttpDurations, key).p95;
    return {
      method,
      route,
      requests,
      ...(throughput === undefined ? {} : { throughput }),
      ...(s5.value === undefined ? {} : { serverErrorRate: s5.value }),
      ...(s4.value === undefined ? {} : { clientErrorRate: s4.value }),
      ...(p95 === undefined ? {} : { p95 }),
    };
  });
  routes.sort((a, b) => b.requests - a.requests);

  return { models, routes, ...(seconds === undefined ? {} : { windowSeconds: seconds }) };
}
