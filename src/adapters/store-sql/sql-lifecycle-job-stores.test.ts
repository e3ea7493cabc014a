/**
 * The training-job and study stores on real databases (SQLite in a temporary file, PostgreSQL in a
 * random schema dropped afterwards; override the server with KALEIDO_TEST_PG_URL), and the
 * in-memory fakes, all through one suite: every implementation must behave the same.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyRecord, StudyStore } from '../../core/ports/study-store.js';
import type { TrainingJobRecord, TrainingJobStore } from '../../core/ports/training-jobs.js';
import { resolveTrainConfig } from '../../core/train/types.js';
import { InMemoryStudyStore } from '../../lifecycle/studies/memory-study-store.js';
import { InMemoryTrainingJobStore } from '../../lifecycle/training/memory-job-store.js';
import { PostgresClient } from '../store-postgres/index.js';
import { SqliteClient } from '../store-sqlite/index.js';
import { metadataMigrations } from './migrations.js';
import { lifecycleJobMigrations } from './migrations-lifecycle2.js';
import { runMigrations } from './migrator.js';
import type { SqlClient } from './sql-client.js';
import { SqlStudyStore } from './sql-study-store.js';
import { decodeRecordJson, encodeRecordJson, SqlTrainingJobStore } from './sql-training-job-store.js';

const PG_URL = process.env['KALEIDO_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIGRATIONS = [...metadataMigrations, ...lifecycleJobMigrations];

let tempRoot: string;
let admin: pg.Client;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'kaleido-job-stores-'));
  admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await admin.end();
  await rm(tempRoot, { recursive: true, force: true });
});

interface Stores {
  readonly jobs: TrainingJobStore;
  readonly studies: StudyStore;
  /** A second handle on the same data (another process after a restart); same object for memory. */
  readonly reopen: () => Promise<{ jobs: TrainingJobStore; studies: StudyStore }>;
}

async function sqlStores(open: () => SqlClient): Promise<Stores> {
  const client = open();
  expect((await runMigrations(client, MIGRATIONS, () => 1)).applied).toContain(
    '0200_training_jobs_and_studies',
  );
  cleanups.push(() => client.close());
  return {
    jobs: new SqlTrainingJobStore(client),
    studies: new SqlStudyStore(client),
    reopen: async () => {
      const again = open();
      cleanups.push(() => again.close());
      // Already applied: migrating again is a no-op.
      expect((await runMigrations(again, MIGRATIONS, () => 2)).applied).toEqual([]);
      return { jobs: new SqlTrainingJobStore(again), studies: new SqlStudyStore(again) };
    },
  };
}

const backends: Record<string, () => Promise<Stores>> = {
  memory: async () => {
    const jobs = new InMemoryTrainingJobStore();
    const studies = new InMemoryStudyStore();
    return { jobs, studies, reopen: async () => ({ jobs, studies }) };
  },
  sqlite: async () => {
    const dir = await mkdtemp(join(tempRoot, 'db-'));
    return sqlStores(() => new SqliteClient({ path: join(dir, 'k.db') }));
  },
  postgres: async () => {
    const schema = `kaleido_jobs_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    });
    return sqlStores(() => new PostgresClient({ connectionString: PG_URL, schema, maxConnections: 2 }));
  },
};

const job = (id: string, createdAt: number, over: Partial<TrainingJobRecord> = {}): TrainingJobRecord => ({
  id,
  state: 'queued',
  spec: { dataKey: `training/data/sha256/${'a'.repeat(64)}`, config: resolveTrainConfig({ epochs: 3 }) },
  createdAt,
  startedAt: null,
  finishedAt: null,
  attempts: 0,
  history: [],
  checkpointKey: null,
  result: null,
  error: null,
  ...over,
});

const study = (id: string, name: string, createdAt: number): StudyRecord => ({
  id,
  name,
  state: 'running',
  spec: {
    name,
    direction: 'minimize',
    metric: 'valLoss',
    sampler: { type: 'tpe', seed: 3 },
    pruner: { type: 'median' },
    nTrials: 20,
    concurrency: 2,
    searchSpace: {
      lr: { type: 'float', low: 1e-4, high: 0.1, log: true, step: null },
      model: { type: 'categorical', choices: ['logistic', 'mlp'] },
    },
    dataset: { id: 'reviews', version: 2 },
    featurizer: { type: 'hashed-bow', dimensions: 256, bigrams: false },
    training: { epochs: 4 },
    modelName: name,
    alias: 'champion',
  },
  study: {
    format: 'kaleido.study/v1',
    name,
    direction: 'minimize',
    sampler: { type: 'tpe', seed: 3 },
    pruner: { type: 'median' },
    stopped: false,
    userAttrs: {},
    systemAttrs: {},
    trials: [],
  },
  runId: null,
  result: null,
  error: null,
  createdAt,
  updatedAt: createdAt,
  finishedAt: null,
});

describe('record JSON keeps non-finite numbers', () => {
  it('round-trips NaN and ±Infinity that JSON.stringify would turn into null', () => {
    const value = { a: NaN, b: [Infinity, -Infinity, 1.5], c: { d: null, e: 'NaN' } };
    const text = encodeRecordJson(value);
    const back = decodeRecordJson<typeof value>(text);
    expect(back.a).toBeNaN();
    expect(back.b).toEqual([Infinity, -Infinity, 1.5]);
    expect(back.c).toEqual({ d: null, e: 'NaN' });
  });
});

for (const [name, make] of Object.entries(backends)) {
  describe(`training job and study stores: ${name}`, () => {
    it('keeps tenants apart: get, list and names are per tenant; old records are the system tenant’s', async () => {
      const { jobs, studies } = await make();
      await jobs.insert(job('j-sys', 1));
      await jobs.insert(job('j-acme', 2, { tenantId: 'acme' }));
      expect((await jobs.get('j-sys'))?.tenantId).toBe('system');
      expect(await jobs.get('j-acme', 'globex')).toBeUndefined();
      expect((await jobs.get('j-acme', 'acme'))?.tenantId).toBe('acme');
      expect((await jobs.list({ tenantId: 'acme' })).map((j) => j.id)).toEqual(['j-acme']);
      expect((await jobs.list({ tenantId: 'globex', states: ['queued'] })).map((j) => j.id)).toEqual([]);
      expect((await jobs.list()).map((j) => j.id)).toEqual(['j-sys', 'j-acme']);
      // The owner never changes through an update.
      const moved = await jobs.update('j-acme', { state: 'running', tenantId: 'globex' } as never, 'queued');
      expect(moved.tenantId).toBe('acme');

      await studies.insert({ ...study('s-a', 'tuning', 1), tenantId: 'acme' });
      // The same name in another tenant is another study, not a conflict.
      await studies.insert({ ...study('s-g', 'tuning', 2), tenantId: 'globex' });
      await expect(studies.insert({ ...study('s-a2', 'tuning', 3), tenantId: 'acme' })).rejects.toMatchObject(
        {
          code: 'ERR_ALREADY_EXISTS',
        },
      );
      expect((await studies.getByName('tuning', 'acme'))?.id).toBe('s-a');
      expect((await studies.getByName('tuning', 'globex'))?.id).toBe('s-g');
      expect(await studies.getByName('tuning')).toBeUndefined();
      expect(await studies.get('s-a', 'globex')).toBeUndefined();
      expect((await studies.list({ tenantId: 'globex' })).map((x) => x.id)).toEqual(['s-g']);
    });

    it('stores, compares-and-sets and lists training jobs', async () => {
      const { jobs, reopen } = await make();
      await jobs.insert(job('b', 10));
      await jobs.insert(job('a', 10));
      await jobs.insert(job('c', 5, { state: 'running' }));
      await expect(jobs.insert(job('a', 11))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });

      expect((await jobs.list()).map((j) => j.id)).toEqual(['c', 'a', 'b']);
      expect((await jobs.list({ states: ['queued'] })).map((j) => j.id)).toEqual(['a', 'b']);
      expect(await jobs.list({ states: [] })).toEqual([]);
      expect(await jobs.get('missing')).toBeUndefined();

      const metrics = { epoch: 1, trainLoss: NaN, valLoss: Infinity, valAccuracy: 0.5, valMacroF1: null };
      const moved = await jobs.update('a', { state: 'running', attempts: 1, history: [metrics] }, 'queued');
      expect(moved.state).toBe('running');
      await expect(jobs.update('a', { state: 'running' }, 'queued')).rejects.toMatchObject({
        code: 'ERR_INVALID_STATE',
      });
      await expect(jobs.update('nope', { state: 'failed' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });

      // The id, spec and creation time cannot be patched; a reopened store sees the same record.
      await jobs.update('a', { id: 'x', createdAt: 99 } as never);
      const again = await (await reopen()).jobs.get('a');
      expect(again?.id).toBe('a');
      expect(again?.createdAt).toBe(10);
      expect(again?.spec.config.epochs).toBe(3);
      expect(again?.history[0]?.trainLoss).toBeNaN();
      expect(again?.history[0]?.valLoss).toBe(Infinity);
      expect(again?.history[0]?.valMacroF1).toBeNull();
      expect((await jobs.list({ states: ['running'] })).map((j) => j.id)).toEqual(['c', 'a']);
    });

    it('stores studies with unique names, compares-and-sets their state and lists them', async () => {
      const { studies, reopen } = await make();
      await studies.insert(study('s2', 'second', 20));
      await studies.insert(study('s1', 'first', 10));
      await expect(studies.insert(study('s3', 'first', 30))).rejects.toMatchObject({
        code: 'ERR_ALREADY_EXISTS',
        details: { name: 'first' },
      });
      await expect(studies.insert(study('s1', 'third', 30))).rejects.toMatchObject({
        code: 'ERR_ALREADY_EXISTS',
      });
      expect((await studies.getByName('second'))?.id).toBe('s2');
      expect(await studies.getByName('none')).toBeUndefined();

      const done = await studies.update(
        's1',
        { state: 'completed', result: { best: 3 }, updatedAt: 40, finishedAt: 40 },
        'running',
      );
      expect(done.state).toBe('completed');
      await expect(studies.update('s1', { state: 'failed' }, 'running')).rejects.toMatchObject({
        code: 'ERR_INVALID_STATE',
      });
      await expect(studies.update('zz', { updatedAt: 1 })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });

      const other = (await reopen()).studies;
      expect((await other.list()).map((s) => s.id)).toEqual(['s1', 's2']);
      expect((await other.list({ states: ['running'] })).map((s) => s.id)).toEqual(['s2']);
      const s1 = await other.get('s1');
      expect(s1?.result).toEqual({ best: 3 });
      expect(s1?.spec.searchSpace['lr']).toEqual({
        type: 'float',
        low: 1e-4,
        high: 0.1,
        log: true,
        step: null,
      });
      expect(s1?.name).toBe('first');
    });
  });
}
