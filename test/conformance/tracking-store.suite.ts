/**
 * Conformance suite every TrackingStore adapter must pass. One migrated database serves the whole
 * suite (each test uses its own experiment names and run ids), which keeps the PostgreSQL run short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleStores } from '../../src/core/ports/lifecycle-store.js';
import type { Experiment, Run, TrackingStore } from '../../src/core/ports/tracking-store.js';

export interface LifecycleStoresHarness {
  /** Stores on a fresh, empty database, not yet migrated. */
  stores: LifecycleStores;
  /** A second, independent connection to the same database (the suite closes it). */
  reopen(): Promise<LifecycleStores>;
  cleanup(): Promise<void>;
}

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++seq}`;
const hex = (n: number): string => n.toString(16).padStart(32, '0');
let runSeq = 0x1000;
const newRunId = (): string => hex(++runSeq + Math.floor(Math.random() * 1e9) * 0x10000);

export function trackingStoreConformance(name: string, make: () => Promise<LifecycleStoresHarness>): void {
  describe(`TrackingStore conformance: ${name}`, () => {
    let h: LifecycleStoresHarness;
    let store: TrackingStore;

    beforeAll(async () => {
      h = await make();
      await h.stores.migrate();
      store = h.stores.tracking;
    });
    afterAll(async () => {
      await h.cleanup();
    });

    const experiment = (tags: { key: string; value: string }[] = [], time = 1000): Promise<Experiment> =>
      store.createExperiment({ name: unique('exp'), artifactLocation: (id) => `mem:/e/${id}`, tags, time });

    const run = async (
      e: Experiment,
      extra: Partial<{ startTime: number; runName: string }> = {},
    ): Promise<Run> => {
      const runId = newRunId();
      return store.createRun({
        runId,
        experimentId: e.experimentId,
        runName: extra.runName ?? `r-${runId.slice(-6)}`,
        userId: 'ana',
        status: 'RUNNING',
        startTime: extra.startTime ?? 5000,
        artifactUri: `${e.artifactLocation}/${runId}/artifacts`,
        tags: [{ key: 'mlflow.user', value: 'ana' }],
      });
    };

    describe('tenants', () => {
      it("keeps each tenant's experiments and runs apart; names are unique per tenant", async () => {
        const a = store.forTenant(unique('ta').toLowerCase().slice(0, 60));
        const b = store.forTenant(unique('tb').toLowerCase().slice(0, 60));
        expect(store.tenantId).toBe('system');
        const name = unique('shared');
        const ea = await a.createExperiment({ name, artifactLocation: 'mem:/a', tags: [], time: 1 });
        // The same name in another tenant is another experiment, not a conflict.
        const eb = await b.createExperiment({ name, artifactLocation: 'mem:/b', tags: [], time: 1 });
        expect(eb.experimentId).not.toBe(ea.experimentId);
        await expect(
          a.createExperiment({ name, artifactLocation: 'x', tags: [], time: 1 }),
        ).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
        });
        // Another tenant's experiment reads, renames, deletes and tags like a missing one.
        expect(await b.getExperiment(ea.experimentId)).toBeUndefined();
        expect((await b.getExperimentByName(name))?.experimentId).toBe(eb.experimentId);
        expect(await store.getExperiment(ea.experimentId)).toBeUndefined();
        for (const call of [
          () => b.renameExperiment(ea.experimentId, unique('x'), 2),
          () => b.setExperimentStage(ea.experimentId, 'deleted', 2),
          () => b.setExperimentTag(ea.experimentId, { key: 'k', value: 'v' }, 2),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        }
        const search = await b.searchExperiments({
          viewType: 'ALL',
          filter: [],
          orderBy: [],
          maxResults: 1000,
          offset: 0,
        });
        expect(search.items.map((e) => e.experimentId)).toContain(eb.experimentId);
        expect(search.items.map((e) => e.experimentId)).not.toContain(ea.experimentId);

        const runId = newRunId();
        await a.createRun({
          runId,
          experimentId: ea.experimentId,
          runName: 'r',
          userId: 'ana',
          status: 'RUNNING',
          startTime: 1,
          artifactUri: 'mem:/a/r',
          tags: [],
        });
        await expect(
          b.createRun({
            ...{ runId: newRunId(), runName: 'r', userId: 'x', status: 'RUNNING', startTime: 1 },
            experimentId: ea.experimentId,
            artifactUri: 'x',
            tags: [],
          }),
        ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        expect(await b.getRun(runId)).toBeUndefined();
        for (const call of [
          () => b.updateRun(runId, { status: 'FINISHED' }),
          () => b.setRunStage(runId, 'deleted'),
          () => b.logBatch(runId, { metrics: [], params: [{ key: 'p', value: '1' }], tags: [] }),
          () => b.deleteRunTag(runId, 'mlflow.user'),
          () => b.getMetricHistory(runId, 'loss', { maxResults: 10, offset: 0 }),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        }
        const runs = await b.searchRuns({
          experimentIds: [ea.experimentId, eb.experimentId],
          viewType: 'ALL',
          filter: [],
          orderBy: [],
          maxResults: 100,
          offset: 0,
        });
        expect(runs.items).toEqual([]);
        expect((await a.getRun(runId))?.info.experimentId).toBe(ea.experimentId);
      });

      it("gives every tenant its own Default experiment; id 0 stays the system tenant's", async () => {
        // (The system tenant's Default, id 0, is covered under 'experiments' below.)
        const t = store.forTenant(unique('td').toLowerCase().slice(0, 60));
        const own = await t.ensureDefaultExperiment('mem:/experiments/0', 1);
        expect(own.name).toBe('Default');
        expect(own.experimentId).not.toBe('0');
        expect(own.artifactLocation).toBe(`mem:/experiments/${own.experimentId}`);
        expect((await t.ensureDefaultExperiment('mem:/experiments/0', 2)).experimentId).toBe(
          own.experimentId,
        );
        expect(await t.getExperiment('0')).toBeUndefined();
      });
    });

    describe('experiments', () => {
      it('creates, reads back by id and name, and assigns increasing ids', async () => {
        const a = await experiment([
          { key: 'team', value: 'vision' },
          { key: 'älpha', value: '✓ "q" \n' },
        ]);
        const b = await experiment();
        expect(Number(b.experimentId)).toBeGreaterThan(Number(a.experimentId));
        expect(a.artifactLocation).toBe(`mem:/e/${a.experimentId}`);
        expect(a).toMatchObject({ lifecycleStage: 'active', creationTime: 1000, lastUpdateTime: 1000 });
        expect(a.tags).toEqual([
          { key: 'team', value: 'vision' },
          { key: 'älpha', value: '✓ "q" \n' },
        ]);
        expect(await store.getExperiment(a.experimentId)).toEqual(a);
        expect(await store.getExperimentByName(a.name)).toEqual(a);
        expect(await store.getExperiment('999999999')).toBeUndefined();
        expect(await store.getExperiment('not-a-number')).toBeUndefined();
      });

      it('refuses a taken name, also on rename', async () => {
        const a = await experiment();
        const b = await experiment();
        await expect(
          store.createExperiment({ name: a.name, artifactLocation: 'x', tags: [], time: 1 }),
        ).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
        await expect(store.renameExperiment(b.experimentId, a.name, 2000)).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
        });
        const newName = unique('renamed');
        await store.renameExperiment(b.experimentId, newName, 2000);
        expect(await store.getExperiment(b.experimentId)).toMatchObject({
          name: newName,
          lastUpdateTime: 2000,
        });
        await expect(store.renameExperiment('99999999', unique('x'), 1)).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('creates the Default experiment with id 0 once', async () => {
        const d1 = await store.ensureDefaultExperiment('mem:/e/0', 10);
        const d2 = await store.ensureDefaultExperiment('mem:/other', 20);
        expect(d1).toMatchObject({
          experimentId: '0',
          name: 'Default',
          artifactLocation: 'mem:/e/0',
          creationTime: 10,
        });
        expect(d2).toEqual(d1);
      });

      it('soft-deletes and restores with its runs, and searches by view type', async () => {
        const e = await experiment();
        const r = await run(e);
        await store.setExperimentStage(e.experimentId, 'deleted', 3000);
        expect(await store.getExperiment(e.experimentId)).toMatchObject({
          lifecycleStage: 'deleted',
          lastUpdateTime: 3000,
        });
        expect((await store.getRun(r.info.runId))?.info.lifecycleStage).toBe('deleted');
        const filter = [{ kind: 'attribute' as const, key: 'name', op: '=' as const, value: e.name }];
        const q = { filter, orderBy: [], maxResults: 10, offset: 0 };
        expect((await store.searchExperiments({ ...q, viewType: 'ACTIVE_ONLY' })).items).toEqual([]);
        expect(
          (await store.searchExperiments({ ...q, viewType: 'DELETED_ONLY' })).items.map((x) => x.name),
        ).toEqual([e.name]);
        await expect(run(e)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
        await store.setExperimentStage(e.experimentId, 'active', 4000);
        expect((await store.getRun(r.info.runId))?.info.lifecycleStage).toBe('active');
        expect((await store.searchExperiments({ ...q, viewType: 'ALL' })).items).toHaveLength(1);
      });

      it('searches by name patterns (LIKE case-sensitive, ILIKE not) and tags, pages without repeats', async () => {
        const stem = unique('Pat');
        const names = ['a_1', 'A_2', 'b*3', 'b%4', 'c_5'].map((s) => `${stem}-${s}`);
        for (const [i, n] of names.entries()) {
          await store.createExperiment({
            name: n,
            artifactLocation: 'x',
            tags: [{ key: 'i', value: String(i % 2) }],
            time: 100 + i,
          });
        }
        const search = async (filter: Parameters<TrackingStore['searchExperiments']>[0]['filter']) =>
          (
            await store.searchExperiments({
              viewType: 'ALL',
              filter,
              orderBy: [{ kind: 'attribute', key: 'name', ascending: true }],
              maxResults: 100,
              offset: 0,
            })
          ).items.map((e) => e.name);
        const byName = (op: 'LIKE' | 'ILIKE', value: string) =>
          search([{ kind: 'attribute', key: 'name', op, value }]);
        expect(await byName('LIKE', `${stem}-a%`)).toEqual([names[0]]);
        expect(await byName('ILIKE', `${stem.toLowerCase()}-a%`)).toEqual([names[1], names[0]]);
        // "*" and "[" are ordinary characters in LIKE; "_" matches exactly one character.
        expect(await byName('LIKE', `${stem}-b*%`)).toEqual([names[2]]);
        expect(await byName('LIKE', `${stem}-_\\_%`)).toEqual([]);
        expect(await byName('LIKE', `${stem}-c_5`)).toEqual([names[4]]);
        expect(
          await search([
            { kind: 'attribute', key: 'name', op: 'LIKE', value: `${stem}%` },
            { kind: 'tag', key: 'i', op: '=', value: '1' },
          ]),
        ).toEqual([names[1], names[3]]);
        const seen: string[] = [];
        let offset: number | undefined = 0;
        let pages = 0;
        while (offset !== undefined) {
          const page = await store.searchExperiments({
            viewType: 'ALL',
            filter: [{ kind: 'attribute', key: 'name', op: 'LIKE', value: `${stem}%` }],
            orderBy: [{ kind: 'attribute', key: 'creation_time', ascending: false }],
            maxResults: 2,
            offset,
          });
          seen.push(...page.items.map((e) => e.name));
          offset = page.nextOffset;
          pages++;
        }
        expect(pages).toBe(3);
        expect(seen).toEqual([...names].reverse());
      });
    });

    describe('runs', () => {
      it('creates runs only in existing, active experiments and refuses duplicate ids', async () => {
        const e = await experiment();
        const r = await run(e, { startTime: 7000, runName: 'first' });
        expect(r.info).toEqual({
          runId: r.info.runId,
          experimentId: e.experimentId,
          runName: 'first',
          userId: 'ana',
          status: 'RUNNING',
          startTime: 7000,
          lifecycleStage: 'active',
          artifactUri: `${e.artifactLocation}/${r.info.runId}/artifacts`,
        });
        expect(r.data).toEqual({ metrics: [], params: [], tags: [{ key: 'mlflow.user', value: 'ana' }] });
        expect(await store.getRun(r.info.runId)).toEqual(r);
        const again = { ...r.info, tags: [], runId: r.info.runId };
        await expect(store.createRun({ ...again, artifactUri: 'x' })).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
        });
        await expect(
          store.createRun({ ...again, runId: newRunId(), experimentId: '987654321', artifactUri: 'x' }),
        ).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('updates status, end time and name', async () => {
        const r = await run(await experiment());
        const info = await store.updateRun(r.info.runId, {
          status: 'FINISHED',
          endTime: 9000,
          runName: 'renamed',
        });
        expect(info).toMatchObject({ status: 'FINISHED', endTime: 9000, runName: 'renamed' });
        const back = await store.getRun(r.info.runId);
        expect(back?.info).toEqual(info);
        expect(back?.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });
        await expect(store.updateRun(newRunId(), { status: 'FAILED' })).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('keeps params immutable and batches atomic', async () => {
        const r = await run(await experiment());
        const id = r.info.runId;
        await store.logBatch(id, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] });
        await store.logBatch(id, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] });
        await expect(
          store.logBatch(id, {
            metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
            params: [{ key: 'lr', value: '0.2' }],
            tags: [{ key: 't', value: 'v' }],
          }),
        ).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
          details: { reason: 'param-already-logged', loggedValue: '0.1' },
        });
        const back = await store.getRun(id);
        expect(back?.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
        // Nothing of the failed batch was kept.
        expect(back?.data.metrics).toEqual([]);
        expect(back?.data.tags.map((t) => t.key)).toEqual(['mlflow.user']);
        await expect(
          store.logBatch(newRunId(), { metrics: [], params: [], tags: [{ key: 'a', value: 'b' }] }),
        ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      });

      it('keeps the full metric history and the latest value by step, then timestamp', async () => {
        const r = await run(await experiment());
        const id = r.info.runId;
        const points = [
          { key: 'loss', value: 0.9, timestamp: 10, step: 0 },
          { key: 'loss', value: 0.5, timestamp: 30, step: 2 },
          { key: 'loss', value: 0.7, timestamp: 20, step: 1 },
          // Late arrival for an older step: history grows, the latest value does not change.
          { key: 'loss', value: 0.65, timestamp: 40, step: 1 },
          { key: 'acc', value: 0.25, timestamp: 10, step: 3 },
          { key: 'acc', value: 0.75, timestamp: 11, step: 3 },
        ];
        await store.logBatch(id, { metrics: points.slice(0, 3), params: [], tags: [] });
        await store.logBatch(id, { metrics: points.slice(3), params: [], tags: [] });
        const history = await store.getMetricHistory(id, 'loss', { maxResults: 10, offset: 0 });
        expect(history.items.map((m) => [m.step, m.value])).toEqual([
          [0, 0.9],
          [1, 0.7],
          [1, 0.65],
          [2, 0.5],
        ]);
        expect(history.nextOffset).toBeUndefined();
        const page1 = await store.getMetricHistory(id, 'loss', { maxResults: 3, offset: 0 });
        expect(page1.nextOffset).toBe(3);
        expect((await store.getMetricHistory(id, 'loss', { maxResults: 3, offset: 3 })).items).toHaveLength(
          1,
        );
        expect((await store.getRun(id))?.data.metrics).toEqual([
          { key: 'acc', value: 0.75, timestamp: 11, step: 3 },
          { key: 'loss', value: 0.5, timestamp: 30, step: 2 },
        ]);
        await expect(
          store.getMetricHistory(newRunId(), 'loss', { maxResults: 1, offset: 0 }),
        ).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('refuses changes to a deleted run until it is restored', async () => {
        const r = await run(await experiment());
        await store.setRunStage(r.info.runId, 'deleted');
        await expect(
          store.logBatch(r.info.runId, { metrics: [], params: [], tags: [{ key: 'a', value: 'b' }] }),
        ).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
        await store.setRunStage(r.info.runId, 'active');
        await store.logBatch(r.info.runId, { metrics: [], params: [], tags: [{ key: 'a', value: 'b' }] });
        await store.deleteRunTag(r.info.runId, 'a');
        await expect(store.deleteRunTag(r.info.runId, 'a')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      });

      it('searches runs by metrics, params, tags and attributes, ordered with missing values last', async () => {
        const e = await experiment();
        const other = await experiment();
        const specs = [
          { acc: 0.9, lr: '0.1', team: 'a', status: 'FINISHED' as const },
          { acc: 0.4, lr: '0.1', team: 'b', status: 'FINISHED' as const },
          { acc: 0.7, lr: '0.01', team: 'a', status: 'FAILED' as const },
          { acc: undefined, lr: '0.1', team: 'a', status: 'RUNNING' as const },
        ];
        const ids: string[] = [];
        for (const [i, s] of specs.entries()) {
          const r = await run(e, { startTime: 100 + i });
          ids.push(r.info.runId);
          await store.logBatch(r.info.runId, {
            metrics: s.acc === undefined ? [] : [{ key: 'acc', value: s.acc, timestamp: 1, step: 0 }],
            params: [{ key: 'lr', value: s.lr }],
            tags: [{ key: 'team', value: s.team }],
          });
          if (s.status !== 'RUNNING') await store.updateRun(r.info.runId, { status: s.status, endTime: 200 });
        }
        await run(other); // never matches: another experiment
        const search = async (
          filter: Parameters<TrackingStore['searchRuns']>[0]['filter'],
          orderBy: Parameters<TrackingStore['searchRuns']>[0]['orderBy'] = [],
        ) =>
          (
            await store.searchRuns({
              experimentIds: [e.experimentId],
              viewType: 'ACTIVE_ONLY',
              filter,
              orderBy,
              maxResults: 50,
              offset: 0,
            })
          ).items.map((r) => ids.indexOf(r.info.runId));
        // Default order: newest start first.
        expect(await search([])).toEqual([3, 2, 1, 0]);
        expect(await search([{ kind: 'metric', key: 'acc', op: '>', value: 0.5 }])).toEqual([2, 0]);
        expect(
          await search([
            { kind: 'metric', key: 'acc', op: '>=', value: 0.4 },
            { kind: 'param', key: 'lr', op: '=', value: '0.1' },
          ]),
        ).toEqual([1, 0]);
        expect(await search([{ kind: 'tag', key: 'team', op: '!=', value: 'a' }])).toEqual([1]);
        expect(await search([{ kind: 'attribute', key: 'status', op: '=', value: 'FINISHED' }])).toEqual([
          1, 0,
        ]);
        expect(await search([{ kind: 'attribute', key: 'start_time', op: '<', value: 102 }])).toEqual([1, 0]);
        expect(await search([], [{ kind: 'metric', key: 'acc', ascending: false }])).toEqual([0, 2, 1, 3]);
        expect(await search([], [{ kind: 'metric', key: 'acc', ascending: true }])).toEqual([1, 2, 0, 3]);
        expect(
          await search(
            [],
            [
              { kind: 'param', key: 'lr', ascending: true },
              { kind: 'attribute', key: 'start_time', ascending: true },
            ],
          ),
        ).toEqual([2, 0, 1, 3]);
        const first = await store.searchRuns({
          experimentIds: [e.experimentId, other.experimentId],
          viewType: 'ALL',
          filter: [],
          orderBy: [],
          maxResults: 3,
          offset: 0,
        });
        expect(first.items).toHaveLength(3);
        expect(first.nextOffset).toBe(3);
        await expect(
          search([{ kind: 'attribute', key: 'lifecycle_stage; DROP TABLE runs', op: '=', value: 'x' }]),
        ).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
      });
    });
  });
}
