/**
 * The OWASP API Security Top 10 (2023) against the real server (startKaleido, the production
 * composition root) with authentication on. Each describe block is one category; docs/security.md
 * lists the tests by these names.
 *
 * Server A: auth.mode=required with a known bootstrap admin key, small body limits.
 * Server B: auth.mode=open-inference, a generated bootstrap key, a CORS allowlist and a tight
 * per-principal rate limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { SqliteClient } from '../../src/adapters/store-sqlite/index.js';
import { loadConfig } from '../../src/config/load.js';
import { WEB_UI_OPEN_ROUTES } from '../../src/server/security/route-table.js';
import { createInferenceGrpcClient } from '../helpers/grpc-client.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';
import {
  ADD_SUB_REQUEST,
  call,
  concretePath,
  createKey,
  createTenant,
  portOf,
  rawRequest,
  startCanary,
  type Answer,
  type Canary,
} from './support.js';

const ADMIN = TEST_ADMIN_KEY;
const MAX_ADMIN_BODY = 64 * 1024;
const MAX_BODY = 256 * 1024;

let a: TestServer;
let b: TestServer;
let dbDir: string;
let dbPath: string;
const generatedKeys: string[] = [];
let canary: Canary;
/** Keys by name, created in beforeAll. */
const k: Record<string, { key: string; id: string }> = {};

beforeAll(async () => {
  dbDir = mkdtempSync(join(tmpdir(), 'kaleido-sec-db-'));
  dbPath = join(dbDir, 'meta.db');
  canary = await startCanary();
  [a, b] = await Promise.all([
    startTestServer({
      startupModels: ['add_sub_fp32', 'identity_fp32'],
      auth: {},
      overrides: {
        'metadata.url': `sqlite:${dbPath}`,
        'server.maxAdminBodyBytes': String(MAX_ADMIN_BODY),
        'server.maxBodyBytes': String(MAX_BODY),
        'server.maxJsonDepth': '16',
        'analysis.modalities': 'text',
      },
    }),
    startTestServer({
      startupModels: ['add_sub_fp32'],
      auth: { mode: 'open-inference', adminKey: '', onAdminKey: (key) => generatedKeys.push(key) },
      overrides: {
        'cors.allowedOrigins': 'https://app.example.com',
        'rateLimit.perPrincipal.capacity': '3',
        'rateLimit.perPrincipal.refillPerSecond': '0.2',
        'analysis.modalities': 'text',
      },
    }),
  ]);
  // Tenants and keys of every role, through the public API.
  await createTenant(a.httpUrl, ADMIN, 'acme');
  await createTenant(a.httpUrl, ADMIN, 'globex');
  k.acmeAdmin = await createKey(a.httpUrl, ADMIN, { role: 'admin', tenant: 'acme' });
  k.globexAdmin = await createKey(a.httpUrl, ADMIN, { role: 'admin', tenant: 'globex' });
  for (const role of ['maintainer', 'operator', 'analyst', 'service']) {
    k[role] = await createKey(a.httpUrl, k.acmeAdmin!.key, { role });
  }
  k.readOnly = await createKey(a.httpUrl, k.acmeAdmin!.key, { role: 'analyst', scopes: ['model:read'] });
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), canary?.close()]);
  rmSync(dbDir, { recursive: true, force: true });
});

/** add_sub_fp32 over gRPC (typed contents). */
const GRPC_ADD_SUB = {
  model_name: 'add_sub_fp32',
  inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: Array(16).fill(1) } },
    { name: 'INPUT1', datatype: 'FP32', shape: [1, 16], contents: { fp32_contents: Array(16).fill(2) } },
  ],
};

const infer = (base: string, key?: string) =>
  call(base, 'POST', '/v2/models/add_sub_fp32/infer', {
    ...(key === undefined ? {} : { key }),
    body: ADD_SUB_REQUEST,
  });

describe('API1:2023 Broken Object Level Authorization (BOLA across tenants)', () => {
  it('a tenant admin lists only its own tenant’s keys', async () => {
    const res = await call(a.httpUrl, 'GET', '/v1/keys', { key: k.acmeAdmin!.key });
    expect(res.status).toBe(200);
    const tenants = new Set((res.body.apiKeys as { tenantId: string }[]).map((x) => x.tenantId));
    expect([...tenants]).toEqual(['acme']);
    expect((res.body.apiKeys as unknown[]).length).toBe(6); // its admin + 4 roles + read-only
  });

  it('another tenant’s key is not found, exactly like a key that does not exist', async () => {
    const other = await call(a.httpUrl, 'GET', `/v1/keys/${k.service!.id}`, { key: k.globexAdmin!.key });
    const missing = await call(a.httpUrl, 'GET', '/v1/keys/00000000-0000-4000-8000-000000000000', {
      key: k.globexAdmin!.key,
    });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.error.code).toBe(missing.body.error.code);
    const explicit = await call(a.httpUrl, 'GET', `/v1/keys/${k.service!.id}?tenant=acme`, {
      key: k.globexAdmin!.key,
    });
    expect(explicit.status).toBe(404);
  });

  it('another tenant cannot revoke a key (and the key keeps working)', async () => {
    const res = await call(a.httpUrl, 'DELETE', `/v1/keys/${k.service!.id}?tenant=acme`, {
      key: k.globexAdmin!.key,
    });
    expect(res.status).toBe(404);
    expect((await infer(a.httpUrl, k.service!.key)).status).toBe(200);
  });

  it('another tenant cannot create keys in, list, or read the audit log of a tenant', async () => {
    const create = await call(a.httpUrl, 'POST', '/v1/keys', {
      key: k.globexAdmin!.key,
      body: { name: 'x', role: 'admin', tenant: 'acme' },
    });
    expect(create.status).toBe(404);
    expect((await call(a.httpUrl, 'GET', '/v1/keys?tenant=acme', { key: k.globexAdmin!.key })).status).toBe(
      404,
    );
    expect((await call(a.httpUrl, 'GET', '/v1/audit?tenant=acme', { key: k.globexAdmin!.key })).status).toBe(
      404,
    );
    const tenants = await call(a.httpUrl, 'GET', '/v1/tenants', { key: k.globexAdmin!.key });
    expect(tenants.body.tenants.map((t: { id: string }) => t.id)).toEqual(['globex']);
  });

  it('a tenant’s audit log holds only its own actions', async () => {
    const res = await call(a.httpUrl, 'GET', '/v1/audit?limit=1000', { key: k.globexAdmin!.key });
    expect(res.status).toBe(200);
    for (const e of res.body.entries as { tenantId: string }[]) expect(e.tenantId).toBe('globex');
  });

  it('system administrators reach tenants’ keys (platform operations), nothing else', async () => {
    const res = await call(a.httpUrl, 'GET', '/v1/keys?tenant=acme', { key: ADMIN });
    expect(res.status).toBe(200);
    expect(res.body.apiKeys.length).toBe(6);
  });
});

describe('API1:2023 BOLA: tenants own data sets, jobs, studies, experiments, models', () => {
  // Tenant A = acme, tenant B = globex (both admins: the widest role short of the system tenant).
  const A = (): string => k.acmeAdmin!.key;
  const B = (): string => k.globexAdmin!.key;
  const DIM = 16;
  const rows = (flip: boolean): string =>
    Array.from({ length: 40 }, (_, i) => {
      const good = (i % 2 === 0) !== flip;
      return JSON.stringify({
        text: good ? `great lovely fine ${i}` : `awful bad poor ${i}`,
        label: good ? 'pos' : 'neg',
      });
    }).join('\n');
  const upload = (key: string, name: string, flip: boolean) =>
    call(
      a.httpUrl,
      'POST',
      `/v1/datasets?name=${name}&splitSeed=1&validationFraction=0.25&testFraction=0.25`,
      {
        key,
        body: rows(flip),
        headers: { 'content-type': 'application/x-ndjson' },
      },
    );
  /** The 404 of `missing` and of another tenant's `other` must not be told apart (status, code, shape). */
  const sameAsMissing = (
    other: Pick<Answer, 'status' | 'body'>,
    missing: Pick<Answer, 'status' | 'body'>,
  ) => {
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.error.code).toBe(missing.body.error.code);
    expect(Object.keys(other.body).sort()).toEqual(Object.keys(missing.body).sort());
    expect(Object.keys(other.body.error).sort()).toEqual(Object.keys(missing.body.error).sort());
  };
  let jobId = '';
  /** An answer's text with the per-request id dropped and `name` replaced, for exact comparison. */
  const norm = (text: string, name: string): string =>
    text
      .replace(/"requestId":"[^"]*"/g, '"requestId":""')
      .replace(/"request_id":"[^"]*"/g, '"request_id":""')
      .replaceAll(name, 'X');

  it('data sets: B cannot list or read A’s, and a same-named data set of B is separate', async () => {
    const up = await upload(A(), 'reviews', false);
    expect(up.status).toBe(201);
    expect((await upload(A(), 'acme-only', false)).status).toBe(201);
    const mine = await upload(B(), 'reviews', true);
    expect(mine.status).toBe(201);
    expect(mine.body.version).toBe(1);
    expect(mine.body.sha256).not.toBe(up.body.sha256);
    const list = await call(a.httpUrl, 'GET', '/v1/datasets', { key: B() });
    expect(JSON.stringify(list.body)).not.toContain('acme-only');
    expect(JSON.stringify(list.body)).not.toContain(up.body.sha256);
    expect((await call(a.httpUrl, 'GET', '/v1/datasets/reviews', { key: B() })).body.versions[0].sha256).toBe(
      mine.body.sha256,
    );
    sameAsMissing(
      await call(a.httpUrl, 'GET', '/v1/datasets/acme-only', { key: B() }),
      await call(a.httpUrl, 'GET', '/v1/datasets/nothing-here', { key: B() }),
    );
    sameAsMissing(
      await call(a.httpUrl, 'GET', '/v1/datasets/acme-only/versions/1', { key: B() }),
      await call(a.httpUrl, 'GET', '/v1/datasets/nothing-here/versions/1', { key: B() }),
    );
    // The system tenant's administrators do not see tenants' data sets either.
    expect(JSON.stringify((await call(a.httpUrl, 'GET', '/v1/datasets', { key: ADMIN })).body)).not.toContain(
      'acme-only',
    );
  });

  it('training jobs and the model they publish: B cannot get, cancel, stream, list, or infer with them', async () => {
    // B cannot train on A's data set: it does not exist for B.
    expect(
      (
        await call(a.httpUrl, 'POST', '/v1/training-jobs', {
          key: B(),
          body: { dataset: { id: 'acme-only' }, featurizer: { type: 'hashed-bow', dimensions: DIM } },
        })
      ).status,
    ).toBe(404);
    const created = await call(a.httpUrl, 'POST', '/v1/training-jobs', {
      key: A(),
      body: {
        dataset: { id: 'reviews' },
        featurizer: { type: 'hashed-bow', dimensions: DIM },
        config: { epochs: 3, earlyStopping: null, seed: 1 },
        publish: { modelName: 'spam' },
      },
    });
    expect(created.status).toBe(201);
    jobId = created.body.id as string;
    let job = created.body;
    for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call(a.httpUrl, 'GET', `/v1/training-jobs/${jobId}`, { key: A() })).body;
    }
    expect(job.state).toBe('succeeded');
    // A tenant's trained model is served under its tenant-qualified name.
    expect(job.result.model.modelName).toBe('acme__spam');

    const missingId = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/training-jobs/${jobId}`],
      ['POST', `/v1/training-jobs/${jobId}/cancel`],
      ['GET', `/v1/training-jobs/${jobId}/events`],
    ] as const) {
      sameAsMissing(
        await call(a.httpUrl, method, path, { key: B() }),
        await call(a.httpUrl, method, path.replace(jobId, missingId), { key: B() }),
      );
    }
    expect(
      JSON.stringify((await call(a.httpUrl, 'GET', '/v1/training-jobs', { key: B() })).body),
    ).not.toContain(jobId);
    expect(JSON.stringify((await call(a.httpUrl, 'GET', '/v1/training-jobs', { key: A() })).body)).toContain(
      jobId,
    );
  });

  it('trained models over OIP REST and gRPC: B cannot see, load, query or infer with A’s', async () => {
    const model = 'acme__spam';
    expect((await call(a.httpUrl, 'POST', `/v2/repository/models/${model}/load`, { key: B() })).status).toBe(
      404,
    );
    expect((await call(a.httpUrl, 'POST', `/v2/repository/models/${model}/load`, { key: A() })).status).toBe(
      200,
    );
    const body = {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, DIM], data: Array(DIM).fill(0.5) }],
    };
    expect((await call(a.httpUrl, 'POST', `/v2/models/${model}/infer`, { key: A(), body })).status).toBe(200);
    const missing = 'acme__nothing';
    for (const [method, suffix, withBody] of [
      ['GET', '', false],
      ['GET', '/ready', false],
      ['GET', '/config', false],
      ['GET', '/stats', false],
      ['POST', '/infer', true],
    ] as const) {
      const other = await call(a.httpUrl, method, `/v2/models/${model}${suffix}`, {
        key: B(),
        ...(withBody ? { body } : {}),
      });
      const none = await call(a.httpUrl, method, `/v2/models/${missing}${suffix}`, {
        key: B(),
        ...(withBody ? { body } : {}),
      });
      expect(other.status).toBe(none.status);
      expect(other.status).toBeGreaterThanOrEqual(400);
      expect(norm(other.text, model)).toBe(norm(none.text, missing));
    }
    const unloadOther = await call(a.httpUrl, 'POST', `/v2/repository/models/${model}/unload`, { key: B() });
    const unloadNone = await call(a.httpUrl, 'POST', `/v2/repository/models/${missing}/unload`, { key: B() });
    expect(unloadOther.status).toBe(404);
    expect(unloadOther.status).toBe(unloadNone.status);
    expect(norm(unloadOther.text, model)).toBe(norm(unloadNone.text, missing));
    const indexOf = async (key: string) =>
      JSON.stringify((await call(a.httpUrl, 'POST', '/v2/repository/index', { key, body: {} })).body);
    expect(await indexOf(B())).not.toContain(model);
    expect(await indexOf(B())).toContain('add_sub_fp32'); // platform-wide models stay visible
    expect(await indexOf(A())).toContain(model);
    expect(
      JSON.stringify((await call(a.httpUrl, 'GET', '/v2/models/stats', { key: B() })).body),
    ).not.toContain(model);

    const asB = createInferenceGrpcClient(a.grpcTarget, { metadata: { authorization: `Bearer ${B()}` } });
    const asA = createInferenceGrpcClient(a.grpcTarget, { metadata: { authorization: `Bearer ${A()}` } });
    try {
      expect(((await asA.call('ModelReady', { name: model })) as { ready: boolean }).ready).toBe(true);
      expect(((await asB.call('ModelReady', { name: model })) as { ready: boolean }).ready).toBe(false);
      for (const method of ['ModelMetadata', 'ModelConfig', 'ModelStatistics']) {
        const other = await asB.fail(method, { name: model });
        const none = await asB.fail(method, { name: missing });
        expect(other.code).toBe(none.code);
        expect(other.details.replaceAll(model, 'X')).toBe(none.details.replaceAll(missing, 'X'));
      }
      const grpcInfer = (name: string) => ({
        model_name: name,
        inputs: [
          {
            name: 'features',
            datatype: 'FP32',
            shape: [1, DIM],
            contents: { fp32_contents: Array(DIM).fill(0.5) },
          },
        ],
      });
      expect((await asB.fail('ModelInfer', grpcInfer(model))).code).toBe(
        (await asB.fail('ModelInfer', grpcInfer(missing))).code,
      );
      expect(await asA.call('ModelInfer', grpcInfer(model))).toMatchObject({ model_name: model });
      expect(JSON.stringify(await asB.call('RepositoryIndex', {}))).not.toContain(model);
    } finally {
      asA.close();
      asB.close();
    }
  });

  it('experiments and runs: B cannot list, get, search, update or delete A’s; names are per tenant', async () => {
    const ml = (key: string, method: string, path: string, body?: unknown) =>
      call(a.httpUrl, method, `/api/2.0/mlflow${path}`, { key, ...(body === undefined ? {} : { body }) });
    const ea = await ml(A(), 'POST', '/experiments/create', { name: 'shared-name' });
    const eb = await ml(B(), 'POST', '/experiments/create', { name: 'shared-name' });
    expect(ea.status).toBe(200);
    expect(eb.status).toBe(200);
    expect(eb.body.experiment_id).not.toBe(ea.body.experiment_id);
    const defA = await ml(A(), 'GET', '/experiments/get-by-name?experiment_name=Default');
    const defB = await ml(B(), 'GET', '/experiments/get-by-name?experiment_name=Default');
    expect(defA.body.experiment.experiment_id).not.toBe(defB.body.experiment.experiment_id);
    const run = await ml(A(), 'POST', '/runs/create', { experiment_id: ea.body.experiment_id });
    expect(run.status).toBe(200);
    const runId = run.body.run.info.run_id as string;
    const noRun = 'f'.repeat(32);
    const expId = ea.body.experiment_id as string;
    const noExp = '987654321';
    for (const [method, path, body] of [
      ['GET', `/experiments/get?experiment_id=${expId}`, undefined],
      ['POST', '/experiments/update', { experiment_id: expId, new_name: 'x' }],
      ['POST', '/experiments/delete', { experiment_id: expId }],
      ['POST', '/experiments/set-experiment-tag', { experiment_id: expId, key: 'k', value: 'v' }],
      ['POST', '/runs/create', { experiment_id: expId }],
    ] as const) {
      sameAsMissing(
        await ml(B(), method, path.replace(/=.*$/, `=${expId}`), body),
        await ml(
          B(),
          method,
          path.replace(/=.*$/, `=${noExp}`),
          body === undefined ? undefined : { ...body, experiment_id: noExp },
        ),
      );
    }
    for (const [method, path, body] of [
      ['GET', `/runs/get?run_id=${runId}`, undefined],
      ['POST', '/runs/update', { run_id: runId, status: 'FINISHED' }],
      ['POST', '/runs/delete', { run_id: runId }],
      ['POST', '/runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: 0 }],
      ['POST', '/runs/set-tag', { run_id: runId, key: 'k', value: 'v' }],
      ['GET', `/metrics/get-history?run_id=${runId}&metric_key=loss`, undefined],
    ] as const) {
      sameAsMissing(
        await ml(B(), method, path, body),
        await ml(
          B(),
          method,
          path.replace(runId, noRun),
          body === undefined ? undefined : { ...body, run_id: noRun },
        ),
      );
    }
    const searchB = await ml(B(), 'POST', '/experiments/search', { max_results: 1000 });
    expect(JSON.stringify(searchB.body)).not.toContain(`"experiment_id":"${expId}"`);
    const runsB = await ml(B(), 'POST', '/runs/search', { experiment_ids: [expId] });
    expect(runsB.body.runs ?? []).toEqual([]);
    expect((await ml(A(), 'GET', `/runs/get?run_id=${runId}`)).status).toBe(200);
  });

  it('registered models, versions and aliases: separate per tenant; model@alias resolves in the caller’s tenant', async () => {
    const ml = (key: string, method: string, path: string, body?: unknown) =>
      call(a.httpUrl, method, `/api/2.0/mlflow${path}`, { key, ...(body === undefined ? {} : { body }) });
    // A registers its trained model and the platform-wide add_sub_fp32 under its own aliases.
    expect(
      (await ml(A(), 'POST', '/registered-models/create', { name: 'spam', description: 'A' })).status,
    ).toBe(200);
    expect(
      (await ml(A(), 'POST', '/model-versions/create', { name: 'spam', source: 'models/acme__spam/1' }))
        .status,
    ).toBe(200);
    expect(
      (await ml(A(), 'POST', '/registered-models/alias', { name: 'spam', alias: 'champion', version: '1' }))
        .status,
    ).toBe(200);
    expect((await ml(A(), 'POST', '/registered-models/create', { name: 'add_sub_fp32' })).status).toBe(200);
    expect(
      (
        await ml(A(), 'POST', '/model-versions/create', {
          name: 'add_sub_fp32',
          source: 'models/add_sub_fp32/1',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await ml(A(), 'POST', '/registered-models/alias', {
          name: 'add_sub_fp32',
          alias: 'champion',
          version: '1',
        })
      ).status,
    ).toBe(200);

    for (const [method, path, body] of [
      ['GET', '/registered-models/get?name=spam', undefined],
      ['PATCH', '/registered-models/update', { name: 'spam', description: 'B' }],
      ['POST', '/registered-models/set-tag', { name: 'spam', key: 'k', value: 'v' }],
      ['GET', '/model-versions/get?name=spam&version=1', undefined],
      ['POST', '/model-versions/create', { name: 'spam', source: 'models/x/1' }],
      ['GET', '/registered-models/alias?name=spam&alias=champion', undefined],
      ['POST', '/registered-models/alias', { name: 'spam', alias: 'champion', version: '1' }],
      ['GET', '/registered-models/alias/history?name=spam', undefined],
      ['DELETE', '/registered-models/delete', { name: 'spam' }],
    ] as const) {
      const other = await ml(B(), method, path, body);
      const none = await ml(
        B(),
        method,
        path.replace('name=spam', 'name=nothing-here'),
        body === undefined ? undefined : { ...body, name: 'nothing-here' },
      );
      expect(other.status).toBe(404);
      expect(other.status).toBe(none.status);
      expect(other.body.error_code).toBe(none.body.error_code);
      expect(norm(other.text, 'spam')).toBe(norm(none.text, 'nothing-here'));
    }
    const search = await ml(B(), 'GET', "/registered-models/search?filter=name%3D'spam'");
    expect(search.body.registered_models ?? []).toEqual([]);
    const versions = await ml(B(), 'GET', "/model-versions/search?filter=name%3D'spam'");
    expect(versions.body.model_versions ?? []).toEqual([]);

    // The same name in B is B's own model: its own version numbers and aliases; A's is untouched.
    expect(
      (await ml(B(), 'POST', '/registered-models/create', { name: 'spam', description: 'B' })).status,
    ).toBe(200);
    const vb = await ml(B(), 'POST', '/model-versions/create', { name: 'spam', source: 'models/other/1' });
    expect(vb.body.model_version.version).toBe('1');
    expect((await ml(A(), 'GET', '/registered-models/get?name=spam')).body.registered_model).toMatchObject({
      description: 'A',
      aliases: [{ alias: 'champion', version: '1' }],
    });
    expect(
      (await ml(B(), 'GET', '/registered-models/get?name=spam')).body.registered_model.aliases ?? [],
    ).toEqual([]);

    // model@alias: A's alias serves A; B has no such alias (its registry has no add_sub_fp32).
    const req = ADD_SUB_REQUEST;
    expect(
      (await call(a.httpUrl, 'POST', '/v2/models/add_sub_fp32@champion/infer', { key: A(), body: req }))
        .status,
    ).toBe(200);
    expect(
      (await call(a.httpUrl, 'POST', '/v2/models/add_sub_fp32@champion/infer', { key: B(), body: req }))
        .status,
    ).toBe(404);
    const body = {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, DIM], data: Array(DIM).fill(0.5) }],
    };
    expect(
      (await call(a.httpUrl, 'POST', '/v2/models/acme__spam@champion/infer', { key: A(), body })).status,
    ).toBe(200);
    expect(
      (await call(a.httpUrl, 'POST', '/v2/models/acme__spam@champion/infer', { key: B(), body })).status,
    ).toBe(404);
  });

  it('studies: B cannot get, stop, stream or list A’s study; the same study name is free in B', async () => {
    const spec = (name: string) => ({
      name,
      direction: 'maximize',
      metric: 'valAccuracy',
      nTrials: 1,
      concurrency: 1,
      dataset: { id: 'reviews' },
      featurizer: { type: 'hashed-bow', dimensions: DIM },
      training: { epochs: 2, earlyStopping: null },
      searchSpace: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
      modelName: 'study-model',
    });
    const sa = await call(a.httpUrl, 'POST', '/v1/studies', { key: A(), body: spec('tuning') });
    expect(sa.status).toBe(201);
    const id = sa.body.id as string;
    const missingId = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/studies/${id}`],
      ['GET', '/v1/studies/tuning'],
      ['POST', `/v1/studies/${id}/stop`],
      ['GET', `/v1/studies/${id}/events`],
    ] as const) {
      sameAsMissing(
        await call(a.httpUrl, method, path, { key: B() }),
        await call(a.httpUrl, method, path.replace(id, missingId).replace('tuning', 'no-such-study'), {
          key: B(),
        }),
      );
    }
    expect(JSON.stringify((await call(a.httpUrl, 'GET', '/v1/studies', { key: B() })).body)).not.toContain(
      id,
    );
    const sb = await call(a.httpUrl, 'POST', '/v1/studies', { key: B(), body: spec('tuning') });
    expect(sb.status).toBe(201);
    expect(sb.body.id).not.toBe(id);
  });
});

describe('API2:2023 Broken Authentication', () => {
  it('every route but the open ones refuses a request without credentials (401 + WWW-Authenticate)', async () => {
    const routes = a.running.routes.filter((r) => r.access !== 'open' && r.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(50);
    for (const r of routes) {
      const res = await call(
        a.httpUrl,
        r.method,
        concretePath(r.url),
        r.method === 'GET' || r.method === 'HEAD' ? {} : { body: {} },
      );
      expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
        route: `${r.method} ${r.url}`,
        status: 401,
      });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="kaleido"/);
    }
  });

  it('refuses malformed, unknown and forged credentials with one indistinguishable answer', async () => {
    const forged = `${ADMIN.slice(0, 17)}${'0'.repeat(64)}`; // the admin's prefix, another secret
    const unknown = `kal_ffffffffffff_${'1'.repeat(64)}`;
    const messages = new Set<string>();
    for (const auth of [`Bearer ${forged}`, `Bearer ${unknown}`, 'Bearer kal_short', 'Bearer x.y.z']) {
      const res = await call(a.httpUrl, 'GET', '/v2', { headers: { authorization: auth } });
      expect(res.status).toBe(401);
      messages.add(res.body.error);
    }
    expect(messages.size).toBe(1);
    for (const auth of ['Basic YWRtaW46YWRtaW4=', 'Bearer', `Bearer ${ADMIN} extra`, ADMIN]) {
      expect((await call(a.httpUrl, 'GET', '/v2', { headers: { authorization: auth } })).status).toBe(401);
    }
  });

  it('revocation takes effect on the very next request', async () => {
    const temp = await createKey(a.httpUrl, k.acmeAdmin!.key, { role: 'service' });
    expect((await infer(a.httpUrl, temp.key)).status).toBe(200);
    const revoke = await call(a.httpUrl, 'DELETE', `/v1/keys/${temp.id}`, { key: k.acmeAdmin!.key });
    expect(revoke.status).toBe(200);
    expect(revoke.body.apiKey.revokedAt).toBeTypeOf('number');
    expect((await infer(a.httpUrl, temp.key)).status).toBe(401);
  });

  it('an expired key stops working', async () => {
    // A 4 s lifetime: key creation plus the first scrypt check must fit in it on a loaded machine.
    const expiresAt = Date.now() + 4000;
    const temp = await createKey(a.httpUrl, k.acmeAdmin!.key, { role: 'service', expiresAt });
    expect((await infer(a.httpUrl, temp.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 100));
    expect((await infer(a.httpUrl, temp.key)).status).toBe(401);
  });

  it('keys are stored only as scrypt hashes; the secret is shown once; last use is recorded', async () => {
    const created = await createKey(a.httpUrl, k.acmeAdmin!.key, { role: 'analyst' });
    expect((await call(a.httpUrl, 'GET', '/v2', { key: created.key })).status).toBe(200);
    const view = await call(a.httpUrl, 'GET', `/v1/keys/${created.id}`, { key: k.acmeAdmin!.key });
    expect(view.text).not.toContain(created.key.slice(18));
    expect(view.body.apiKey.hash).toBeUndefined();
    expect(view.body.apiKey.key).toBeUndefined();
    expect(view.body.apiKey.prefix).toBe(created.key.slice(4, 16));
    const db = new SqliteClient({ path: dbPath });
    try {
      const rows = await db.query<{ prefix: string; hash: string }>('SELECT prefix, hash FROM api_keys');
      expect(rows.length).toBeGreaterThan(8);
      for (const r of rows) {
        expect(r.hash).toMatch(/^scrypt\$32768\$8\$1\$/);
        expect(r.hash).not.toContain(created.key.slice(18));
      }
      // last_used_at is written in the background right after the first use.
      await expect
        .poll(async () => {
          const [row] = await db.query<{ last_used_at: number | null }>(
            'SELECT last_used_at FROM api_keys WHERE id = ?',
            [created.id],
          );
          return row?.last_used_at ?? null;
        })
        .not.toBeNull();
    } finally {
      await db.close();
    }
  });

  it('a first start without auth.adminKey prints one admin key, which works', async () => {
    expect(generatedKeys).toHaveLength(1);
    const key = generatedKeys[0] as string;
    expect(key).toMatch(/^kal_[0-9a-f]{12}_[0-9a-f]{64}$/);
    expect((await call(b.httpUrl, 'GET', '/v1/audit', { key })).status).toBe(200);
  });

  it('authentication is required by default', () => {
    const defaults = loadConfig();
    expect(defaults.auth.mode).toBe('required');
    expect(defaults.auth.openRoutes).toEqual([]);
    expect(defaults.auth.openMetrics).toBe(false);
  });
});

describe('API3:2023 Broken Object Property Level Authorization (mass assignment)', () => {
  it.each([
    ['id', '00000000-0000-4000-8000-000000000001'],
    ['prefix', '0123456789ab'],
    ['hash', 'scrypt$1$1$1$AA==$AA=='],
    ['createdBy', 'someone-else'],
    ['revokedAt', null],
    ['lastUsedAt', 0],
    ['tenantId', 'system'],
  ])('refuses the read-only field %s when creating a key', async (field, value) => {
    const before = (await call(a.httpUrl, 'GET', '/v1/keys', { key: k.acmeAdmin!.key })).body.apiKeys.length;
    const res = await call(a.httpUrl, 'POST', '/v1/keys', {
      key: k.acmeAdmin!.key,
      body: { name: 'x', role: 'service', [field]: value },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ERR_VALIDATION');
    expect(res.body.error.details.field).toBe(field);
    expect((await call(a.httpUrl, 'GET', '/v1/keys', { key: k.acmeAdmin!.key })).body.apiKeys.length).toBe(
      before,
    );
  });

  it('refuses unknown roles and malformed scopes', async () => {
    for (const body of [
      { name: 'x', role: 'superadmin' },
      { name: 'x', role: 'service', scopes: ['*:*:*'] },
      { name: 'x', role: 'service', scopes: 'model:read' },
    ]) {
      const res = await call(a.httpUrl, 'POST', '/v1/keys', { key: k.acmeAdmin!.key, body });
      expect(res.status).toBe(400);
    }
  });

  it('a scope narrows a role and never widens it', async () => {
    // analyst + model:read: may read model metadata, may not infer although analysts may.
    expect((await call(a.httpUrl, 'GET', '/v2/models/add_sub_fp32', { key: k.readOnly!.key })).status).toBe(
      200,
    );
    const denied = await infer(a.httpUrl, k.readOnly!.key);
    expect(denied.status).toBe(403);
    const wide = await createKey(a.httpUrl, k.acmeAdmin!.key, {
      role: 'service',
      scopes: ['api_key:*', '*:*'],
    });
    expect((await call(a.httpUrl, 'GET', '/v1/keys', { key: wide.key })).status).toBe(403);
  });

  it('tenant updates accept only the documented property', async () => {
    const res = await call(a.httpUrl, 'PATCH', '/v1/tenants/acme', { key: ADMIN, body: { name: 'renamed' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('name');
  });

  it('no answer ever carries a stored hash', async () => {
    for (const path of ['/v1/keys', '/v1/keys?tenant=acme&includeRevoked=true', '/v1/audit?limit=1000']) {
      const res = await call(a.httpUrl, 'GET', path, { key: ADMIN });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('scrypt$');
    }
  });
});

describe('API4:2023 Unrestricted Resource Consumption', () => {
  it('gRPC takes from the same per-key bucket as REST: RESOURCE_EXHAUSTED with retry-after', async () => {
    // (Runs first: it spends one of the admin key's 3 tokens; the REST test below needs ≥ 2 refusals.)
    const { key } = await createKey(b.httpUrl, generatedKeys[0] as string, { role: 'analyst' });
    const grpc = createInferenceGrpcClient(b.grpcTarget, { metadata: { authorization: `Bearer ${key}` } });
    const codes: number[] = [];
    let retryAfter: unknown;
    try {
      for (let i = 0; i < 5; i++) {
        try {
          await grpc.call('ModelMetadata', { name: 'add_sub_fp32' });
          codes.push(0);
        } catch (e) {
          const err = e as { code: number; metadata: { get(k: string): unknown[] } };
          codes.push(err.code);
          if (err.code === 8) {
            expect(err.metadata.get('kaleido-error-code')).toEqual(['ERR_RATE_LIMITED']);
            retryAfter = err.metadata.get('retry-after')[0];
          }
        }
      }
    } finally {
      grpc.close();
    }
    expect(codes.filter((c) => c === 8).length).toBeGreaterThanOrEqual(2);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // The bucket is shared: REST is refused for this key now too.
    expect((await call(b.httpUrl, 'GET', '/v2/models/add_sub_fp32', { key })).status).toBe(429);
  });

  it('rate limits per key with 429 and Retry-After', async () => {
    const key = generatedKeys[0] as string;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await call(b.httpUrl, 'GET', '/v1/tenants', { key });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(res.body.error.code).toBe('ERR_RATE_LIMITED');
      }
    }
    // The bucket holds 3 (one used by the API2 test above may already be gone): at least one 429.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('refuses bodies over the limit: with Content-Length, chunked, and compressed (gzip bomb)', async () => {
    const big = 'x'.repeat(MAX_ADMIN_BODY + 1);
    const res = await call(a.httpUrl, 'POST', '/v1/keys', { key: ADMIN, body: big });
    expect(res.status).toBe(413);
    const inferBig = await call(a.httpUrl, 'POST', '/v2/models/add_sub_fp32/infer', {
      key: ADMIN,
      body: 'x'.repeat(MAX_BODY + 1),
    });
    expect(inferBig.status).toBe(413);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const chunks = Array.from({ length: 20 }, () => [
      `${chunk.length.toString(16)}\r\n`,
      chunk,
      '\r\n',
    ]).flat();
    const chunked = await rawRequest(portOf(a.httpUrl), [
      'POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
        `Authorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      ...chunks,
      '0\r\n\r\n',
    ]);
    expect(chunked.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 * MAX_ADMIN_BODY, 0x20));
    expect(bomb.length).toBeLessThan(MAX_ADMIN_BODY);
    const gz = await call(a.httpUrl, 'POST', '/v2/repository/index', {
      key: ADMIN,
      body: bomb,
      headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
    });
    expect(gz.status).toBe(413);
  });

  it('refuses JSON nested deeper than server.maxJsonDepth before parsing it', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const path of [
      '/v2/models/add_sub_fp32/infer',
      '/v2/repository/index',
      '/v1/keys',
      '/api/2.0/mlflow/experiments/create',
    ]) {
      const res = await call(a.httpUrl, 'POST', path, { key: ADMIN, body: deep });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });
});

describe('API5:2023 Broken Function Level Authorization', () => {
  const roles = ['maintainer', 'operator', 'analyst', 'service'] as const;
  const can = async (role: string, method: string, path: string, body?: unknown) =>
    (await call(a.httpUrl, method, path, { key: k[role]!.key, ...(body === undefined ? {} : { body }) }))
      .status;

  it('only admins and operators load and unload models', async () => {
    const got = Object.fromEntries(
      await Promise.all(
        roles.map(
          async (r) => [r, await can(r, 'POST', '/v2/repository/models/identity_fp32/load', {})] as const,
        ),
      ),
    );
    expect(got).toEqual({ maintainer: 403, operator: 200, analyst: 403, service: 403 });
    expect(await can('service', 'POST', '/v2/repository/models/identity_fp32/unload', {})).toBe(403);
  });

  it('only admins manage keys and read the audit log', async () => {
    for (const r of roles) {
      expect(await can(r, 'POST', '/v1/keys', { name: 'x', role: 'service' })).toBe(403);
      expect(await can(r, 'GET', '/v1/keys')).toBe(403);
      expect(await can(r, 'GET', '/v1/audit')).toBe(403);
    }
  });

  it('only system administrators create or disable tenants', async () => {
    expect(
      (
        await call(a.httpUrl, 'POST', '/v1/tenants', {
          key: k.acmeAdmin!.key,
          body: { id: 'evil', name: 'e' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(a.httpUrl, 'PATCH', '/v1/tenants/acme', {
          key: k.acmeAdmin!.key,
          body: { disabled: true },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call(a.httpUrl, 'PATCH', '/v1/tenants/system', { key: ADMIN, body: { disabled: true } })).status,
    ).toBe(400);
  });

  it('registry and experiment writes follow the role table', async () => {
    const exp = (r: string) =>
      can(r, 'POST', '/api/2.0/mlflow/experiments/create', { name: `e-${r}-${Date.now()}` });
    expect(await exp('maintainer')).toBe(200);
    expect(await exp('operator')).toBe(403);
    expect(await exp('analyst')).toBe(403);
    expect(await exp('service')).toBe(403);
    const reg = (r: string) =>
      can(r, 'POST', '/api/2.0/mlflow/registered-models/create', { name: `m-${r}-${Date.now()}` });
    expect(await reg('maintainer')).toBe(200);
    expect(await reg('operator')).toBe(403);
    expect(await can('analyst', 'GET', '/api/2.0/mlflow/experiments/search')).toBe(200);
    expect(await can('service', 'GET', '/api/2.0/mlflow/experiments/search')).toBe(403);
  });

  it('administrative actions are audited with actor, outcome and status, denials included', async () => {
    await can('service', 'POST', '/v2/repository/models/identity_fp32/load', {});
    const res = await call(a.httpUrl, 'GET', '/v1/audit?limit=1000', { key: k.acmeAdmin!.key });
    const entries = res.body.entries as {
      actor: string;
      action: string;
      outcome: string;
      statusCode: number;
      resourceType: string;
    }[];
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: k.service!.id,
        action: 'operate',
        resourceType: 'model_version',
        outcome: 'denied',
        statusCode: 403,
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: k.operator!.id,
        action: 'operate',
        outcome: 'success',
        statusCode: 200,
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: k.acmeAdmin!.id, action: 'create', resourceType: 'api_key' }),
    );
  });

  it('gRPC serves no model, inference or repository call without authentication (ShadowRay-style bypass)', async () => {
    const grpc = createInferenceGrpcClient(a.grpcTarget);
    try {
      expect(await grpc.call('ServerLive', {})).toEqual({ live: true });
      for (const [method, req] of [
        ['ModelInfer', { model_name: 'add_sub_fp32', inputs: [] }],
        ['RepositoryModelLoad', { model_name: 'identity_fp32' }],
        ['RepositoryModelUnload', { model_name: 'identity_fp32' }],
        ['RepositoryIndex', {}],
        ['ModelMetadata', { name: 'add_sub_fp32' }],
      ] as const) {
        const err = await grpc.fail(method, req);
        expect({ method, code: err.code }).toEqual({ method, code: 16 }); // UNAUTHENTICATED
        expect(err.metadata.get('kaleido-error-code')).toEqual(['ERR_UNAUTHENTICATED']);
      }
      // The stream too: refused before any request is run.
      const streamed = await grpc.stream([GRPC_ADD_SUB]);
      expect(streamed.error?.code).toBe(16);
      expect(streamed.responses).toEqual([]);
    } finally {
      grpc.close();
    }
    // A wrong or revoked credential is refused the same way, in either metadata form.
    const wrong: Array<Record<string, string>> = [
      { authorization: `Bearer ${ADMIN}x` },
      { 'x-api-key': 'kal_000000000000_nope' },
    ];
    for (const metadata of wrong) {
      const bad = createInferenceGrpcClient(a.grpcTarget, { metadata });
      try {
        expect((await bad.fail('ModelMetadata', { name: 'add_sub_fp32' })).code).toBe(16);
      } finally {
        bad.close();
      }
    }
  });

  it('gRPC authorizes every call with the RBAC table of its REST twin, and audits administrative calls', async () => {
    const as = (key: string, header: 'authorization' | 'x-api-key' = 'authorization') =>
      createInferenceGrpcClient(a.grpcTarget, {
        metadata: (header === 'authorization'
          ? { authorization: `Bearer ${key}` }
          : { 'x-api-key': key }) as Record<string, string>,
      });
    const analyst = as(k.analyst!.key);
    const operator = as(k.operator!.key, 'x-api-key');
    const readOnly = as(k.readOnly!.key);
    try {
      // Analysts infer and read models (as over REST) …
      const res = await analyst.call<{ outputs: unknown[] }>('ModelInfer', GRPC_ADD_SUB);
      expect(res.outputs).toHaveLength(2);
      expect(await analyst.call('ModelMetadata', { name: 'add_sub_fp32' })).toMatchObject({
        name: 'add_sub_fp32',
      });
      const streamed = await analyst.stream([GRPC_ADD_SUB, GRPC_ADD_SUB]);
      expect(streamed.error).toBeNull();
      expect(streamed.responses.map((r) => r.error_message)).toEqual(['', '']);
      // … but may not load or unload (PERMISSION_DENIED, the catalog's code in the trailer).
      const denied = await analyst.fail('RepositoryModelUnload', { model_name: 'identity_fp32' });
      expect(denied.code).toBe(7);
      expect(denied.metadata.get('kaleido-error-code')).toEqual(['ERR_PERMISSION_DENIED']);
      // A key scoped to model:read may read but not infer, over gRPC as over REST.
      expect(await readOnly.call('ModelMetadata', { name: 'add_sub_fp32' })).toMatchObject({
        name: 'add_sub_fp32',
      });
      expect((await readOnly.fail('ModelInfer', GRPC_ADD_SUB)).code).toBe(7);
      expect((await readOnly.stream([GRPC_ADD_SUB])).error?.code).toBe(7);
      // Operators run production: load works, and is audited with the transport.
      expect(await operator.call('RepositoryModelLoad', { model_name: 'identity_fp32' })).toEqual({});
    } finally {
      analyst.close();
      operator.close();
      readOnly.close();
    }
    const audit = await call(a.httpUrl, 'GET', '/v1/audit?limit=200', { key: k.acmeAdmin!.key });
    const grpcEntries = (
      audit.body.entries as Array<{
        actor: string;
        action: string;
        outcome: string;
        details: Record<string, unknown>;
      }>
    ).filter((e) => e.details['transport'] === 'grpc');
    expect(grpcEntries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: k.operator!.id, action: 'operate', outcome: 'success' }),
        expect.objectContaining({ actor: k.analyst!.id, action: 'operate', outcome: 'denied' }),
      ]),
    );
  });
});

describe('API6:2023 Unrestricted Access to Sensitive Business Flows', () => {
  it('key creation is an admin-only, audited, rate-limited flow', async () => {
    const res = await call(a.httpUrl, 'GET', '/v1/audit?limit=1000', { key: ADMIN });
    const creations = (res.body.entries as { action: string; resourceType: string }[]).filter(
      (e) => e.action === 'create' && e.resourceType === 'api_key',
    );
    expect(creations.length).toBeGreaterThanOrEqual(2); // the two tenant admins the system admin made
  });
});

describe('API7:2023 Server Side Request Forgery (model import never fetches)', () => {
  it('the load API refuses "file:" uploads and any URL or extra parameter', async () => {
    const upload = await call(a.httpUrl, 'POST', '/v2/repository/models/evil/load', {
      key: ADMIN,
      body: { parameters: { 'file:1/model.onnx': Buffer.from('onnx').toString('base64') } },
    });
    expect(upload.status).toBeGreaterThanOrEqual(400);
    expect(upload.body.code).toBe('ERR_UNIMPLEMENTED');
    for (const parameters of [{ url: `${canary.url}/model.onnx` }, { uri: `${canary.url}/model.onnx` }]) {
      const res = await call(a.httpUrl, 'POST', '/v2/repository/models/identity_fp32/load', {
        key: ADMIN,
        body: { parameters },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ERR_VALIDATION');
    }
    // A config override naming a URL as the model file: the file name only ever comes from the
    // repository's own config, so the override is ignored and nothing is fetched.
    const viaConfig = await call(a.httpUrl, 'POST', '/v2/repository/models/identity_fp32/load', {
      key: ADMIN,
      body: {
        parameters: { config: JSON.stringify({ default_model_filename: `${canary.url}/model.onnx` }) },
      },
    });
    expect(viaConfig.status).toBeLessThan(500);
    expect(canary.hits()).toBe(0);
  });

  it('registry sources, artifact locations and analysed text are stored or read, never fetched', async () => {
    const name = `ssrf-${Date.now()}`;
    expect(
      (
        await call(a.httpUrl, 'POST', '/api/2.0/mlflow/registered-models/create', {
          key: ADMIN,
          body: { name },
        })
      ).status,
    ).toBe(200);
    for (const source of [
      `${canary.url}/weights.onnx`,
      'file:///etc/passwd',
      `${canary.url}/%2e%2e/%2e%2e/etc/passwd`,
    ]) {
      const res = await call(a.httpUrl, 'POST', '/api/2.0/mlflow/model-versions/create', {
        key: ADMIN,
        body: { name, source },
      });
      expect(res.status).toBeLessThan(500);
    }
    await call(a.httpUrl, 'POST', '/api/2.0/mlflow/experiments/create', {
      key: ADMIN,
      body: { name: `exp-${Date.now()}`, artifact_location: `${canary.url}/artifacts` },
    });
    const analyze = await call(a.httpUrl, 'POST', '/v1/analyze', {
      key: ADMIN,
      body: { text: `see ${canary.url}/image.png and ${canary.url}/x` },
    });
    expect(analyze.status).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 200));
    expect(canary.hits()).toBe(0);
  });
});

describe('API8:2023 Security Misconfiguration', () => {
  it('sends security headers on every answer, errors and open routes included', async () => {
    for (const [path, key] of [
      ['/v2/health/live', undefined],
      ['/v2', undefined],
      ['/v2', ADMIN],
      ['/v2/models/nope', ADMIN],
    ] as const) {
      const res = await call(a.httpUrl, 'GET', path, key === undefined ? {} : { key });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('strict-transport-security')).toBeNull(); // no TLS configured
    }
    const authed = await call(a.httpUrl, 'GET', '/v2/models/add_sub_fp32', { key: ADMIN });
    expect(authed.headers.get('cache-control')).toBe('no-store');
  });

  it('CORS is off by default: no cross-origin grant, preflight not answered', async () => {
    const res = await call(a.httpUrl, 'GET', '/v2', {
      key: ADMIN,
      headers: { origin: 'https://evil.example' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await call(a.httpUrl, 'OPTIONS', '/v2/models/add_sub_fp32/infer', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).not.toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a configured CORS allowlist grants exactly its origins', async () => {
    const pre = await call(b.httpUrl, 'OPTIONS', '/v2/models/add_sub_fp32/infer', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const evil = await call(b.httpUrl, 'GET', '/v2/health/live', {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('open-inference opens inference and model reads only; admin APIs still need a key', async () => {
    expect((await infer(b.httpUrl)).status).toBe(200);
    expect((await call(b.httpUrl, 'GET', '/v2/models/add_sub_fp32')).status).toBe(200);
    expect(
      (await call(b.httpUrl, 'POST', '/v2/repository/models/add_sub_fp32/unload', { body: {} })).status,
    ).toBe(401);
    expect((await call(b.httpUrl, 'GET', '/v1/keys')).status).toBe(401);
    expect((await call(b.httpUrl, 'GET', '/v1/audit')).status).toBe(401);
    expect(
      (await call(b.httpUrl, 'POST', '/api/2.0/mlflow/experiments/create', { body: { name: 'x' } })).status,
    ).toBe(401);
    // A credential, when sent, must still be valid.
    expect((await infer(b.httpUrl, `kal_ffffffffffff_${'1'.repeat(64)}`)).status).toBe(401);
  });

  it('errors do not leak internals (no stack traces, no file paths)', async () => {
    const res = await call(a.httpUrl, 'POST', '/v2/models/add_sub_fp32/infer', {
      key: ADMIN,
      body: '{"inputs": [',
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
    expect(res.text).not.toContain('/work/');
  });

  it('secure defaults: no CORS, no trusted proxy, generous but present rate limits', () => {
    const c = loadConfig();
    expect(c.cors.allowedOrigins).toEqual([]);
    expect(c.server.trustProxy).toBe('');
    expect(c.rateLimit.perPrincipal.capacity).toBeGreaterThan(0);
    expect(c.rateLimit.perIp.capacity).toBeGreaterThan(0);
  });
});

describe('API9:2023 Improper Inventory Management', () => {
  it('every registered route is open by design, declared, or mapped: none is left undeclared', () => {
    const refused = a.running.routes.filter((r) => r.access === 'refused');
    expect(refused).toEqual([]);
  });

  it('only the health probes, the web UI shell and console sign-in are open', () => {
    const open = new Set(a.running.routes.filter((r) => r.access === 'open').map((r) => r.url));
    // Sign-in checks its own credentials (throttled, same-origin only): test/security/sessions-jwt.test.ts.
    const allowed = new Set(['/v2/health/live', '/v2/health/ready', '/v1/auth/login', ...WEB_UI_OPEN_ROUTES]);
    for (const url of open) expect(allowed.has(url), url).toBe(true);
    expect(open.has('/v2/health/live')).toBe(true);
  });

  it('maps the sensitive routes to the intended permissions', () => {
    const of = (method: string, url: string) => {
      const r = a.running.routes.find((x) => x.method === method && x.url === url);
      return r && 'security' in r ? `${r.security.action}/${r.security.resource}` : r?.access;
    };
    expect(of('POST', '/v2/repository/models/:model/load')).toBe('operate/model_version');
    expect(of('POST', '/v2/repository/models/:model/unload')).toBe('operate/model_version');
    expect(of('POST', '/v2/models/:model/infer')).toBe('infer/model');
    expect(of('GET', '/metrics')).toBe('read/deployment');
    expect(of('POST', '/v1/analyze')).toBe('infer/model');
    expect(of('POST', '/v1/keys')).toBe('create/api_key');
    expect(of('DELETE', '/v1/keys/:id')).toBe('delete/api_key');
    expect(of('GET', '/v1/audit')).toBe('read/audit_log');
    expect(of('POST', '/api/2.0/mlflow/experiments/search')).toBe('read/study');
    expect(of('POST', '/api/2.0/mlflow/model-versions/delete')).toBe('delete/model_version');
    expect(of('DELETE', '/api/2.0/mlflow/registered-models/alias')).toBe('update/model');
  });
});

describe('API10:2023 Unsafe Consumption of APIs', () => {
  const reload = (config: Record<string, unknown>) =>
    call(a.httpUrl, 'POST', '/v2/repository/models/add_sub_fp32/load', {
      key: ADMIN,
      body: { parameters: { config: JSON.stringify({ name: 'add_sub_fp32', ...config }) } },
    });

  it('a model config override cannot make the server read files outside the model directory', async () => {
    for (const labels of [
      '../../../../../../etc/passwd',
      '/etc/passwd',
      '..\\..\\..\\etc\\passwd',
      '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '%252e%252e/%252e%252e/etc/passwd',
      '../identity_fp32/config.json',
    ]) {
      const res = await reload({ labels_file: labels });
      expect({ labels, status: res.status }).toEqual({ labels, status: 400 });
      expect(res.text).not.toContain('root:');
    }
  });

  it('a model file name in an override is ignored: the repository decides which file is loaded', async () => {
    for (const name of ['../identity_fp32/1/model.onnx', '/etc/passwd']) {
      const res = await reload({ default_model_filename: name });
      expect(res.status).toBeLessThan(500);
    }
    // Still the repository's add_sub model: OUTPUT0 = INPUT0 + INPUT1.
    const out = await infer(a.httpUrl, ADMIN);
    expect(out.status).toBe(200);
    const output0 = (out.body.outputs as { name: string; data: number[] }[]).find(
      (o) => o.name === 'OUTPUT0',
    );
    expect(output0?.data).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });
});

describe('kaleido keys / tenants / audit (CLI over the admin API)', () => {
  async function cli(...args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    });
    try {
      await buildCli()
        .exitOverride()
        .parseAsync(['node', 'kaleido', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('creates a key (printed once), lists it without its secret, and revokes it', async () => {
    const created = await cli(
      'keys',
      'create',
      '--url',
      a.httpUrl,
      '--api-key',
      k.acmeAdmin!.key,
      '--name',
      'cli',
      '--role',
      'service',
      '--scope',
      'model:infer',
      '--expires-in',
      '1d',
      '--json',
    );
    const { key, apiKey } = JSON.parse(created) as {
      key: string;
      apiKey: { id: string; scopes: string[]; expiresAt: number };
    };
    expect(apiKey.scopes).toEqual(['model:infer']);
    expect(apiKey.expiresAt).toBeGreaterThan(Date.now() + 86_000_000);
    expect((await infer(a.httpUrl, key)).status).toBe(200);
    const listed = await cli('keys', 'list', '--url', a.httpUrl, '--api-key', k.acmeAdmin!.key);
    expect(listed).toContain(apiKey.id);
    expect(listed).not.toContain(key.slice(17));
    // KALEIDO_API_KEY is the fallback when --api-key is absent.
    vi.stubEnv('KALEIDO_API_KEY', k.acmeAdmin!.key);
    try {
      expect(await cli('keys', 'revoke', apiKey.id, '--url', a.httpUrl)).toContain(`revoked ${apiKey.id}`);
    } finally {
      vi.unstubAllEnvs();
    }
    expect((await infer(a.httpUrl, key)).status).toBe(401);
    const audit = await cli(
      'audit',
      '--url',
      a.httpUrl,
      '--api-key',
      k.acmeAdmin!.key,
      '--json',
      '--limit',
      '5',
    );
    expect(JSON.parse(audit)[0]).toMatchObject({
      action: 'delete',
      resourceType: 'api_key',
      outcome: 'success',
    });
  });

  it('reports the server’s refusal without a key', async () => {
    await expect(cli('keys', 'list', '--url', a.httpUrl)).rejects.toThrow(/ERR_UNAUTHENTICATED/);
    await expect(cli('tenants', 'list', '--url', a.httpUrl, '--api-key', k.service!.key)).rejects.toThrow(
      /ERR_PERMISSION_DENIED/,
    );
  });
});
