/**
 * Conformance suite every MetadataStore adapter must pass (SQLite, PostgreSQL, and any later one).
 * Call it from a test file with a factory that opens a fresh, empty, unmigrated database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataStore, ModelEvent, ModelVersionRecord } from '../../src/core/ports/metadata-store.js';
import { metadataMigrations, type Migration } from '../../src/adapters/store-sql/index.js';

export interface MetadataStoreHarness {
  /** A store on a fresh, empty database, not yet migrated. */
  store: MetadataStore;
  /** Closes what the harness opened and deletes the database (file, schema). */
  cleanup(): Promise<void>;
  /**
   * Opens a second store on the same database, built with `migrations` instead of the built-in
   * list (checksum, growth and concurrency tests). The suite closes it.
   */
  reopen(options?: { migrations?: readonly Migration[] }): Promise<MetadataStore>;
}

const SHA = 'a'.repeat(64);
const allIds = metadataMigrations.map((m) => m.id);

const probe = (id: string, sql: string): Migration => ({ id, sql: { sqlite: sql, postgres: sql } });

/** The built-in list with one applied script edited, as a careless change would do. */
function edited(index: number): Migration[] {
  return metadataMigrations.map((m, i) =>
    i === index
      ? { id: m.id, sql: { sqlite: `${m.sql.sqlite}\n-- edited`, postgres: `${m.sql.postgres}\n-- edited` } }
      : m,
  );
}

async function collectEvents(
  store: MetadataStore,
  q: { model?: string; limit: number },
): Promise<ModelEvent[]> {
  const all: ModelEvent[] = [];
  let afterId = 0;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.listModelEvents({ ...q, afterId });
    expect(page.length).toBeLessThanOrEqual(q.limit);
    if (page.length === 0) return all;
    all.push(...page);
    afterId = (page.at(-1) as ModelEvent).id;
  }
  throw new Error('paging did not terminate');
}

export function metadataStoreConformance(name: string, make: () => Promise<MetadataStoreHarness>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let h: MetadataStoreHarness;
    let store: MetadataStore;
    const extra: MetadataStore[] = [];

    const reopen = async (migrations?: readonly Migration[]): Promise<MetadataStore> => {
      const s = await h.reopen(migrations === undefined ? {} : { migrations });
      extra.push(s);
      return s;
    };

    beforeEach(async () => {
      h = await make();
      store = h.store;
    });

    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await h.cleanup();
    });

    describe('migrate', () => {
      it('applies every migration once, in order, then nothing', async () => {
        expect(await store.migrate()).toEqual({ applied: allIds });
        expect(await store.migrate()).toEqual({ applied: [] });
        const other = await reopen();
        expect(await other.migrate()).toEqual({ applied: [] });
      });

      it('is safe when two stores migrate the same database at once', async () => {
        const other = await reopen();
        const [a, b] = await Promise.all([store.migrate(), other.migrate()]);
        expect([...a.applied, ...b.applied].sort()).toEqual(allIds);
        await store.upsertModelVersion({ model: 'm', version: '1', state: 'READY', reason: '' });
        expect(await other.getModelVersion('m', '1')).toMatchObject({ state: 'READY' });
      });

      it('applies migrations appended later, and an older build tolerates them', async () => {
        await store.migrate();
        const grown = await reopen([
          ...metadataMigrations,
          probe('9001_growth_probe', 'CREATE TABLE growth_probe (id INTEGER PRIMARY KEY)'),
        ]);
        expect(await grown.migrate()).toEqual({ applied: ['9001_growth_probe'] });
        expect(await grown.migrate()).toEqual({ applied: [] });
        expect(await store.migrate()).toEqual({ applied: [] });
      });

      it('refuses to run, applying nothing, when an applied migration was edited', async () => {
        await store.migrate();
        const pending = probe('9001_after_edit', 'CREATE TABLE after_edit (id INTEGER PRIMARY KEY)');
        const tampered = await reopen([...edited(0), pending]);
        await expect(tampered.migrate()).rejects.toMatchObject({
          code: 'ERR_SCHEMA_MISMATCH',
          details: { migration: allIds[0] },
        });
        // Nothing was applied by the refused run: the pending migration is still pending.
        const fixed = await reopen([...metadataMigrations, pending]);
        expect(await fixed.migrate()).toEqual({ applied: ['9001_after_edit'] });
        // The store keeps working with the correct history.
        await store.upsertModelVersion({ model: 'm', version: '1', state: 'READY', reason: '' });
        expect(await store.getModelVersion('m', '1')).toBeDefined();
      });

      it('rolls a failing migration back completely', async () => {
        await store.migrate();
        const failing = await reopen([
          ...metadataMigrations,
          probe('9001_half', 'CREATE TABLE half_done (id INTEGER PRIMARY KEY); SELECT * FROM no_such_table'),
        ]);
        await expect(failing.migrate()).rejects.toBeInstanceOf(Error);
        // If half_done had survived, creating it again would fail.
        const retried = await reopen([
          ...metadataMigrations,
          probe('9001_half', 'CREATE TABLE half_done (id INTEGER PRIMARY KEY)'),
        ]);
        expect(await retried.migrate()).toEqual({ applied: ['9001_half'] });
      });

      it('rejects a malformed or unordered migration list', async () => {
        const unordered = await reopen([...metadataMigrations].reverse());
        await expect(unordered.migrate()).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
        const badId = await reopen([probe('first', 'SELECT 1')]);
        await expect(badId.migrate()).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
      });
    });

    describe('model versions', () => {
      beforeEach(async () => {
        await store.migrate();
      });

      it('gets what was upserted, optional fields included or absent', async () => {
        expect(await store.getModelVersion('resnet', '1')).toBeUndefined();
        const full: ModelVersionRecord = {
          model: 'resnet',
          version: '1',
          state: 'READY',
          reason: '',
          sha256: SHA,
          sizeBytes: 2 ** 40 + 7,
          platform: 'onnxruntime_onnx',
          updatedAt: 1_700_000_000_123,
        };
        await store.upsertModelVersion(full);
        expect(await store.getModelVersion('resnet', '1')).toStrictEqual(full);

        const bare = {
          model: 'resnet',
          version: '1',
          state: 'UNAVAILABLE',
          reason: 'unloaded',
          updatedAt: 5,
        } as const;
        await store.upsertModelVersion(bare);
        // A whole-row replace: the optional fields of the previous write are gone.
        expect(await store.getModelVersion('resnet', '1')).toStrictEqual(bare);
        expect(await store.getModelVersion('resnet', '2')).toBeUndefined();
        expect(await store.getModelVersion('Resnet', '1')).toBeUndefined();
      });

      it('stamps updatedAt from the wall clock when absent', async () => {
        const before = Date.now();
        await store.upsertModelVersion({ model: 'm', version: '1', state: 'LOADING', reason: 'loading' });
        const after = Date.now();
        const got = await store.getModelVersion('m', '1');
        expect(got?.updatedAt).toBeGreaterThanOrEqual(before);
        expect(got?.updatedAt).toBeLessThanOrEqual(after);
      });

      it('lists by model in code point order, integer versions numerically first', async () => {
        const rows: [string, string][] = [
          ['b', '10'],
          ['b', '2'],
          ['a', 'beta'],
          ['a', '10'],
          ['a', '9'],
          ['a', 'alpha'],
          ['B', '1'],
          ['ä', '1'],
          ['a', '1'],
        ];
        for (const [model, version] of rows) {
          await store.upsertModelVersion({ model, version, state: 'READY', reason: '', updatedAt: 1 });
        }
        const listed = (await store.listModelVersions()).map((r) => `${r.model}/${r.version}`);
        expect(listed).toEqual(['B/1', 'a/1', 'a/9', 'a/10', 'a/alpha', 'a/beta', 'b/2', 'b/10', 'ä/1']);
        const onlyB = (await store.listModelVersions('b')).map((r) => r.version);
        expect(onlyB).toEqual(['2', '10']);
        expect(await store.listModelVersions('nobody')).toEqual([]);
      });

      it('ends concurrent upserts of one row with exactly one of the writes (no mixed fields)', async () => {
        const states = ['LOADING', 'READY', 'UNLOADING', 'UNAVAILABLE'] as const;
        const writes = Array.from({ length: 20 }, (_, i): ModelVersionRecord => ({
          model: 'm',
          version: '1',
          state: states[i % 4] ?? 'READY',
          reason: `write ${i}`,
          sha256: String(i % 10).repeat(64),
          sizeBytes: i,
          platform: `p${i}`,
          updatedAt: 1000 + i,
        }));
        await Promise.all(writes.map((w) => store.upsertModelVersion(w)));
        const final = await store.getModelVersion('m', '1');
        expect(writes).toContainEqual(final);
        // Last write wins by commit order, not by updatedAt: an older timestamp still replaces.
        const late = { model: 'm', version: '1', state: 'READY', reason: 'late', updatedAt: 1 } as const;
        await store.upsertModelVersion(late);
        expect(await store.getModelVersion('m', '1')).toStrictEqual(late);
      });

      it('keeps every row of concurrent upserts to different keys', async () => {
        await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            store.upsertModelVersion({
              model: `m${i % 5}`,
              version: String(i),
              state: 'READY',
              reason: '',
              updatedAt: i,
            }),
          ),
        );
        const listed = await store.listModelVersions();
        expect(listed).toHaveLength(25);
        expect((await store.listModelVersions('m3')).map((r) => r.version)).toEqual([
          '3',
          '8',
          '13',
          '18',
          '23',
        ]);
      });

      it('refuses invalid records with ERR_VALIDATION', async () => {
        const ok = { model: 'm', version: '1', state: 'READY', reason: '' } as const;
        const bad: unknown[] = [
          { ...ok, model: '' },
          { ...ok, version: '' },
          { ...ok, model: 'x'.repeat(257) },
          { ...ok, model: 'a\u0000b' },
          { ...ok, state: 'BROKEN' },
          { ...ok, reason: 42 },
          { ...ok, sha256: 'ABC' },
          { ...ok, sha256: SHA.toUpperCase() },
          { ...ok, sizeBytes: -1 },
          { ...ok, sizeBytes: 1.5 },
          { ...ok, updatedAt: Number.NaN },
          { ...ok, platform: '' },
        ];
        for (const record of bad) {
          await expect(
            store.upsertModelVersion(record as ModelVersionRecord),
            JSON.stringify(record),
          ).rejects.toMatchObject({
            code: 'ERR_VALIDATION',
          });
        }
        await expect(store.getModelVersion('', '1')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        expect(await store.listModelVersions()).toEqual([]);
      });
    });

    describe('model events', () => {
      beforeEach(async () => {
        await store.migrate();
      });

      it('assigns increasing ids and lists in id order, filtered by model', async () => {
        const types = ['load-requested', 'loaded', 'load-failed', 'unloaded', 'reloaded'] as const;
        const ids: number[] = [];
        for (let i = 0; i < 10; i++) {
          ids.push(
            await store.appendModelEvent({
              model: i % 2 === 0 ? 'even' : 'odd',
              ...(i % 3 === 0 ? {} : { version: String(i) }),
              type: types[i % types.length] ?? 'loaded',
              at: 1000 + i,
              detail: { i },
            }),
          );
        }
        expect(
          ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > (ids[i - 1] as number))),
        ).toBe(true);
        const all = await store.listModelEvents({});
        expect(all.map((e) => e.id)).toEqual(ids);
        expect(all[0]).toStrictEqual({
          id: ids[0],
          model: 'even',
          type: 'load-requested',
          at: 1000,
          detail: { i: 0 },
        });
        expect(all[1]).toStrictEqual({
          id: ids[1],
          model: 'odd',
          version: '1',
          type: 'loaded',
          at: 1001,
          detail: { i: 1 },
        });
        const odd = await store.listModelEvents({ model: 'odd' });
        expect(odd.map((e) => e.detail['i'])).toEqual([1, 3, 5, 7, 9]);
        expect(await store.listModelEvents({ model: 'none' })).toEqual([]);
      });

      it('pages with afterId and limit without gaps or repeats', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 23; i++) {
          ids.push(
            await store.appendModelEvent({
              model: i % 4 === 0 ? 'a' : 'b',
              type: 'loaded',
              at: i,
              detail: { i },
            }),
          );
        }
        expect((await collectEvents(store, { limit: 5 })).map((e) => e.id)).toEqual(ids);
        expect((await collectEvents(store, { limit: 1 })).map((e) => e.id)).toEqual(ids);
        const a = await collectEvents(store, { model: 'a', limit: 2 });
        expect(a.map((e) => e.detail['i'])).toEqual([0, 4, 8, 12, 16, 20]);
        const tail = await store.listModelEvents({ afterId: ids[20] as number, limit: 10 });
        expect(tail.map((e) => e.id)).toEqual(ids.slice(21));
        expect(await store.listModelEvents({ afterId: ids[22] as number })).toEqual([]);
        expect(await store.listModelEvents({ limit: 3 })).toHaveLength(3);
      });

      it('keeps every concurrently appended event, in id order', async () => {
        const ids = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            store.appendModelEvent({ model: 'm', type: 'loaded', at: i, detail: { i } }),
          ),
        );
        expect(new Set(ids).size).toBe(30);
        const listed = await collectEvents(store, { limit: 7 });
        expect(listed.map((e) => e.id)).toEqual([...ids].sort((x, y) => x - y));
        expect(listed.map((e) => e.detail['i']).sort((x, y) => (x as number) - (y as number))).toEqual(
          Array.from({ length: 30 }, (_, i) => i),
        );
      });

      it('round-trips JSON detail exactly: unicode, nesting, key order, numbers', async () => {
        const detail = {
          zeta: 'last key first',
          text: 'Grüße, 世界, مرحبا, 🚀👩🏽‍💻, \u00e9 vs e\u0301',
          controls: 'tab\tnewline\nnul\u0000quote"backslash\\',
          lone: '\ud800 unpaired surrogate',
          nested: { a: [1, [2, [3, { deep: { deeper: { deepest: true } } }]]], empty: {}, list: [] },
          numbers: {
            int: -42,
            float: 3.141592653589793,
            tiny: 5e-324,
            huge: 1.7976931348623157e308,
            zero: 0,
          },
          flags: [true, false, null],
          '': 'empty key',
          'key with ünïcødé': 'ok',
          '10': 'integer-like key',
        };
        const id = await store.appendModelEvent({
          model: 'm',
          version: '1',
          type: 'load-failed',
          at: 1,
          detail,
        });
        const [got] = await store.listModelEvents({ afterId: id - 1, limit: 1 });
        expect(got?.detail).toStrictEqual(detail);
        expect(JSON.stringify(got?.detail)).toBe(JSON.stringify(detail));
      });

      it('refuses invalid events with ERR_VALIDATION', async () => {
        const ok = { model: 'm', type: 'loaded', at: 1, detail: {} } as const;
        const bad: unknown[] = [
          { ...ok, model: '' },
          { ...ok, version: '' },
          { ...ok, type: 'exploded' },
          { ...ok, at: -1 },
          { ...ok, at: 1.5 },
          { ...ok, detail: null },
          { ...ok, detail: [1, 2] },
          { ...ok, detail: 'text' },
          { ...ok, detail: { big: 10n } },
        ];
        for (const event of bad) {
          await expect(store.appendModelEvent(event as Omit<ModelEvent, 'id'>)).rejects.toMatchObject({
            code: 'ERR_VALIDATION',
          });
        }
        const cyclic: Record<string, unknown> = {};
        cyclic['self'] = cyclic;
        await expect(store.appendModelEvent({ ...ok, detail: cyclic })).rejects.toMatchObject({
          code: 'ERR_VALIDATION',
        });
        for (const q of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { afterId: -1 }]) {
          await expect(store.listModelEvents(q)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
        }
        expect(await store.listModelEvents({})).toEqual([]);
      });
    });

    describe('ping and close', () => {
      it('pings an open store', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        expect(['sqlite', 'postgres']).toContain(store.dialect);
      });

      it('closes idempotently; later calls reject with ERR_UNAVAILABLE', async () => {
        await store.migrate();
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
        await expect(
          store.upsertModelVersion({ model: 'm', version: '1', state: 'READY', reason: '' }),
        ).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
        await expect(store.listModelEvents({})).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
        await expect(store.migrate()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
        // The data is still there for the next store.
        const other = await reopen();
        expect(await other.migrate()).toEqual({ applied: [] });
      });
    });
  });
}
