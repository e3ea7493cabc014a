/**
 * Conformance suite every RegistryStore adapter must pass. One migrated database serves the whole
 * suite; each test registers its own model names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleStores } from '../../src/core/ports/lifecycle-store.js';
import type { NewModelVersion, RegistryStore } from '../../src/core/ports/registry-store.js';
import type { LifecycleStoresHarness } from './tracking-store.suite.js';

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++seq}`;

const SIGNATURE = {
  inputs: [{ name: 'input_ids', datatype: 'INT64' as const, shape: [-1, 128] }],
  outputs: [{ name: 'logits', datatype: 'FP32' as const, shape: [-1, 2] }],
};

function version(name: string, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name,
    source: `artifacts:models/${name}/model.onnx`,
    description: '',
    userId: 'ana',
    status: 'READY',
    statusMessage: '',
    metrics: {},
    tags: [],
    time: 1000,
    ...extra,
  };
}

export function registryStoreConformance(name: string, make: () => Promise<LifecycleStoresHarness>): void {
  describe(`RegistryStore conformance: ${name}`, () => {
    let h: LifecycleStoresHarness;
    let store: RegistryStore;
    const extra: LifecycleStores[] = [];

    beforeAll(async () => {
      h = await make();
      await h.stores.migrate();
      store = h.stores.registry;
    });
    afterAll(async () => {
      for (const s of extra.splice(0)) await s.close();
      await h.cleanup();
    });

    const model = async (): Promise<string> => {
      const n = unique('model');
      await store.createRegisteredModel({ name: n, description: '', tags: [], time: 500 });
      return n;
    };

    describe('tenants', () => {
      it("keeps each tenant's models, versions, aliases and history apart; names are per tenant", async () => {
        const a = store.forTenant(unique('ra').toLowerCase().slice(0, 60));
        const b = store.forTenant(unique('rb').toLowerCase().slice(0, 60));
        const n = unique('spam');
        await a.createRegisteredModel({
          name: n,
          description: 'A',
          tags: [{ key: 'k', value: 'a' }],
          time: 1,
        });
        await a.createModelVersion(version(n, { tags: [{ key: 'vt', value: 'a' }] }));
        await a.createModelVersion(version(n));
        await a.setAlias(n, 'champion', '2', 'ana', 10);
        // Nothing of A's is visible to B or to the system tenant.
        for (const other of [b, store]) {
          expect(await other.getRegisteredModel(n)).toBeUndefined();
          expect(await other.getModelVersion(n, '1')).toBeUndefined();
          expect(await other.getAlias(n, 'champion')).toBeUndefined();
          expect(await other.aliasAt(n, 'champion', 10)).toBeUndefined();
          expect(await other.aliasHistory(n, { limit: 10 })).toEqual([]);
          const models = await other.searchRegisteredModels({
            filter: [{ kind: 'attribute', key: 'name', op: '=', value: n }],
            orderBy: [],
            maxResults: 10,
            offset: 0,
          });
          expect(models.items).toEqual([]);
          const versions = await other.searchModelVersions({
            filter: [{ kind: 'tag', key: 'vt', op: '=', value: 'a' }],
            orderBy: [],
            maxResults: 10,
            offset: 0,
          });
          expect(versions.items.filter((v) => v.name === n)).toEqual([]);
        }
        for (const call of [
          () => b.updateRegisteredModel(n, { description: 'x' }, 2),
          () => b.deleteRegisteredModel(n, 'bo', 2),
          () => b.setRegisteredModelTag(n, { key: 'k', value: 'b' }, 2),
          () => b.deleteRegisteredModelTag(n, 'k', 2),
          () => b.createModelVersion(version(n)),
          () => b.updateModelVersion(n, '1', { description: 'x' }, 2),
          () => b.deleteModelVersion(n, '1', 'bo', 2),
          () => b.setModelVersionTag(n, '1', { key: 'k', value: 'b' }, 2),
          () => b.deleteModelVersionTag(n, '1', 'vt', 2),
          () => b.setAlias(n, 'champion', '1', 'bo', 2),
          () => b.deleteAlias(n, 'champion', 'bo', 2),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        }
        // B's model of the same name is separate: its own version numbers and aliases.
        await b.createRegisteredModel({ name: n, description: 'B', tags: [], time: 3 });
        expect((await b.createModelVersion(version(n))).version).toBe('1');
        await b.setAlias(n, 'champion', '1', 'bo', 20);
        expect(await a.getAlias(n, 'champion')).toBe('2');
        expect(await b.getAlias(n, 'champion')).toBe('1');
        expect((await a.getRegisteredModel(n))?.description).toBe('A');
        expect((await a.getRegisteredModel(n))?.latestVersion).toBe('2');
        expect((await b.aliasHistory(n, { limit: 10 })).map((m) => m.actor)).toEqual(['bo']);
        await b.deleteRegisteredModel(n, 'bo', 30);
        expect(await a.getModelVersion(n, '2')).toMatchObject({ name: n, version: '2' });
      });
    });

    describe('registered models', () => {
      it('creates, reads, updates and refuses duplicates', async () => {
        const n = unique('m');
        const created = await store.createRegisteredModel({
          name: n,
          description: 'spam filter',
          tags: [{ key: 'team', value: 'trust' }],
          time: 100,
        });
        expect(created).toEqual({
          name: n,
          description: 'spam filter',
          creationTime: 100,
          lastUpdatedTime: 100,
          tags: [{ key: 'team', value: 'trust' }],
          aliases: [],
        });
        await expect(
          store.createRegisteredModel({ name: n, description: '', tags: [], time: 1 }),
        ).rejects.toMatchObject({
          code: 'ERR_ALREADY_EXISTS',
        });
        const updated = await store.updateRegisteredModel(n, { description: 'v2 ✓' }, 200);
        expect(updated).toMatchObject({ description: 'v2 ✓', lastUpdatedTime: 200, creationTime: 100 });
        await store.setRegisteredModelTag(n, { key: 'owner', value: 'bo' }, 300);
        await store.deleteRegisteredModelTag(n, 'team', 400);
        expect(await store.getRegisteredModel(n)).toMatchObject({
          tags: [{ key: 'owner', value: 'bo' }],
          lastUpdatedTime: 400,
        });
        expect(await store.getRegisteredModel(unique('absent'))).toBeUndefined();
        await expect(
          store.updateRegisteredModel(unique('absent'), { description: '' }, 1),
        ).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('searches by name and tag with paging', async () => {
        const stem = unique('search');
        for (const [i, s] of ['b', 'a', 'c'].entries()) {
          await store.createRegisteredModel({
            name: `${stem}-${s}`,
            description: '',
            tags: [{ key: 'even', value: String(i % 2 === 0) }],
            time: i,
          });
        }
        const page1 = await store.searchRegisteredModels({
          filter: [{ kind: 'attribute', key: 'name', op: 'LIKE', value: `${stem}-%` }],
          orderBy: [],
          maxResults: 2,
          offset: 0,
        });
        expect(page1.items.map((m) => m.name)).toEqual([`${stem}-a`, `${stem}-b`]);
        expect(page1.nextOffset).toBe(2);
        const tagged = await store.searchRegisteredModels({
          filter: [
            { kind: 'attribute', key: 'name', op: 'LIKE', value: `${stem}-%` },
            { kind: 'tag', key: 'even', op: '=', value: 'true' },
          ],
          orderBy: [{ kind: 'attribute', key: 'name', ascending: false }],
          maxResults: 10,
          offset: 0,
        });
        expect(tagged.items.map((m) => m.name)).toEqual([`${stem}-c`, `${stem}-b`]);
      });
    });

    describe('model versions', () => {
      it('numbers versions 1, 2, 3 and round-trips every field', async () => {
        const n = await model();
        const card = { intended_use: 'spam', data: { rows: 5574, nested: [1, 'ü', null] }, ключ: '值' };
        const v1 = await store.createModelVersion(
          version(n, {
            runId: 'a'.repeat(32),
            runLink: 'http://x/run',
            description: 'first',
            signature: SIGNATURE,
            metrics: { f1: 0.93, auc: 0.987654321 },
            sha256: 'b'.repeat(64),
            modelCard: card,
            tags: [{ key: 'dataset', value: 'sms-v1' }],
          }),
        );
        expect(v1).toEqual({
          name: n,
          version: '1',
          creationTime: 1000,
          lastUpdatedTime: 1000,
          description: 'first',
          userId: 'ana',
          source: `artifacts:models/${n}/model.onnx`,
          runId: 'a'.repeat(32),
          runLink: 'http://x/run',
          status: 'READY',
          statusMessage: '',
          signature: SIGNATURE,
          metrics: { f1: 0.93, auc: 0.987654321 },
          sha256: 'b'.repeat(64),
          modelCard: card,
          tags: [{ key: 'dataset', value: 'sms-v1' }],
          aliases: [],
        });
        expect(JSON.stringify((await store.getModelVersion(n, '1'))?.modelCard)).toBe(JSON.stringify(card));
        const v2 = await store.createModelVersion(version(n));
        const v3 = await store.createModelVersion(version(n));
        expect([v2.version, v3.version]).toEqual(['2', '3']);
        expect(v2).not.toHaveProperty('signature');
        expect(v2).not.toHaveProperty('runId');
        expect((await store.getRegisteredModel(n))?.latestVersion).toBe('3');
        await expect(store.createModelVersion(version(unique('absent')))).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
        expect(await store.getModelVersion(n, '4')).toBeUndefined();
        expect(await store.getModelVersion(n, 'x')).toBeUndefined();
      });

      it('never reuses a version number, even after deleting the version or the model', async () => {
        const n = await model();
        await store.createModelVersion(version(n));
        await store.createModelVersion(version(n));
        await store.deleteModelVersion(n, '2', 'ana', 2000);
        expect((await store.createModelVersion(version(n))).version).toBe('3');
        await store.deleteRegisteredModel(n, 'ana', 3000);
        expect(await store.getRegisteredModel(n)).toBeUndefined();
        await store.createRegisteredModel({ name: n, description: '', tags: [], time: 4000 });
        expect((await store.createModelVersion(version(n))).version).toBe('4');
      });

      it('changes only description, tags and a pending status', async () => {
        const n = await model();
        await store.createModelVersion(version(n));
        const updated = await store.updateModelVersion(n, '1', { description: 'better' }, 1500);
        expect(updated).toMatchObject({ description: 'better', lastUpdatedTime: 1500, status: 'READY' });
        await expect(
          store.updateModelVersion(n, '1', { status: 'FAILED_REGISTRATION' }, 1600),
        ).rejects.toMatchObject({
          code: 'ERR_INVALID_STATE',
        });
        await store.createModelVersion(version(n, { status: 'PENDING_REGISTRATION' }));
        const ready = await store.updateModelVersion(
          n,
          '2',
          { status: 'READY', statusMessage: 'uploaded' },
          1700,
        );
        expect(ready).toMatchObject({ status: 'READY', statusMessage: 'uploaded' });
        await store.setModelVersionTag(n, '2', { key: 'k', value: 'v' }, 1800);
        expect((await store.getModelVersion(n, '2'))?.tags).toEqual([{ key: 'k', value: 'v' }]);
        await store.deleteModelVersionTag(n, '2', 'k', 1900);
        expect((await store.getModelVersion(n, '2'))?.tags).toEqual([]);
        await expect(store.updateModelVersion(n, '9', { description: 'x' }, 1)).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('searches versions by name, run id, tag and version', async () => {
        const n = await model();
        const runId = 'c'.repeat(32);
        await store.createModelVersion(version(n, { runId }));
        await store.createModelVersion(version(n, { tags: [{ key: 'stage', value: 'canary' }] }));
        await store.createModelVersion(version(n, { runId }));
        const search = async (filter: Parameters<RegistryStore['searchModelVersions']>[0]['filter']) =>
          (await store.searchModelVersions({ filter, orderBy: [], maxResults: 10, offset: 0 })).items.map(
            (v) => v.version,
          );
        const byName = { kind: 'attribute' as const, key: 'name', op: '=' as const, value: n };
        expect(await search([byName])).toEqual(['3', '2', '1']);
        expect(await search([byName, { kind: 'attribute', key: 'run_id', op: '=', value: runId }])).toEqual([
          '3',
          '1',
        ]);
        expect(await search([byName, { kind: 'tag', key: 'stage', op: '=', value: 'canary' }])).toEqual([
          '2',
        ]);
        expect(await search([byName, { kind: 'attribute', key: 'version', op: '<=', value: 2 }])).toEqual([
          '2',
          '1',
        ]);
      });
    });

    describe('aliases', () => {
      it('moves aliases, records every move, and answers which version held an alias at time T', async () => {
        const n = await model();
        for (let i = 0; i < 3; i++) await store.createModelVersion(version(n));
        const m1 = await store.setAlias(n, 'champion', '1', 'ana', 10_000);
        expect(m1).toMatchObject({ name: n, alias: 'champion', toVersion: '1', actor: 'ana', at: 10_000 });
        expect(m1).not.toHaveProperty('fromVersion');
        // Same version again: nothing moves, nothing is recorded.
        expect(await store.setAlias(n, 'champion', '1', 'bo', 10_500)).toBeUndefined();
        const m2 = await store.setAlias(n, 'champion', '2', 'bo', 20_000);
        expect(m2).toMatchObject({ fromVersion: '1', toVersion: '2', actor: 'bo', at: 20_000 });
        await store.setAlias(n, 'challenger', '3', 'bo', 20_000);
        const m3 = await store.deleteAlias(n, 'champion', 'cy', 30_000);
        expect(m3).toMatchObject({ fromVersion: '2', actor: 'cy', at: 30_000 });
        expect(m3).not.toHaveProperty('toVersion');
        expect(await store.deleteAlias(n, 'champion', 'cy', 31_000)).toBeUndefined();
        await store.setAlias(n, 'champion', '3', 'dee', 40_000);

        const at = (t: number) => store.aliasAt(n, 'champion', t);
        expect(await at(9_999)).toBeUndefined();
        expect(await at(10_000)).toBe('1');
        expect(await at(19_999)).toBe('1');
        expect(await at(20_000)).toBe('2');
        expect(await at(35_000)).toBeUndefined();
        expect(await at(40_000)).toBe('3');
        expect(await store.getAlias(n, 'champion')).toBe('3');
        expect(await store.getAlias(n, 'nope')).toBeUndefined();

        const history = await store.aliasHistory(n, { alias: 'champion', limit: 100 });
        expect(history.map((m) => [m.fromVersion ?? null, m.toVersion ?? null, m.actor])).toEqual([
          [null, '1', 'ana'],
          ['1', '2', 'bo'],
          ['2', null, 'cy'],
          [null, '3', 'dee'],
        ]);
        expect((await store.aliasHistory(n, { limit: 100 })).map((m) => m.alias)).toContain('challenger');
        const afterFirst = await store.aliasHistory(n, {
          alias: 'champion',
          afterId: history[0]?.id ?? 0,
          limit: 2,
        });
        expect(afterFirst.map((m) => m.actor)).toEqual(['bo', 'cy']);

        const model3 = await store.getModelVersion(n, '3');
        expect(model3?.aliases).toEqual(['challenger', 'champion']);
        expect((await store.getRegisteredModel(n))?.aliases).toEqual([
          { alias: 'challenger', version: '3' },
          { alias: 'champion', version: '3' },
        ]);
        await expect(store.setAlias(n, 'champion', '7', 'x', 1)).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
        await expect(store.setAlias(unique('absent'), 'champion', '1', 'x', 1)).rejects.toMatchObject({
          code: 'ERR_NOT_FOUND',
        });
      });

      it('clamps a move stamped earlier than the previous one (clock skew)', async () => {
        const n = await model();
        await store.createModelVersion(version(n));
        await store.createModelVersion(version(n));
        await store.setAlias(n, 'champion', '1', 'a', 50_000);
        const skewed = await store.setAlias(n, 'champion', '2', 'b', 49_000);
        expect(skewed?.at).toBe(50_000);
        expect(await store.aliasAt(n, 'champion', 50_000)).toBe('2');
      });

      it('removes aliases of a deleted version and keeps history after the model is deleted', async () => {
        const n = await model();
        await store.createModelVersion(version(n));
        await store.createModelVersion(version(n));
        await store.setAlias(n, 'champion', '2', 'a', 1_000);
        await store.setAlias(n, 'stable', '1', 'a', 1_000);
        await store.deleteModelVersion(n, '2', 'b', 2_000);
        expect(await store.getAlias(n, 'champion')).toBeUndefined();
        expect(await store.aliasAt(n, 'champion', 1_500)).toBe('2');
        expect(await store.aliasAt(n, 'champion', 2_000)).toBeUndefined();
        await store.deleteRegisteredModel(n, 'c', 3_000);
        expect(await store.aliasAt(n, 'stable', 2_999)).toBe('1');
        expect(await store.aliasAt(n, 'stable', 3_000)).toBeUndefined();
        const history = await store.aliasHistory(n, { limit: 10 });
        expect(history.map((m) => [m.alias, m.fromVersion ?? null, m.toVersion ?? null, m.actor])).toEqual([
          ['champion', null, '2', 'a'],
          ['stable', null, '1', 'a'],
          ['champion', '2', null, 'b'],
          ['stable', '1', null, 'c'],
        ]);
      });

      it('serialises concurrent moves from two connections: the history chains and ends in the final state', async () => {
        const n = await model();
        for (let i = 0; i < 4; i++) await store.createModelVersion(version(n));
        const other = await h.reopen();
        extra.push(other);
        const moves: Promise<unknown>[] = [];
        for (let i = 0; i < 12; i++) {
          const s = i % 2 === 0 ? store : other.registry;
          moves.push(s.setAlias(n, 'champion', String((i % 4) + 1), `writer-${i % 2}`, 100_000 + i));
        }
        await Promise.all(moves);
        const history = await store.aliasHistory(n, { alias: 'champion', limit: 100 });
        expect(history.length).toBeGreaterThan(0);
        let previous: string | undefined;
        for (const m of history) {
          // Each move starts where the previous committed move ended: no lost update.
          expect(m.fromVersion).toBe(previous);
          expect(m.toVersion).not.toBe(m.fromVersion);
          previous = m.toVersion;
        }
        expect(await store.getAlias(n, 'champion')).toBe(previous);
        expect(await other.registry.getAlias(n, 'champion')).toBe(previous);
        const times = history.map((m) => m.at);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
      });
    });
  });
}
