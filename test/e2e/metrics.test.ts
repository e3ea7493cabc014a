/**
 * The Prometheus exposition (/metrics) after real traffic, and request ids: every answer carries
 * x-request-id, echoing a well-formed one from the client and generating one otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';
import { http, infer } from '../helpers/oip-wire.js';

const MODEL = 'identity_fp32';

let server: TestServer;
let exposition: string;

beforeAll(async () => {
  server = await startTestServer({ startupModels: [MODEL] });
  for (let i = 0; i < 3; i++) {
    await infer(server.httpUrl, MODEL, {
      inputs: [{ name: 'INPUT0', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
  }
  // One client error, which must be counted under its own outcome.
  await http(
    server.httpUrl,
    'POST',
    `/v2/models/${MODEL}/infer`,
    JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 2], datatype: 'INT32', data: [1, 2] }] }),
  );
  const a = await http(server.httpUrl, 'GET', '/metrics');
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toMatch(/^text\/plain/);
  exposition = new TextDecoder().decode(a.body);
});
afterAll(async () => {
  await server?.close();
});

/** The value of the first sample whose name and labels match. */
function sample(name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const typeOf = (name: string): string | undefined =>
  new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(exposition)?.[1];

describe('e2e: /metrics', () => {
  const model = { model: MODEL, version: '1' };

  it('counts inference requests by outcome', () => {
    expect(typeOf('kaleido_inference_requests_total')).toBe('counter');
    expect(sample('kaleido_inference_requests_total', { ...model, outcome: 'success' })).toBe(3);
    expect(sample('kaleido_inference_requests_total', { ...model, outcome: 'client_error' })).toBe(1);
  });

  it.each(['queue', 'compute_input', 'compute_infer', 'compute_output'])(
    'has the %s phase histogram in seconds',
    (phase) => {
      const name = `kaleido_inference_${phase}_duration_seconds`;
      expect(typeOf(name)).toBe('histogram');
      expect(sample(`${name}_count`, model)).toBe(3);
      const sum = sample(`${name}_sum`, model) ?? NaN;
      expect(sum).toBeGreaterThanOrEqual(0);
      expect(sum).toBeLessThan(10); // seconds, not milliseconds or nanoseconds
      expect(sample(`${name}_bucket`, { ...model, le: '+Inf' })).toBe(3);
    },
  );

  it('has the batch size histogram, the queue depth and the model state', () => {
    expect(typeOf('kaleido_inference_batch_size')).toBe('histogram');
    expect(sample('kaleido_inference_batch_size_count', model)).toBe(3);
    expect(sample('kaleido_inference_batch_size_sum', model)).toBe(6); // three batches of 2 rows
    expect(typeOf('kaleido_inference_queue_depth')).toBe('gauge');
    expect(sample('kaleido_inference_queue_depth', model)).toBe(0);
    expect(typeOf('kaleido_model_state')).toBe('gauge');
    expect(sample('kaleido_model_state', { ...model, state: 'READY' })).toBe(1);
    expect(sample('kaleido_model_state', { ...model, state: 'UNAVAILABLE' })).toBe(0);
  });

  it('has process metrics', () => {
    expect(sample('kaleido_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample('kaleido_process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(sample('kaleido_process_start_time_seconds')).toBeGreaterThan(1.6e9);
  });

  it('keeps label sets bounded: no request ids or raw URLs in labels', () => {
    expect(exposition).not.toMatch(/request_id=|reqId=/);
    expect(exposition).not.toContain(`route="/v2/models/${MODEL}/infer"`);
  });
});

describe('e2e: x-request-id', () => {
  it('echoes a well-formed id from the client, on success and on error', async () => {
    const ok = await http(server.httpUrl, 'GET', '/v2/health/live', undefined, {
      'x-request-id': 'trace-abc.123',
    });
    expect(ok.headers.get('x-request-id')).toBe('trace-abc.123');
    const bad = await http(server.httpUrl, 'GET', '/v2/models/no_such_model', undefined, {
      'x-request-id': 'trace-err-1',
    });
    expect(bad.status).toBe(404);
    expect(bad.headers.get('x-request-id')).toBe('trace-err-1');
  });

  it('generates a fresh id when the client sends none (or an unusable one)', async () => {
    const a = await http(server.httpUrl, 'GET', '/v2/health/live');
    const b = await http(server.httpUrl, 'GET', '/v2/health/live');
    const idA = a.headers.get('x-request-id');
    const idB = b.headers.get('x-request-id');
    expect(idA).toMatch(/^[0-9a-f-]{36}$/);
    expect(idB).toMatch(/^[0-9a-f-]{36}$/);
    expect(idA).not.toBe(idB);
    const hostile = await http(server.httpUrl, 'GET', '/v2/health/live', undefined, {
      'x-request-id': 'x'.repeat(500),
    });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
