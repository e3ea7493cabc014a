/**
 * Port: what the serving layer reports about itself. The Prometheus adapter implements it;
 * tests can pass `noopServingMetrics`. Durations are in seconds (Prometheus base units).
 */
export type RequestOutcome = 'success' | 'client_error' | 'rejected' | 'timeout' | 'cancelled' | 'error';

export interface ServingMetrics {
  /** One finished inference request (whatever its outcome). */
  request(model: string, version: string, outcome: RequestOutcome, seconds: number): void;
  /** Triton's split of one request's time. */
  phases(
    model: string,
    version: string,
    p: { queue: number; computeInput: number; computeInfer: number; computeOutput: number },
  ): void;
  /** One executed batch with its size in rows. */
  batch(model: string, version: string, rows: number): void;
  /** Current number of queued requests for a model version. */
  queueDepth(model: string, version: string, depth: number): void;
  /** Model version state (1 for the current state, 0 for the others). */
  modelState(model: string, version: string, state: string): void;
  /** A model version went away: drop its series so label sets stay bounded. */
  forget(model: string, version: string): void;
}

export const noopServingMetrics: ServingMetrics = {
  request: () => undefined,
  phases: () => undefined,
  batch: () => undefined,
  queueDepth: () => undefined,
  modelState: () => undefined,
  forget: () => undefined,
};

/** Port: metrics of the protocol edges (HTTP and gRPC). */
export interface EdgeMetrics {
  /** One HTTP request, labelled by route pattern (bounded), method and status code. */
  http(method: string, route: string, status: number, seconds: number): void;
  /** One gRPC call, by method and numeric status. */
  grpc(method: string, code: number, seconds: number): void;
}

/** Port: the scrape endpoint's view of a metrics registry. */
export interface MetricsExposition {
  readonly edge: EdgeMetrics;
  readonly contentType: string;
  render(): Promise<string>;
}
