import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createSqliteLifecycleStores } from '../adapters/store-sqlite/index.js';
import type { ArtifactInfo, ArtifactStore } from '../core/ports/artifact-store.js';
import type { LifecycleStores } from '../core/ports/lifecycle-store.js';
import { RegistryService, parseModelRef, resolveVersion } from './registry.js';
import { TrackingService, runLineage } from './tracking.js';

let stores: LifecycleStores;
let clock = 1_000_000;
beforeEach(async () => {
  stores = createSqliteLifecycleStores({ path: ':memory:' });
  await stores.migrate();
});
afterEach(async () => {
  await stores.close();
});

/** An artifact store that knows one artifact (only stat is used by the registry). */
function oneArtifact(key: string, sha256: string): ArtifactStore {
  const info: ArtifactInfo = { key, size: 3, sha256, modifiedAt: 0 };
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    stat: async (k) => (k === key ? info : undefined),
    put: unused,
    get: unused,
    stream: unused,
    list: unused,
    delete: unused,
  };
}

describe('resolveVersion (model@alias for serving)', () => {
  it('resolves numbers, aliases and latest, with serving error codes', async () => {
    const registry = new RegistryService(stores.registry, { now: () => clock });
    await registry.createRegisteredModel({ name: 'spam' });
    await registry.createModelVersion({ name: 'spam', source: 's1' });
    await registry.createModelVersion({ name: 'spam', source: 's2' });
    await registry.createModelVersion({ name: 'spam', source: 's3', status: 'PENDING_REGISTRATION' });
    await registry.setAlias('spam', 'champion', '1', 'ana');
    expect(await resolveVersion(stores.registry, 'spam', 'champion')).toBe('1');
    expect(await resolveVersion(stores.registry, 'spam', '2')).toBe('2');
    // latest skips the version whose registration is still pending.
    expect(await registry.resolveVersion('spam', 'latest')).toBe('2');
    await expect(resolveVersion(stores.registry, 'spam', '9')).rejects.toMatchObject({
      code: 'ERR_VERSION_NOT_FOUND',
    });
    await expect(resolveVersion(stores.registry, 'spam', 'challenger')).rejects.toMatchObject({
      code: 'ERR_VERSION_NOT_FOUND',
    });
    await expect(resolveVersion(stores.registry, 'ham', 'champion')).rejects.toMatchObject({
      code: 'ERR_MODEL_NOT_FOUND',
    });
    await expect(resolveVersion(stores.registry, 'ham', '1')).rejects.toMatchObject({
      code: 'ERR_MODEL_NOT_FOUND',
    });
    await expect(resolveVersion(stores.registry, 'spam', 'bad alias!')).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });

  it('parses model references', () => {
    expect(parseModelRef('spam@champion')).toEqual({ model: 'spam', versionOrAlias: 'champion' });
    expect(parseModelRef('spam/3')).toEqual({ model: 'spam', versionOrAlias: '3' });
    expect(parseModelRef('spam')).toEqual({ model: 'spam', versionOrAlias: 'latest' });
    expect(() => parseModelRef('spam@')).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(() => parseModelRef('spam/x')).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
  });
});

describe('RegistryService', () => {
  it('takes the sha256 from the artifact store and refuses a mismatch', async () => {
    const sha = 'c'.repeat(64);
    const registry = new RegistryService(stores.registry, {
      artifacts: oneArtifact('models/spam/1/model.onnx', sha),
    });
    await registry.createRegisteredModel({ name: 'spam' });
    const v = await registry.createModelVersion({
      name: 'spam',
      source: 'artifacts:models/spam/1/model.onnx',
    });
    expect(v.sha256).toBe(sha);
    await expect(
      registry.createModelVersion({
        name: 'spam',
        source: 'artifacts:models/spam/1/model.onnx',
        sha256: 'd'.repeat(64),
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'sha256' } });
    await expect(
      registry.createModelVersion({ name: 'spam', source: 'artifacts:models/none' }),
    ).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });

  it("lets a tenant register only its own experiments' artifacts, answering others like missing ones", async () => {
    const sha = 'e'.repeat(64);
    const tracking = new TrackingService(stores.tracking);
    const mine = await tracking.forTenant('acme').createExperiment({ name: 'mine' });
    const theirs = await tracking.forTenant('globex').createExperiment({ name: 'theirs' });
    const known = new Set([
      `experiments/${mine.experimentId}/r1/artifacts/model.onnx`,
      `experiments/${theirs.experimentId}/r2/artifacts/model.onnx`,
      'datasets/blobs/ab/model.onnx',
    ]);
    const artifacts: ArtifactStore = {
      ...oneArtifact('-', sha),
      stat: async (k) => (known.has(k) ? { key: k, size: 3, sha256: sha, modifiedAt: 0 } : undefined),
    };
    const system = new RegistryService(stores.registry, { artifacts, tracking: stores.tracking });
    const acme = system.forTenant('acme');
    await acme.createRegisteredModel({ name: 'spam' });
    const own = await acme.createModelVersion({
      name: 'spam',
      source: `artifacts:experiments/${mine.experimentId}/r1/artifacts/model.onnx`,
    });
    expect(own.sha256).toBe(sha);
    for (const key of [
      `experiments/${theirs.experimentId}/r2/artifacts/model.onnx`,
      'datasets/blobs/ab/model.onnx',
      `experiments/${mine.experimentId}/../${theirs.experimentId}/r2/artifacts/model.onnx`,
      `experiments/${mine.experimentId}/r1/artifacts/absent.onnx`,
    ]) {
      await expect(
        acme.createModelVersion({ name: 'spam', source: `artifacts:${key}` }),
      ).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
        message: `artifact ${key} does not exist`,
      });
    }
    // The operator's (system) view registers any stored artifact.
    await system.createRegisteredModel({ name: 'ops' });
    expect(
      (await system.createModelVersion({ name: 'ops', source: 'artifacts:datasets/blobs/ab/model.onnx' }))
        .sha256,
    ).toBe(sha);
  });

  it('validates names, aliases, signatures, metrics and model cards', async () => {
    const registry = new RegistryService(stores.registry);
    for (const name of ['', 'a@b', 'a/b', ' pad', 'x'.repeat(257), 7]) {
      await expect(registry.createRegisteredModel({ name })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
    }
    await registry.createRegisteredModel({ name: 'm' });
    const bad = [
      { signature: { inputs: [{ name: 'a', datatype: 'FP32', shape: [-2] }] } },
      {
        signature: {
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1] },
            { name: 'a', datatype: 'FP32', shape: [1] },
          ],
        },
      },
      { metrics: { f1: Number.NaN } },
      { metrics: [1] },
      { modelCard: 'text' },
      { sha256: 'ABC' },
      { status: 'READY_ISH' },
      { runId: 'not-hex' },
    ];
    for (const extra of bad) {
      await expect(registry.createModelVersion({ name: 'm', source: 's', ...extra })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
    }
    await registry.createModelVersion({ name: 'm', source: 's' });
    for (const alias of ['latest', 'V2', '1abc', 'a b', '']) {
      await expect(registry.setAlias('m', alias, '1')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    }
    expect(await registry.setAlias('m', 'champion', 1)).toMatchObject({ actor: 'anonymous', toVersion: '1' });
    await expect(registry.deleteAlias('m', 'challenger')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('pages the alias history with a cursor token', async () => {
    const registry = new RegistryService(stores.registry, { now: () => ++clock });
    await registry.createRegisteredModel({ name: 'm' });
    await registry.createModelVersion({ name: 'm', source: 's' });
    await registry.createModelVersion({ name: 'm', source: 's' });
    for (let i = 0; i < 5; i++) await registry.setAlias('m', 'champion', String((i % 2) + 1), `u${i}`);
    const first = await registry.aliasHistory('m', { maxResults: 2 });
    expect(first.moves.map((m) => m.actor)).toEqual(['u0', 'u1']);
    const second = await registry.aliasHistory('m', { maxResults: 10, pageToken: first.nextPageToken });
    expect(second.moves.map((m) => m.actor)).toEqual(['u2', 'u3', 'u4']);
    expect(second.nextPageToken).toBeUndefined();
    await expect(registry.aliasHistory('never-registered')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await registry.createRegisteredModel({ name: 'quiet' });
    expect(await registry.aliasHistory('quiet')).toEqual({ moves: [] });
    const at = first.moves[1]?.at ?? 0;
    expect(await registry.aliasAt('m', 'champion', at)).toBe('2');
    expect((await registry.getModelVersionByAlias('m', 'champion', at)).version).toBe('2');
  });
});

describe('TrackingService', () => {
  it('records lineage as tags and checks the parent run', async () => {
    const ids = ['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)];
    const tracking = new TrackingService(stores.tracking, {
      now: () => 5,
      newRunId: () => ids.shift() as string,
    });
    const parent = await tracking.createRun({ runName: 'study-trial-0' });
    expect(parent.info).toMatchObject({
      experimentId: '0',
      runName: 'study-trial-0',
      startTime: 5,
      status: 'RUNNING',
    });
    const child = await tracking.createRun({
      lineage: {
        datasetVersion: 'sms@3',
        codeVersion: 'git:abc',
        parentStudy: 'study-7',
        parentRunId: parent.info.runId,
      },
    });
    expect(runLineage(child)).toEqual({
      datasetVersion: 'sms@3',
      codeVersion: 'git:abc',
      parentStudy: 'study-7',
      parentRunId: parent.info.runId,
    });
    expect(child.info.runName).toBe(`run-${'2'.repeat(8)}`);
    await expect(tracking.createRun({ lineage: { parentRunId: '9'.repeat(32) } })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });

  it('validates batches before touching the store', async () => {
    const tracking = new TrackingService(stores.tracking);
    const run = await tracking.createRun({});
    const id = run.info.runId;
    await expect(
      tracking.logBatch(id, { metrics: Array.from({ length: 1001 }, () => ({ key: 'a', value: 1 })) }),
    ).rejects.toMatchObject({
      details: { field: 'metrics' },
    });
    await expect(
      tracking.logBatch(id, {
        params: [
          { key: 'p', value: '1' },
          { key: 'p', value: '2' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
    await expect(tracking.logParam(id, 'p', 'x'.repeat(6001))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(tracking.logMetric(id, { key: 'm', value: 1, step: 1.5 })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(tracking.logMetric(id, { key: 'm', value: 1, timestamp: -1 })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(tracking.getRun('XYZ')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(tracking.deleteExperiment('0')).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(tracking.searchRuns({ experimentIds: [] })).rejects.toMatchObject({
      details: { field: 'experiment_ids' },
    });
    await tracking.logParam(id, 'p', 3);
    expect((await tracking.getRun(id)).data.params).toEqual([{ key: 'p', value: '3' }]);
  });
});
