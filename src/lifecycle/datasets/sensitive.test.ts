/** Sensitive attributes declared at registration: validated, recorded in the schema, never default features. */
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { ArtifactDatasetStore } from './store.js';
import { MemoryArtifactStore } from './testkit.js';
import { MAX_SENSITIVE_GROUPS } from './schema.js';

const jsonl = (rows: unknown[]): Uint8Array =>
  new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n'));

const rows = [
  { x: 1, age: 30, sex: 'f', label: 'yes' },
  { x: 2, age: 40, sex: 'm', label: 'no' },
  { x: 3, age: 50, sex: '', label: 'yes' },
  { x: 4, age: 60, sex: 'f', label: 'no' },
];

describe('data sets with sensitive attributes', () => {
  it('records them in the schema and keeps them out of the default features', async () => {
    const store = new ArtifactDatasetStore({ artifacts: new MemoryArtifactStore() });
    const v = await store.register({
      name: 'people',
      source: { format: 'jsonl', content: jsonl(rows) },
      sensitiveAttributes: ['sex', 'age'],
    });
    expect(v.schema.sensitiveAttributes).toEqual(['sex', 'age']);
    // age is numeric, yet not a default feature because it is sensitive.
    expect(v.schema.featureFields).toEqual(['x']);
    expect(v.rowCount).toBe(4); // an empty value is allowed (left out of fairness slices)
    expect((await store.rows('people', 1)).map((r) => r.fields['sex'])).toEqual(['f', 'm', '', 'f']);
    // Naming it as a feature trains on it anyway.
    const w = await store.register({
      name: 'people2',
      source: { format: 'jsonl', content: jsonl(rows) },
      sensitiveAttributes: ['age'],
      featureFields: ['x', 'age'],
    });
    expect(w.schema.featureFields).toEqual(['x', 'age']);
    // Without a declaration the schema has no such key (versions from before compare equal).
    const plain = await store.register({ name: 'plain', source: { format: 'jsonl', content: jsonl(rows) } });
    expect('sensitiveAttributes' in plain.schema).toBe(false);
  });

  it('refuses unknown columns, the label, non-scalar values and too many groups', async () => {
    const store = new ArtifactDatasetStore({ artifacts: new MemoryArtifactStore() });
    const reg = (sensitiveAttributes: unknown, data: unknown[] = rows) =>
      store.register({
        name: 'bad',
        source: { format: 'jsonl', content: jsonl(data) },
        sensitiveAttributes: sensitiveAttributes as string[],
      });
    await expect(reg(['nope'])).rejects.toThrow(/sensitive attribute "nope" is not in the data/);
    await expect(reg(['label'])).rejects.toThrow(/label cannot be a sensitive attribute/);
    await expect(reg('sex')).rejects.toThrow(KaleidoError);
    await expect(reg(['sex'], [...rows, { x: 5, age: 70, sex: { a: 1 }, label: 'no' }])).rejects.toThrow(
      /must be a string, number or boolean/,
    );
    const many = Array.from({ length: MAX_SENSITIVE_GROUPS + 1 }, (_, i) => ({
      x: i,
      zip: `z${i}`,
      label: i % 2,
    }));
    await expect(reg(['zip'], many)).rejects.toThrow(/51 distinct values \(at most 50\)/);
  });
});
