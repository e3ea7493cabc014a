/**
 * The model registry end to end: a version registered and aliased through the MLflow-shaped API is
 * served by alias over OIP (`model@alias` and `/versions/<alias>`), and an alias move takes effect
 * for the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ startupModels: ['add_sub_fp32'] });
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const request = {
  inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: Array(16).fill(5) },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], data: Array(16).fill(2) },
  ],
  outputs: [{ name: 'OUTPUT1' }],
};

describe('e2e: serving by registry alias', () => {
  it('resolves model@alias and /versions/<alias>, and follows alias moves', async () => {
    expect((await post('/api/2.0/mlflow/registered-models/create', { name: 'add_sub_fp32' })).status).toBe(
      200,
    );
    for (const v of ['1', '2']) {
      const created = await post('/api/2.0/mlflow/model-versions/create', {
        name: 'add_sub_fp32',
        source: `models/fixtures/add_sub_fp32/${v}`,
      });
      expect(created.status).toBe(200);
      expect((created.json.model_version as { version: string }).version).toBe(v);
    }
    expect(
      (
        await post('/api/2.0/mlflow/registered-models/alias', {
          name: 'add_sub_fp32',
          alias: 'champion',
          version: '1',
        })
      ).status,
    ).toBe(200);

    const byName = await post('/v2/models/add_sub_fp32@champion/infer', request);
    expect(byName.status).toBe(200);
    expect(byName.json.model_version).toBe('1');
    expect((byName.json.outputs as Array<{ data: number[] }>)[0]?.data[0]).toBe(3); // v1: a − b

    expect(
      (
        await post('/api/2.0/mlflow/registered-models/alias', {
          name: 'add_sub_fp32',
          alias: 'champion',
          version: '2',
        })
      ).status,
    ).toBe(200);
    const byPath = await post('/v2/models/add_sub_fp32/versions/champion/infer', request);
    expect(byPath.json.model_version).toBe('2');
    expect((byPath.json.outputs as Array<{ data: number[] }>)[0]?.data[0]).toBe(-3); // v2: b − a

    const unknown = await post('/v2/models/add_sub_fp32@nobody/infer', request);
    expect(unknown.status).toBe(404);
    expect(typeof unknown.json.error).toBe('string');
    const both = await post('/v2/models/add_sub_fp32@champion/versions/1/infer', request);
    expect(both.status).toBe(400);
  });
});
