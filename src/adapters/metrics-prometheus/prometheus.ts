/**
 * Prometheus metrics over prom-client: the ServingMetrics port, HTTP/gRPC edge metrics and the
 * process metrics, all on one registry (no global state, so tests can build several apps).
 * Names follow Prometheus conventions (base units, _total, _seconds) and Triton's phase split.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  EdgeMetrics,
  MetricsExposition,
  RequestOutcome,
  ServingMetrics,
} from '../../core/ports/metrics.js';

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const MODEL_STATES = ['UNAVAILABLE', 'LOADING', 'READY', 'UNLOADING'] as const;

export interface PrometheusMetrics extends MetricsExposition {
  readonly registry: Registry;
  readonly serving: ServingMetrics;
}

export function createPrometheusMetrics(
  options: { collectProcessMetrics?: boolean } = {},
): PrometheusMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'kaleido_' });

  const mv = ['model', 'version'] as const;
  const requests = new Counter({
    name: 'kaleido_inference_requests_total',
    help: 'Inference requests by model, version and outcome.',
    labelNames: [...mv, 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kaleido_inference_request_duration_seconds',
    help: 'End-to-end inference time inside the server (queue + compute), by model and version.',
    labelNames: mv,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const phase = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: mv, buckets: LATENCY_BUCKETS, registers: [registry] });
  const queue = phase(
    'kaleido_inference_queue_duration_seconds',
    'Time a request waited in the batcher queue.',
  );
  const computeInput = phase(
    'kaleido_inference_compute_input_duration_seconds',
    'Time to assemble batch inputs.',
  );
  const computeInfer = phase(
    'kaleido_inference_compute_infer_duration_seconds',
    'Time the runtime spent executing the batch.',
  );
  const computeOutput = phase(
    'kaleido_inference_compute_output_duration_seconds',
    'Time to split batch outputs.',
  );
  const batchSize = new Histogram({
    name: 'kaleido_inference_batch_size',
    help: 'Rows per executed batch.',
    labelNames: mv,
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'kaleido_inference_queue_depth',
    help: 'Requests waiting in the batcher queue.',
    labelNames: mv,
    registers: [registry],
  });
  const modelState = new Gauge({
    name: 'kaleido_model_state',
    help: 'Model version state: 1 for the current state.',
    labelNames: [...mv, 'state'],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'kaleido_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'kaleido_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const grpcCalls = new Counter({
    name: 'kaleido_grpc_requests_total',
    help: 'gRPC calls by method and status code.',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const grpcDuration = new Histogram({
    name: 'kaleido_grpc_request_duration_seconds',
    help: 'gRPC call duration by method.',
    labelNames: ['method'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const serving: ServingMetrics = {
    request(model, version, outcome: RequestOutcome, seconds) {
      requests.inc({ model, version, outcome });
      duration.observe({ model, version }, seconds);
    },
    phases(model, version, p) {
      queue.observe({ model, version }, p.queue);
      computeInput.observe({ model, version }, p.computeInput);
      computeInfer.observe({ model, version }, p.computeInfer);
      computeOutput.observe({ model, version }, p.computeOutput);
    },
    batch(model, version, rows) {
      batchSize.observe({ model, version }, rows);
    },
    queueDepth(model, version, depth) {
      queueDepth.set({ model, version }, depth);
    },
    modelState(model, version, state) {
      for (const s of MODEL_STATES) modelState.set({ model, version, state: s }, s === state ? 1 : 0);
    },
    forget(model, version) {
      for (const m of [duration, queue, computeInput, computeInfer, computeOutput, batchSize, queueDepth]) {
        m.remove({ model, version });
      }
      for (const outcome of ['success', 'client_error', 'rejected', 'timeout', 'cancelled', 'error']) {
        requests.remove({ model, version, outcome });
      }
      for (const s of MODEL_STATES) modelState.set({ model, version, state: s }, s === 'UNAVAILABLE' ? 1 : 0);
    },
  };

  const edge: EdgeMetrics = {
    http(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    grpc(method, code, seconds) {
      grpcCalls.inc({ method, code: String(code) });
      grpcDuration.observe({ method }, seconds);
    },
  };

  return { registry, serving, edge, render: () => registry.metrics(), contentType: registry.contentType };
}
