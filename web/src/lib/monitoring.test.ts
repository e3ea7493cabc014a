import { describe, expect, it } from 'vitest';
import { summarize } from './monitoring';
import { parsePrometheus } from './prometheus';

const scrape = (requests: number, failed: number, fastBucket: number, batches: number, rows: number) => `
kaleido_inference_requests_total{model="m",version="1",outcome="success"} ${requests - failed}
kaleido_inference_requests_total{model="m",version="1",outcome="server_error"} ${failed}
kaleido_inference_request_duration_seconds_bucket{le="0.01",model="m",version="1"} ${fastBucket}
kaleido_inference_request_duration_seconds_bucket{le="0.1",model="m",version="1"} ${requests}
kaleido_inference_request_duration_seconds_bucket{le="+Inf",model="m",version="1"} ${requests}
kaleido_inference_queue_duration_seconds_sum{model="m",version="1"} ${requests * 0.002}
kaleido_inference_queue_duration_seconds_count{model="m",version="1"} ${requests}
kaleido_inference_batch_size_sum{model="m",version="1"} ${rows}
kaleido_inference_batch_size_count{model="m",version="1"} ${batches}
kaleido_inference_queue_depth{model="m",version="1"} 3
kaleido_model_state{model="m",version="1",state="READY"} 1
kaleido_model_state{model="m",version="1",state="LOADING"} 0
kaleido_http_requests_total{method="POST",route="/v1/analyze",status="200"} ${requests}
kaleido_http_requests_total{method="POST",route="/v1/analyze",status="503"} ${failed}
`;

describe('summarize', () => {
  const first = { at: 0, exposition: parsePrometheus(scrape(100, 0, 100, 50, 100)) };
  // 10 s later: 50 more requests, 5 of them failed, all 50 slow (0.01–0.1 s), 10 batches of 50 rows.
  const second = { at: 10_000, exposition: parsePrometheus(scrape(150, 5, 100, 60, 150)) };

  it('on the first scrape: totals since start, no rates yet', () => {
    const s = summarize(first);
    expect(s.windowSeconds).toBeUndefined();
    const m = s.models[0]!;
    expect(m).toMatchObject({
      model: 'm',
      version: '1',
      state: 'READY',
      requests: 100,
      queueDepth: 3,
      meanBatchSize: 2,
    });
    expect(m.throughput).toBeUndefined();
    expect(m.latency.basis).toBe('since-start');
    expect(m.latency.p50).toBeCloseTo(0.005);
    expect(m.stages.queue).toBeCloseTo(0.002);
  });

  it('between two scrapes: window rate, error rate, percentiles and batch size', () => {
    const s = summarize(second, first);
    expect(s.windowSeconds).toBe(10);
    const m = s.models[0]!;
    expect(m.throughput).toBe(5);
    expect(m.errorRate).toBeCloseTo(0.1);
    expect(m.errorBasis).toBe('window');
    expect(m.latency.basis).toBe('window');
    // All 50 window requests in (0.01, 0.1]: the median is halfway.
    expect(m.latency.p50).toBeCloseTo(0.055);
    expect(m.meanBatchSize).toBe(5);
    const route = s.routes[0]!;
    expect(route).toMatchObject({ method: 'POST', route: '/v1/analyze', requests: 155 });
    expect(route.serverErrorRate).toBeCloseTo(5 / 55);
    expect(route.throughput).toBeCloseTo(5.5);
  });

  it('falls back to since-start numbers when the window had no traffic', () => {
    const s = summarize({ at: 20_000, exposition: second.exposition }, second);
    const m = s.models[0]!;
    expect(m.throughput).toBe(0);
    expect(m.latency.basis).toBe('since-start');
    expect(m.errorBasis).toBe('since-start');
    expect(m.errorRate).toBeCloseTo(5 / 150);
  });
});
