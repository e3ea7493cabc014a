/**
 * Live reload under load: while a stream of concurrent requests hits add_sub_fp32, the model is
 * reloaded with a config override that serves version 2 only. No request may fail, answers switch
 * from v1 semantics (OUTPUT1 = a − b) to v2 semantics (OUTPUT1 = b − a), and no single answer mixes
 * the two. Then unload → inference refused with the catalog's answer; load again → ready.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPOSITORY, startTestServer, type TestServer } from '../helpers/kaleido-server.js';
import { expectOipError, http, infer, postJson } from '../helpers/oip-wire.js';

const MODEL = 'add_sub_fp32';
const WORKERS = 8;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ startupModels: [MODEL] });
});
afterAll(async () => {
  await server?.close();
});

/** The on-disk config with a version policy that serves only `version`. */
function configServing(version: number): string {
  const config = JSON.parse(readFileSync(join(FIXTURE_REPOSITORY, MODEL, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return JSON.stringify({ ...config, version_policy: { specific: { versions: [version] } } });
}

async function loadWith(config?: string): Promise<void> {
  const { status, json } = await postJson(
    server.httpUrl,
    `/v2/repository/models/${MODEL}/load`,
    config === undefined ? {} : { parameters: { config } },
  );
  expect(status, JSON.stringify(json)).toBe(200);
}

type Semantics = 'v1' | 'v2';

/**
 * One inference with inputs unique to `seq`; returns which version's semantics the answer has.
 * OUTPUT0 must be a + b under both versions; OUTPUT1 decides, element by element, and every
 * element must agree with the reported model_version (a mixed answer fails here).
 */
async function inferOnce(seq: number): Promise<{ semantics: Semantics; version: string | undefined }> {
  const a = Array.from({ length: 16 }, (_, i) => seq + i);
  const b = Array.from({ length: 16 }, (_, i) => 0.5 * i - seq);
  const { response } = await infer(server.httpUrl, MODEL, {
    id: `r${seq}`,
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
      { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: b },
    ],
  });
  expect(response.id).toBe(`r${seq}`);
  const sum = response.outputs.find((o) => o.name === 'OUTPUT0')?.data as number[];
  const diff = response.outputs.find((o) => o.name === 'OUTPUT1')?.data as number[];
  expect(sum).toEqual(a.map((x, i) => Math.fround(x + (b[i] ?? 0))));
  const v1 = a.map((x, i) => Math.fround(x - (b[i] ?? 0)));
  const v2 = a.map((x, i) => Math.fround((b[i] ?? 0) - x));
  const perElement = diff.map((d, i) => (d === v1[i] ? 'v1' : d === v2[i] ? 'v2' : 'neither'));
  const semantics = new Set(perElement);
  expect([...semantics], `answer ${seq} mixes or matches no version: ${diff.join(',')}`).toHaveLength(1);
  const only = perElement[0] as Semantics | 'neither';
  expect(only).not.toBe('neither');
  expect(response.model_version).toBe(only === 'v1' ? '1' : '2');
  return { semantics: only as Semantics, version: response.model_version };
}

describe('e2e: atomic reload of add_sub_fp32 under load', () => {
  it('switches from v1 to v2 with zero failed requests and no mixed answers', async () => {
    // Start from "version 1 only" so that the switch is observable on unversioned requests.
    await loadWith(configServing(1));
    expect((await inferOnce(0)).semantics).toBe('v1');

    let seq = 1;
    let reloadedAt = Number.POSITIVE_INFINITY;
    let stop = false;
    const failures: string[] = [];
    const seen: { started: number; semantics: Semantics; worker: number }[] = [];

    const worker = async (id: number) => {
      let sawV2 = false;
      while (!stop) {
        const n = seq++;
        const started = performance.now();
        try {
          const r = await inferOnce(n);
          seen.push({ started, semantics: r.semantics, worker: id });
          // Each worker is sequential: once it has been answered by v2 it must never see v1 again.
          if (r.semantics === 'v1' && sawV2) failures.push(`worker ${id}: v1 answer after a v2 answer`);
          if (r.semantics === 'v2') sawV2 = true;
        } catch (e) {
          failures.push(`request ${n}: ${(e as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, i) => worker(i));

    // Let the stream run on v1, reload, then keep it running on v2 for a while.
    await new Promise((r) => setTimeout(r, 300));
    await loadWith(configServing(2));
    reloadedAt = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.some((s) => s.semantics === 'v1')).toBe(true);
    expect(seen.some((s) => s.semantics === 'v2')).toBe(true);
    // A request sent after the load call returned is served by the new version only.
    const lateV1 = seen.filter((s) => s.started > reloadedAt && s.semantics === 'v1');
    expect(lateV1).toEqual([]);

    const meta = await http(server.httpUrl, 'GET', `/v2/models/${MODEL}`);
    expect((JSON.parse(new TextDecoder().decode(meta.body)) as { versions: string[] }).versions).toEqual([
      '2',
    ]);
    expect((await http(server.httpUrl, 'GET', `/v2/models/${MODEL}/versions/1/ready`)).status).not.toBe(200);
  });

  it('unload → inference is refused (503 ERR_MODEL_NOT_READY); load again → ready', async () => {
    const unload = await postJson(server.httpUrl, `/v2/repository/models/${MODEL}/unload`, {});
    expect(unload.status).toBe(200);
    expect((await http(server.httpUrl, 'GET', `/v2/models/${MODEL}/ready`)).status).toBe(400);

    const refused = await http(
      server.httpUrl,
      'POST',
      `/v2/models/${MODEL}/infer`,
      JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: Array(16).fill(1) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: Array(16).fill(2) },
        ],
      }),
    );
    expect(expectOipError(refused, 503).code).toBe('ERR_MODEL_NOT_READY');
    // ERR_MODEL_NOT_READY is retryable: a Retry-After, if given, is a whole number of seconds.
    const retryAfter = refused.headers.get('retry-after');
    if (retryAfter !== null) expect(retryAfter).toMatch(/^[1-9][0-9]*$/);

    const index = await postJson(server.httpUrl, '/v2/repository/index', {});
    const entries = (index.json as { name: string; state: string }[]).filter((e) => e.name === MODEL);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.state).not.toBe('READY');

    // A load without an override goes back to the on-disk config (version_policy "all").
    await loadWith();
    expect((await http(server.httpUrl, 'GET', `/v2/models/${MODEL}/ready`)).status).toBe(200);
    expect((await http(server.httpUrl, 'GET', `/v2/models/${MODEL}/versions/1/ready`)).status).toBe(200);
    expect((await inferOnce(10_000)).semantics).toBe('v2');
  });
});
