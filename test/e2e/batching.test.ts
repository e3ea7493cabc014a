/**
 * Dynamic batching, end to end: 32 concurrent requests on mlp_fp32 must be merged into batches
 * larger than one (visible in the statistics extension), and every answer must be the reference
 * output for its own input — the batcher splits results back exactly, row for row.
 * Known answers come from test/fixtures/golden/mlp_fp32.json (an independent float64 reference).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGolden } from '../fixtures/golden.js';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';
import { getJson, infer } from '../helpers/oip-wire.js';

const MODEL = 'mlp_fp32';
const REQUESTS = 32;
const WIDTH = 64;
const CLASSES = 10;

interface Stats {
  model_stats: {
    inference_count: number;
    execution_count: number;
    batch_stats: { batch_size: number; compute_infer: { count: number } }[];
  }[];
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ startupModels: [MODEL] });
});
afterAll(async () => {
  await server?.close();
});

/** Every golden row of mlp_fp32 as (input row, expected probabilities). */
function goldenRows(): { features: number[]; probabilities: number[] }[] {
  const golden = loadGolden(MODEL);
  return golden.cases.flatMap((c) => {
    const input = c.inputs[0]?.data as number[];
    const output = c.outputs[0]?.data as number[];
    return Array.from({ length: c.batch_size }, (_, r) => ({
      features: input.slice(r * WIDTH, (r + 1) * WIDTH),
      probabilities: output.slice(r * CLASSES, (r + 1) * CLASSES),
    }));
  });
}

const readStats = async () => {
  const { status, json } = await getJson(server.httpUrl, `/v2/models/${MODEL}/stats`);
  expect(status).toBe(200);
  return (json as Stats).model_stats[0]!;
};

describe('e2e: dynamic batching of mlp_fp32', () => {
  it('merges concurrent requests into batches and splits every answer back exactly', async () => {
    const { tolerance } = loadGolden(MODEL);
    const rows = goldenRows();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    // Request i carries 1, 2 or 3 golden rows (rotating), so a split that is off by one row, or
    // hands a row to the wrong request, gives a visibly wrong answer.
    const requests = Array.from({ length: REQUESTS }, (_, i) => {
      const count = (i % 3) + 1;
      return Array.from({ length: count }, (_, k) => rows[(i + k * 2) % rows.length]!);
    });
    const before = await readStats();

    const answers = await Promise.all(
      requests.map((picked, i) =>
        infer(server.httpUrl, MODEL, {
          id: `req-${i}`,
          inputs: [
            {
              name: 'features',
              shape: [picked.length, WIDTH],
              datatype: 'FP32',
              data: picked.flatMap((r) => r.features),
            },
          ],
        }),
      ),
    );

    answers.forEach(({ response }, i) => {
      const picked = requests[i]!;
      expect(response.id).toBe(`req-${i}`);
      const out = response.outputs[0];
      expect(out?.shape).toEqual([picked.length, CLASSES]);
      const got = out?.data as number[];
      const want = picked.flatMap((r) => r.probabilities);
      want.forEach((w, j) => {
        const g = got[j] ?? NaN;
        expect(
          Math.abs(g - w) <= tolerance.absolute + tolerance.relative * Math.abs(w),
          `request ${i} element ${j}: got ${g}, expected ${w}`,
        ).toBe(true);
      });
    });

    const after = await readStats();
    const totalRows = requests.reduce((n, r) => n + r.length, 0);
    expect(after.inference_count - before.inference_count).toBe(totalRows);
    const executions = after.execution_count - before.execution_count;
    expect(executions).toBeGreaterThan(0);
    expect(executions, 'the 32 requests ran as 32 separate executions').toBeLessThan(REQUESTS);
    // Batches merged from several requests show up as batch sizes above any single request's rows.
    const merged = after.batch_stats.filter((b) => b.batch_size > 3 && b.compute_infer.count > 0);
    expect(merged.length, JSON.stringify(after.batch_stats)).toBeGreaterThan(0);
    for (const b of after.batch_stats) expect(b.batch_size).toBeLessThanOrEqual(64);
  });
});
