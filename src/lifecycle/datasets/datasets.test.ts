import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { tabularFeatures, trainingDataFromDataset } from './features.js';
import { readFolder } from './files.js';
import { parseCsv, parseJsonl } from './parse.js';
import { stratifiedSplit } from './schema.js';
import { ArtifactDatasetStore } from './store.js';
import { MemoryArtifactStore } from './testkit.js';
import { readZip } from './zip.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function newStore(): { store: ArtifactDatasetStore; artifacts: MemoryArtifactStore } {
  const artifacts = new MemoryArtifactStore();
  return { store: new ArtifactDatasetStore({ artifacts, now: () => 1_700_000_000_000 }), artifacts };
}

async function issuesOf(
  p: Promise<unknown>,
): Promise<Array<{ line?: number; path?: string; message: string }>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    expect((e as KaleidoError).code).toBe('ERR_VALIDATION');
    return (e as KaleidoError).details?.['issues'] as Array<{ line?: number; message: string }>;
  }
  throw new Error('expected the registration to fail');
}

const jsonl = (rows: readonly unknown[]): Uint8Array =>
  utf8(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

describe('parsing with line-numbered issues', () => {
  it('JSONL: bad JSON, non-objects and invalid UTF-8 are reported by line; blank lines are not rows', () => {
    const bytes = new Uint8Array([
      ...utf8('{"text":"ok","label":"a"}\n\n{"text": broken}\n[1,2]\r\n'),
      0xff,
      0xfe,
      ...utf8('\n{"text":"fine","label":"b"}'),
    ]);
    const r = parseJsonl(bytes);
    expect(r.rows.map((x) => x.line)).toEqual([1, 6]);
    expect(r.issues.map((i) => i.line)).toEqual([3, 4, 5]);
    expect(r.issues[0]?.message).toMatch(/^invalid JSON/);
    expect(r.issues[1]?.message).toBe('a row must be a JSON object');
    expect(r.issues[2]?.message).toBe('not valid UTF-8');
  });

  it('CSV: quoting per RFC 4180, multi-line fields, and quote errors with the line of the record', () => {
    const text =
      'id,text,label\n' + // 1
      '1,"hello, world",pos\n' + // 2
      '2,"she said ""hi""\nacross lines",neg\n' + // 3-4
      '3,bad"quote,pos\n' + // 5
      '4,"closed"junk,neg\n' + // 6
      '5,too,many,fields\n' + // 7
      '6,"never closed,pos\n' + // 8
      '7,after,neg\n'; // 9
    const r = parseCsv(utf8(text));
    expect(r.columns).toEqual(['id', 'text', 'label']);
    expect(r.rows.map((x) => [x.line, x.fields['text']])).toEqual([
      [2, 'hello, world'],
      [3, 'she said "hi"\nacross lines'],
      [9, 'after'],
    ]);
    expect(r.rows[0]?.fields['id']).toBe(1);
    expect(r.issues.map((i) => [i.line, i.message])).toEqual([
      [5, 'a quote inside an unquoted field (field 2); quote the whole field'],
      [6, 'unexpected character after a closing quote in field 2'],
      [7, 'has 4 fields, the header has 3'],
      [8, 'unterminated quoted field (missing closing quote)'],
    ]);
  });

  it('CSV: header problems and custom delimiters', () => {
    expect(parseCsv(utf8('a,a\n1,2\n')).issues[0]?.message).toMatch(/appears twice/);
    expect(parseCsv(utf8('')).issues[0]?.message).toBe('no header row');
    const r = parseCsv(utf8('\ufeffx;label\r\n1.5;a\r\n;b\r\n'), ';');
    expect(r.rows.map((x) => x.fields)).toEqual([
      { x: 1.5, label: 'a' },
      { x: null, label: 'b' },
    ]);
  });
});

describe('ArtifactDatasetStore', () => {
  it('registers JSONL with schema, balance, split and content address; same upload → same version', async () => {
    const { store, artifacts } = newStore();
    const rows = Array.from({ length: 40 }, (_, i) => ({
      text: `row ${i}`,
      label: i % 4 === 0 ? 'pos' : 'neg',
      id: i,
    }));
    const content = jsonl(rows);
    const v1 = await store.register({
      name: 'reviews',
      source: { format: 'jsonl', content },
      split: { seed: 3 },
    });
    expect(v1.version).toBe(1);
    expect(v1.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(v1.contentKey).toBe(`datasets/blobs/sha256/${v1.sha256}`);
    expect(v1.classes).toEqual(['neg', 'pos']);
    expect(v1.classBalance).toEqual({ neg: 30, pos: 10 });
    expect(v1.schema.labelField).toBe('label');
    expect(v1.schema.textField).toBe('text');
    expect(v1.schema.fields.find((f) => f.name === 'id')).toMatchObject({
      type: 'number',
      role: 'other',
      present: 40,
    });
    // 10 % test (4), 10 % validation (4), stratified.
    expect(v1.split.counts).toEqual({
      train: { neg: 24, pos: 8 },
      validation: { neg: 3, pos: 1 },
      test: { neg: 3, pos: 1 },
    });
    const again = await store.register({
      name: 'reviews',
      source: { format: 'jsonl', content },
      split: { seed: 3 },
    });
    expect(again).toEqual(v1);
    const puts = artifacts.puts;
    const v2 = await store.register({
      name: 'reviews',
      source: { format: 'jsonl', content },
      split: { seed: 4 },
    });
    expect(v2.version).toBe(2);
    // Same content: the blob is not written again (only the split and the manifest).
    expect(artifacts.puts - puts).toBe(2);
    expect((await store.list('reviews')).map((v) => v.version)).toEqual([1, 2]);
    expect((await store.get('reviews')).version).toBe(2);
    const read = await store.rows('reviews', 1);
    expect(read).toHaveLength(40);
    expect(read[5]).toEqual({ line: 6, label: 'neg', fields: rows[5] });
    const split = await store.splitIndices('reviews', 1);
    expect([...split.train, ...split.validation, ...split.test].sort((a, b) => a - b)).toEqual(
      read.map((_, i) => i),
    );
    await expect(store.get('reviews', 9)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(store.get('../x')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('rejects bad rows with their line numbers, or skips and lists them on request', async () => {
    const { store } = newStore();
    const content = utf8(
      [
        '{"text":"a","label":"x"}',
        '{"text":"b"}',
        '{"text":"c","label":""}',
        'not json',
        '{"text":5,"label":"y"}',
        '{"text":"d","label":{"nested":1}}',
        ...Array.from({ length: 10 }, (_, i) => JSON.stringify({ text: `t${i}`, label: i % 2 ? 'x' : 'y' })),
      ].join('\n'),
    );
    const issues = await issuesOf(store.register({ name: 'bad', source: { format: 'jsonl', content } }));
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [2, 'missing label "label"'],
      [3, 'missing label "label"'],
      [4, expect.stringMatching(/^invalid JSON/)],
      [5, 'text "text" must be a string'],
      [6, 'label "label" must be a string, number or boolean'],
    ]);
    await expect(store.register({ name: 'bad', source: { format: 'jsonl', content } })).rejects.toThrow(
      /5 bad rows \(first: line 2: missing label "label"\)/,
    );
    const v = await store.register({ name: 'bad', source: { format: 'jsonl', content }, badRows: 'skip' });
    expect(v.rowCount).toBe(11);
    expect(v.rejectedRows.map((i) => i.line)).toEqual([2, 3, 4, 5, 6]);
    expect((await store.rows('bad', 1)).map((r) => r.line)).toEqual([1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('CSV tabular sets: numeric features inferred, missing values are issues, features build a matrix', async () => {
    const { store } = newStore();
    const lines = ['x1,x2,note,label'];
    for (let i = 0; i < 30; i++) lines.push(`${i},${i * 2 + 0.5},n${i},${i < 15 ? 'low' : 'high'}`);
    lines.push('7,,oops,low');
    const content = utf8(lines.join('\n'));
    const issues = await issuesOf(store.register({ name: 'tab', source: { format: 'csv', content } }));
    expect(issues).toEqual([{ line: 32, field: 'x2', message: 'missing value for feature "x2"' }]);
    const v = await store.register({
      name: 'tab',
      source: { format: 'csv', content },
      badRows: 'skip',
      split: { testFraction: 0.2 },
    });
    expect(v.schema.featureFields).toEqual(['x1', 'x2']);
    expect(v.csvDelimiter).toBe(',');
    const rows = await store.rows('tab', v.version);
    const { data, test } = trainingDataFromDataset(
      rows,
      v.schema,
      v.classes,
      await store.splitIndices('tab', v.version),
      tabularFeatures,
    );
    expect(data.dim).toBe(2);
    expect(data.classes).toEqual(['high', 'low']);
    expect(data.train.y.length + (data.validation?.y.length ?? 0) + test.y.length).toBe(30);
    expect(test.y.length).toBe(6);
    await expect(
      store.register({ name: 'tab', source: { format: 'csv', content }, labelField: 'nope' }),
    ).rejects.toThrow(/label field "nope" is not in the data/);
  });

  it('file sets from a folder per class and from a zip archive give the same content address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kaleido-ds-'));
    try {
      const folder = join(dir, 'images');
      for (const cls of ['cat', 'dog']) {
        await mkdir(join(folder, cls), { recursive: true });
        for (let i = 0; i < 5; i++) await writeFile(join(folder, cls, `${i}.bin`), `${cls}-${i}`);
      }
      const { store } = newStore();
      const fromFolder = await store.register({
        name: 'pets',
        source: { format: 'files', files: await readFolder(folder) },
      });
      expect(fromFolder.classBalance).toEqual({ cat: 5, dog: 5 });
      expect(fromFolder.schema.fileField).toBe('file');
      const rows = await store.rows('pets', 1);
      expect(rows[0]?.fields['path']).toBe('cat/0.bin');
      expect(new TextDecoder().decode(await store.readFile(rows[0]?.fields['file'] as string))).toBe('cat-0');

      // The same tree zipped by the system's zip tool when there is one, else by a minimal writer.
      let zipBytes: Uint8Array;
      try {
        execFileSync('zip', ['-qr', join(dir, 'pets.zip'), 'cat', 'dog'], { cwd: folder });
        zipBytes = new Uint8Array(await readFile(join(dir, 'pets.zip')));
      } catch {
        zipBytes = writeZip((await readFolder(folder)).map((f) => [f.path, f.data]));
      }
      const files = readZip(zipBytes);
      expect(files.map((f) => f.path).sort()).toEqual((await readFolder(folder)).map((f) => f.path));
      const fromZip = await store.register({ name: 'pets', source: { format: 'files', files } });
      expect(fromZip.version).toBe(1);
      expect(fromZip.sha256).toBe(fromFolder.sha256);

      const withStray = [
        ...files,
        { path: 'README.txt', data: utf8('x') },
        { path: 'cat/.DS_Store', data: utf8('') },
      ];
      const issues = await issuesOf(
        store.register({ name: 'pets2', source: { format: 'files', files: withStray } }),
      );
      expect(issues.map((i) => i.path)).toEqual(['README.txt', 'cat/.DS_Store']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('zip reader: deflate and stored entries, CRC and truncation errors', () => {
    const zip = writeZip([
      ['a/x.txt', utf8('hello hello hello hello')],
      ['b/y.txt', utf8('')],
    ]);
    expect(readZip(zip).map((f) => [f.path, new TextDecoder().decode(f.data)])).toEqual([
      ['a/x.txt', 'hello hello hello hello'],
      ['b/y.txt', ''],
    ]);
    const corrupt = zip.slice();
    corrupt[40] = (corrupt[40] as number) ^ 0xff; // local header (30) + name (7): inside the deflate stream
    expect(() => readZip(corrupt)).toThrow(/invalid zip archive/);
    expect(() => readZip(utf8('not a zip at all, just text'))).toThrow(/no end of central directory/);
    expect(() => readZip(zip, { maxTotalBytes: 5 })).toThrow(/exceeds 5 bytes/);
  });
});

describe('stratified split (property)', () => {
  it('is a reproducible, stratified partition for any labels and seed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 20, maxLength: 200 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(0.1, 0.2, 0.25),
        fc.constantFrom(0, 0.1, 0.2),
        (labels, seed, testFraction, validationFraction) => {
          const spec = { seed, testFraction, validationFraction };
          const s = stratifiedSplit(labels, spec);
          expect(stratifiedSplit(labels, spec)).toEqual(s);
          const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
          expect(all).toEqual(labels.map((_, i) => i));
          expect(s.test.length).toBe(Math.ceil(testFraction * labels.length));
          // Per class, each split holds its share of the class within one row (plus one for the
          // second split, whose share is taken from what the first left).
          for (const cls of new Set(labels)) {
            const n = labels.filter((l) => l === cls).length;
            const inTest = s.test.filter((i) => labels[i] === cls).length;
            expect(Math.abs(inTest - (n * s.test.length) / labels.length)).toBeLessThanOrEqual(1);
            const inVal = s.validation.filter((i) => labels[i] === cls).length;
            expect(Math.abs(inVal - (n * s.validation.length) / labels.length)).toBeLessThanOrEqual(2);
          }
        },
      ),
      { numRuns: 150, seed: 42 },
    );
  });
});

/** A minimal zip writer (deflate for non-empty files, stored for empty ones) for the tests. */
function writeZip(entries: ReadonlyArray<[string, Uint8Array]>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const method = data.length > 0 ? 8 : 0;
    const body = method === 8 ? deflateRawSync(data) : Buffer.from(data);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}
