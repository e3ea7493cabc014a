/**
 * A small closed-loop / open-loop load generator shared by `kaleido bench` and bench/. It runs a
 * request function with N concurrent workers (closed loop) or at a fixed arrival rate (open loop),
 * for a bounded time and count, and reports throughput and latency percentiles.
 */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Errors by code/status, e.g. { '429': 12 }. */
  readonly errorKinds: Record<string, number>;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export type RequestFn = () => Promise<unknown>;

const percentile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

const errorKind = (e: unknown): string => {
  const x = e as { status?: number; code?: string | number };
  return String(x.status ?? x.code ?? 'error');
};

function summarise(
  latencies: number[],
  errors: number,
  errorKinds: Record<string, number>,
  seconds: number,
): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    errorKinds,
    seconds,
    throughput: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
  };
}

/** N workers, each sending the next request as soon as the previous answered. Latency of successes only. */
export async function closedLoop(
  fn: RequestFn,
  opts: { concurrency: number; durationMs: number; maxRequests?: number; warmupMs?: number },
): Promise<LoadResult> {
  if (opts.warmupMs) {
    const until = performance.now() + opts.warmupMs;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < until) await fn().catch(() => undefined);
      }),
    );
  }
  const latencies: number[] = [];
  const kinds: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  const max = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  const start = performance.now();
  const end = start + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end && sent < max) {
        sent++;
        const t0 = performance.now();
        try {
          await fn();
          latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          const k = errorKind(e);
          kinds[k] = (kinds[k] ?? 0) + 1;
        }
      }
    }),
  );
  return summarise(latencies, errors, kinds, (performance.now() - start) / 1000);
}

/**
 * Open loop: requests start at a fixed rate whatever the server does (no coordinated omission);
 * latency is measured from the scheduled start. Bounded by duration and an in-flight cap.
 */
export async function openLoop(
  fn: RequestFn,
  opts: { ratePerSecond: number; durationMs: number; maxInFlight?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const kinds: Record<string, number> = {};
  let errors = 0;
  const maxInFlight = opts.maxInFlight ?? 10_000;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.floor((opts.ratePerSecond * opts.durationMs) / 1000);
  const interval = 1000 / opts.ratePerSecond;
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= maxInFlight) {
      errors++;
      kinds['client-overflow'] = (kinds['client-overflow'] ?? 0) + 1;
      continue;
    }
    inFlight++;
    pending.push(
      fn().then(
        () => {
          latencies.push(performance.now() - scheduled);
          inFlight--;
        },
        (e: unknown) => {
          errors++;
          const k = errorKind(e);
          kinds[k] = (kinds[k] ?? 0) + 1;
          inFlight--;
        },
      ),
    );
  }
  await Promise.all(pending);
  return summarise(latencies, errors, kinds, (performance.now() - start) / 1000);
}
