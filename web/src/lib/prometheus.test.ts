import { describe, expect, it } from 'vitest';
import { bucketDelta, histogramBuckets, histogramQuantile, parsePrometheus, rate, sumBy } from './prometheus';

const TEXT = `# HELP kaleido_inference_requests_total Requests.
# TYPE kaleido_inference_requests_total counter
kaleido_inference_requests_total{model="a",version="1",outcome="success"} 90
kaleido_inference_requests_total{model="a",version="1",outcome="client_error"} 10
kaleido_inference_requests_total{model="b\\"q",version="2",outcome="success"} 5 1700000000000
# TYPE d histogram
d_bucket{le="0.1"} 50
d_bucket{le="0.5"} 90
d_bucket{le="1"} 100
d_bucket{le="+Inf"} 100
broken{label="unterminated} 1
up NaN
`;

describe('parsePrometheus', () => {
  const e = parsePrometheus(TEXT);
  it('reads samples, labels with escapes, timestamps and types; skips malformed lines', () => {
    expect(e.types.get('kaleido_inference_requests_total')).toBe('counter');
    expect(e.types.get('d')).toBe('histogram');
    expect(e.samples.find((s) => s.labels.model === 'b"q')?.value).toBe(5);
    expect(e.samples.some((s) => s.name === 'broken')).toBe(false);
    expect(Number.isNaN(e.samples.find((s) => s.name === 'up')?.value)).toBe(true);
  });
  it('sums by labels, with a filter', () => {
    const all = sumBy(e, 'kaleido_inference_requests_total', ['model']);
    expect(all.get('a')).toBe(100);
    const failed = sumBy(e, 'kaleido_inference_requests_total', ['model'], (l) => l.outcome !== 'success');
    expect(failed.get('a')).toBe(10);
  });
});

describe('histogramQuantile', () => {
  const buckets = histogramBuckets(parsePrometheus(TEXT), 'd', []).get('')!;
  it('interpolates inside the bucket like PromQL', () => {
    // rank 50 of 100 falls exactly at the end of the first bucket [0, 0.1].
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    // rank 70: second bucket (0.1, 0.5] holds 40; 20 of them → halfway: 0.3.
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3);
    // rank 95: third bucket (0.5, 1] holds 10; 5 of them → 0.75.
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75);
  });
  it('answers the highest finite bound for a rank in +Inf, and undefined without observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeUndefined();
    expect(histogramQuantile(1.5, buckets)).toBeUndefined();
  });
  it('takes deltas between scrapes, and the current counts after a counter reset', () => {
    const before = [
      { le: 1, count: 10 },
      { le: Infinity, count: 12 },
    ];
    const after = [
      { le: 1, count: 15 },
      { le: Infinity, count: 20 },
    ];
    expect(bucketDelta(after, before)).toEqual([
      { le: 1, count: 5 },
      { le: Infinity, count: 8 },
    ]);
    expect(bucketDelta(before, after)).toEqual(before);
  });
});

describe('rate', () => {
  it('is the per-second increase, counting from zero after a reset', () => {
    expect(rate(150, 100, 5)).toBe(10);
    expect(rate(20, 100, 5)).toBe(4);
    expect(rate(20, undefined, 5)).toBeUndefined();
  });
});
