import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSqliteLifecycleStores } from '../../adapters/store-sqlite/index.js';
import type { LifecycleStores } from '../../core/ports/lifecycle-store.js';
import { RegistryService } from '../../lifecycle/registry.js';
import { TrackingService } from '../../lifecycle/tracking.js';
import { registerMlflowRoutes } from './mlflow.js';

const P = '/api/2.0/mlflow';
let app: FastifyInstance;
let stores: LifecycleStores;
let clock = 1_700_000_000_000;
const now = (): number => clock;

beforeAll(async () => {
  stores = createSqliteLifecycleStores({ path: ':memory:' });
  await stores.migrate();
  app = Fastify();
  // As in buildApp: every body reaches the route as bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  await registerMlflowRoutes(app, {
    tracking: new TrackingService(stores.tracking, { now }),
    registry: new RegistryService(stores.registry, { now, tracking: stores.tracking }),
    actorOf: (request) => request.headers['x-test-user'] as string | undefined,
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await stores.close();
});

/** Response JSON, read along known paths in the assertions (which check the shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of wire JSON in assertions
type Json = Record<string, any>;

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const isGet = method === 'GET';
  const url =
    isGet && body !== undefined
      ? `${P}${path}?${new URLSearchParams(body as Record<string, string>)}`
      : `${P}${path}`;
  const res = await app.inject({
    method,
    url,
    headers: { 'content-type': 'application/json', ...headers },
    ...(isGet || body === undefined
      ? {}
      : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

describe('experiments', () => {
  it('create / get / get-by-name / search / update / delete in MLflow shapes', async () => {
    const created = await call('POST', '/experiments/create', {
      name: 'fraud',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(created).toEqual({ status: 200, json: { experiment_id: expect.stringMatching(/^\d+$/) } });
    const id = created.json['experiment_id'] as string;
    const got = await call('GET', '/experiments/get', { experiment_id: id });
    expect(got.json['experiment']).toEqual({
      experiment_id: id,
      name: 'fraud',
      artifact_location: `artifacts:/experiments/${id}`,
      lifecycle_stage: 'active',
      last_update_time: clock,
      creation_time: clock,
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(
      (await call('GET', '/experiments/get-by-name', { experiment_name: 'fraud' })).json['experiment'],
    ).toEqual(got.json['experiment']);
    // The Default experiment exists from the start, as on an MLflow server.
    expect((await call('GET', '/experiments/get', { experiment_id: '0' })).json['experiment']).toMatchObject({
      name: 'Default',
    });

    clock += 1000;
    expect(
      (await call('POST', '/experiments/update', { experiment_id: id, new_name: 'fraud-v2' })).status,
    ).toBe(200);
    const search = await call('POST', '/experiments/search', {
      filter: "name LIKE 'fraud%'",
      max_results: 10,
    });
    expect(search.json['experiments'].map((e: { name: string }) => e.name)).toEqual(['fraud-v2']);
    expect((await call('POST', '/experiments/delete', { experiment_id: id })).json).toEqual({});
    const deleted = await call('POST', '/experiments/search', {
      filter: "name = 'fraud-v2'",
      view_type: 'DELETED_ONLY',
    });
    expect(deleted.json['experiments']).toHaveLength(1);
    expect((await call('POST', '/experiments/restore', { experiment_id: id })).status).toBe(200);
  });

  it('answers errors with MLflow error_code and Kaleido error.code side by side', async () => {
    await call('POST', '/experiments/create', { name: 'dup' });
    const dup = await call('POST', '/experiments/create', { name: 'dup' });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({
      error_code: 'RESOURCE_ALREADY_EXISTS',
      message: expect.stringContaining('dup'),
      error: { code: 'ERR_ALREADY_EXISTS', requestId: expect.any(String) },
    });
    const missing = await call('GET', '/experiments/get', { experiment_id: '424242' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      error: { code: 'ERR_NOT_FOUND' },
    });
    const bad = await call('POST', '/experiments/create', { name: '' });
    expect(bad.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { code: 'ERR_VALIDATION', details: { field: 'name' } },
    });
    const malformed = await call('POST', '/experiments/create', '{"name": ');
    expect(malformed).toMatchObject({
      status: 400,
      json: { error_code: 'MALFORMED_REQUEST', error: { code: 'ERR_INVALID_JSON' } },
    });
    const array = await call('POST', '/experiments/create', '[1]');
    expect(array.json['error_code']).toBe('MALFORMED_REQUEST');
    const route = await call('GET', '/no/such/endpoint');
    expect(route).toMatchObject({ status: 404, json: { error_code: 'ENDPOINT_NOT_FOUND' } });
    const page = await call('POST', '/experiments/search', { max_results: 1001 });
    expect(page.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { details: { field: 'max_results' } },
    });
    const token = await call('POST', '/experiments/search', { page_token: 'not a token!' });
    expect(token.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { details: { field: 'page_token' } },
    });
  });
});

describe('runs and metrics', () => {
  let experimentId: string;
  beforeAll(async () => {
    experimentId = (await call('POST', '/experiments/create', { name: 'runs-exp' })).json['experiment_id'];
  });

  it('creates a run, logs metrics, params and tags, and reads them back', async () => {
    const created = await call('POST', '/runs/create', {
      experiment_id: experimentId,
      run_name: 'baseline',
      user_id: 'ana',
      start_time: 1000,
      tags: [
        { key: 'kaleido.dataset.version', value: 'sms@3' },
        { key: 'kaleido.code.version', value: 'git:abc123' },
      ],
    });
    expect(created.status).toBe(200);
    const info = created.json['run']['info'];
    expect(info).toMatchObject({
      run_name: 'baseline',
      experiment_id: experimentId,
      user_id: 'ana',
      status: 'RUNNING',
      start_time: 1000,
      lifecycle_stage: 'active',
      artifact_uri: `artifacts:/experiments/${experimentId}/${info.run_id}/artifacts`,
    });
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(info.run_uuid).toBe(info.run_id);
    const runId = info.run_id as string;

    expect(
      (
        await call('POST', '/runs/log-metric', {
          run_id: runId,
          key: 'loss',
          value: 0.9,
          timestamp: 10,
          step: 0,
        })
      ).json,
    ).toEqual({});
    await call('POST', '/runs/log-metric', {
      run_id: runId,
      key: 'loss',
      value: 0.4,
      timestamp: '20',
      step: '1',
    });
    await call('POST', '/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' });
    const batch = await call('POST', '/runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'acc', value: 0.8, timestamp: 30, step: 1 }],
      params: [{ key: 'epochs', value: '3' }],
      tags: [{ key: 'note', value: 'ok' }],
    });
    expect(batch.json).toEqual({});
    await call('POST', '/runs/set-tag', { run_id: runId, key: 'mlflow.note.content', value: 'hello' });

    const run = (await call('GET', '/runs/get', { run_id: runId })).json['run'];
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.8, timestamp: 30, step: 1 },
      { key: 'loss', value: 0.4, timestamp: 20, step: 1 },
    ]);
    expect(run.data.params).toEqual([
      { key: 'epochs', value: '3' },
      { key: 'lr', value: '0.01' },
    ]);
    expect(run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'kaleido.dataset.version', value: 'sms@3' },
        { key: 'mlflow.runName', value: 'baseline' },
        { key: 'mlflow.user', value: 'ana' },
        { key: 'note', value: 'ok' },
      ]),
    );
    const history = await call('GET', '/metrics/get-history', {
      run_id: runId,
      metric_key: 'loss',
      max_results: '1',
    });
    expect(history.json['metrics']).toEqual([{ key: 'loss', value: 0.9, timestamp: 10, step: 0 }]);
    const next = await call('GET', '/metrics/get-history', {
      run_id: runId,
      metric_key: 'loss',
      max_results: '1',
      page_token: history.json['next_page_token'],
    });
    expect(next.json).toEqual({ metrics: [{ key: 'loss', value: 0.4, timestamp: 20, step: 1 }] });

    // Params are immutable: MLflow clients see INVALID_PARAMETER_VALUE.
    const relog = await call('POST', '/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.02' });
    expect(relog.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { code: 'ERR_ALREADY_EXISTS' },
    });
    for (const value of ['NaN', 'Infinity', null, 'abc']) {
      const r = await call('POST', '/runs/log-metric', { run_id: runId, key: 'loss', value, timestamp: 1 });
      expect(r.json['error_code']).toBe('INVALID_PARAMETER_VALUE');
    }
    const badKey = await call('POST', '/runs/log-metric', {
      run_id: runId,
      key: '../etc',
      value: 1,
      timestamp: 1,
    });
    expect(badKey.json['error_code']).toBe('INVALID_PARAMETER_VALUE');

    clock += 5;
    const updated = await call('POST', '/runs/update', { run_id: runId, status: 'FINISHED' });
    expect(updated.json['run_info']).toMatchObject({ status: 'FINISHED', end_time: clock });
  });

  it('searches runs with the filter subset, order_by and page tokens', async () => {
    const ids: string[] = [];
    for (const [i, acc] of [0.5, 0.9, 0.7].entries()) {
      const r = await call('POST', '/runs/create', {
        experiment_id: experimentId,
        start_time: 5000 + i,
        tags: [{ key: 'grid', value: 'g1' }],
      });
      const runId = r.json['run']['info']['run_id'] as string;
      ids.push(runId);
      await call('POST', '/runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'acc', value: acc, timestamp: 1, step: 0 }],
        params: [{ key: 'depth', value: String(i + 2) }],
      });
    }
    const search = (body: Record<string, unknown>) =>
      call('POST', '/runs/search', { experiment_ids: [experimentId], ...body });
    const top = await search({
      filter: "metrics.acc > 0.6 and tags.grid = 'g1'",
      order_by: ['metrics.acc DESC'],
    });
    expect(top.json['runs'].map((r: { info: { run_id: string } }) => ids.indexOf(r.info.run_id))).toEqual([
      1, 2,
    ]);
    const byParam = await search({ filter: "params.depth = '2'" });
    expect(byParam.json['runs'].map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids[0]]);
    const first = await search({
      filter: "tags.grid = 'g1'",
      max_results: 2,
      order_by: ['attributes.start_time ASC'],
    });
    expect(first.json['runs']).toHaveLength(2);
    const second = await search({
      filter: "tags.grid = 'g1'",
      max_results: 2,
      order_by: ['attributes.start_time ASC'],
      page_token: first.json['next_page_token'],
    });
    expect(second.json['runs'].map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids[2]]);
    expect(second.json['next_page_token']).toBeUndefined();
    const bad = await search({ filter: "metrics.acc > 'high'" });
    expect(bad.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { details: { field: 'filter' } },
    });
    const or = await search({ filter: 'metrics.acc > 1 OR metrics.acc < 0' });
    expect(or.json['message']).toMatch(/OR is not supported/);
  });
});

describe('registry', () => {
  it('registers models and versions, moves aliases, and answers which version held an alias when', async () => {
    const model = await call('POST', '/registered-models/create', {
      name: 'spam',
      description: 'sms spam',
      tags: [{ key: 'team', value: 'trust' }],
    });
    expect(model.json['registered_model']).toEqual({
      name: 'spam',
      creation_timestamp: clock,
      last_updated_timestamp: clock,
      description: 'sms spam',
      tags: [{ key: 'team', value: 'trust' }],
      aliases: [],
    });
    const signature = {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 2] }],
    };
    const v1 = await call('POST', '/model-versions/create', {
      name: 'spam',
      source: 'artifacts:models/spam/1/model.onnx',
      signature,
      metrics_snapshot: { f1: 0.91 },
      sha256: 'a'.repeat(64),
      model_card: { intended_use: 'filter SMS spam' },
    });
    expect(v1.json['model_version']).toMatchObject({
      name: 'spam',
      version: '1',
      current_stage: 'None',
      status: 'READY',
      source: 'artifacts:models/spam/1/model.onnx',
      signature,
      metrics_snapshot: { f1: 0.91 },
      sha256: 'a'.repeat(64),
      model_card: { intended_use: 'filter SMS spam' },
      aliases: [],
    });
    const v2 = await call('POST', '/model-versions/create', {
      name: 'spam',
      source: 'artifacts:models/spam/2/model.onnx',
    });
    expect(v2.json['model_version']['version']).toBe('2');

    const t1 = clock;
    expect(
      (
        await call(
          'POST',
          '/registered-models/alias',
          { name: 'spam', alias: 'champion', version: '1' },
          { 'x-test-user': 'ana' },
        )
      ).json,
    ).toEqual({});
    clock += 60_000;
    const t2 = clock;
    await call(
      'POST',
      '/registered-models/alias',
      { name: 'spam', alias: 'champion', version: '2' },
      { 'x-test-user': 'bo' },
    );
    const now = await call('GET', '/registered-models/alias', { name: 'spam', alias: 'champion' });
    expect(now.json['model_version']).toMatchObject({ version: '2', aliases: ['champion'] });
    const then = await call('GET', '/registered-models/alias', {
      name: 'spam',
      alias: 'champion',
      at: String(t1 + 1),
    });
    expect(then.json['model_version']['version']).toBe('1');
    const history = await call('GET', '/registered-models/alias/history', {
      name: 'spam',
      alias: 'champion',
    });
    expect(history.json['alias_history']).toEqual([
      {
        id: expect.any(String),
        name: 'spam',
        alias: 'champion',
        to_version: '1',
        actor: 'ana',
        timestamp: t1,
      },
      {
        id: expect.any(String),
        name: 'spam',
        alias: 'champion',
        from_version: '1',
        to_version: '2',
        actor: 'bo',
        timestamp: t2,
      },
    ]);
    const got = await call('GET', '/registered-models/get', { name: 'spam' });
    expect(got.json['registered_model']['aliases']).toEqual([{ alias: 'champion', version: '2' }]);

    expect(
      (await call('DELETE', '/registered-models/alias', { name: 'spam', alias: 'champion' })).json,
    ).toEqual({});
    const gone = await call('GET', '/registered-models/alias', { name: 'spam', alias: 'champion' });
    expect(gone).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    const reserved = await call('POST', '/registered-models/alias', {
      name: 'spam',
      alias: 'latest',
      version: '1',
    });
    expect(reserved.json['error_code']).toBe('INVALID_PARAMETER_VALUE');
    const missingVersion = await call('POST', '/registered-models/alias', {
      name: 'spam',
      alias: 'champion',
      version: '9',
    });
    expect(missingVersion.json['error_code']).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('updates, searches, downloads and deletes; versions stay immutable', async () => {
    await call('POST', '/registered-models/create', { name: 'intent' });
    const run = await call('POST', '/runs/create', { run_name: 'train-intent' });
    const runId = run.json['run']['info']['run_id'];
    await call('POST', '/runs/log-metric', { run_id: runId, key: 'f1', value: 0.88, timestamp: 1 });
    const v = await call('POST', '/model-versions/create', {
      name: 'intent',
      source: 'artifacts:models/intent/1',
      run_id: runId,
    });
    // The run's latest metrics are snapshotted into the version.
    expect(v.json['model_version']).toMatchObject({ run_id: runId, metrics_snapshot: { f1: 0.88 } });
    const updated = await call('PATCH', '/model-versions/update', {
      name: 'intent',
      version: '1',
      description: 'first cut',
    });
    expect(updated.json['model_version']['description']).toBe('first cut');
    const fail = await call('PATCH', '/model-versions/update', {
      name: 'intent',
      version: '1',
      status: 'FAILED_REGISTRATION',
    });
    expect(fail.json).toMatchObject({ error_code: 'INVALID_STATE', error: { code: 'ERR_INVALID_STATE' } });
    const uri = await call('GET', '/model-versions/get-download-uri', { name: 'intent', version: '1' });
    expect(uri.json).toEqual({ artifact_uri: 'artifacts:models/intent/1' });
    const search = await call('GET', '/model-versions/search', { filter: `run_id = '${runId}'` });
    expect(search.json['model_versions'].map((x: { name: string }) => x.name)).toEqual(['intent']);
    const models = await call('GET', '/registered-models/search', { filter: "name LIKE 'int%'" });
    expect(models.json['registered_models'].map((x: { name: string }) => x.name)).toEqual(['intent']);
    const latest = await call('POST', '/registered-models/get-latest-versions', { name: 'intent' });
    expect(latest.json['model_versions'].map((x: { version: string }) => x.version)).toEqual(['1']);
    const renamed = await call('PATCH', '/registered-models/update', {
      name: 'intent',
      description: 'intents',
    });
    expect(renamed.json['registered_model']['description']).toBe('intents');
    const badSig = await call('POST', '/model-versions/create', {
      name: 'intent',
      source: 'x',
      signature: { inputs: [{ name: 'a', datatype: 'FLOAT', shape: [1] }] },
    });
    expect(badSig.json).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      error: { details: { field: 'signature.inputs[0].datatype' } },
    });
    const unknownRun = await call('POST', '/model-versions/create', {
      name: 'intent',
      source: 'x',
      run_id: 'f'.repeat(32),
    });
    expect(unknownRun.json['error_code']).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await call('DELETE', '/model-versions/delete', { name: 'intent', version: '1' })).json).toEqual(
      {},
    );
    expect((await call('DELETE', '/registered-models/delete', { name: 'intent' })).json).toEqual({});
    expect((await call('GET', '/registered-models/get', { name: 'intent' })).json['error_code']).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});
