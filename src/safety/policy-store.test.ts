import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KaleidoError } from '../core/errors.js';
import type { Policy } from '../core/safety/policy/index.js';
import {
  InMemoryPolicyStore,
  canonicalJson,
  compareVersions,
  loadPolicyDirectory,
  loadPolicyFile,
  policyContentHash,
} from './index.js';

const base = (over: Partial<Policy>): Policy => ({
  id: 'default',
  version: '1',
  appliesTo: {},
  failMode: 'closed',
  rules: [{ id: 'h', category: 'hate', threshold: 0.8, action: 'block', direction: 'both' }],
  ...over,
});

const errorOf = (f: () => unknown): KaleidoError => {
  try {
    f();
  } catch (e) {
    return e as KaleidoError;
  }
  throw new Error('expected a KaleidoError');
};

describe('policy versioning', () => {
  it('hashes canonical content: key order does not matter, content does', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const p = base({});
    const reordered = JSON.parse(
      JSON.stringify({ rules: p.rules, failMode: p.failMode, appliesTo: {}, version: '1', id: 'default' }),
    ) as Policy;
    expect(policyContentHash(reordered)).toBe(policyContentHash(p));
    expect(policyContentHash({ ...p, contentHash: 'sha256:old' })).toBe(policyContentHash(p));
    expect(policyContentHash(base({ failMode: 'open' }))).not.toBe(policyContentHash(p));
    expect(policyContentHash(p)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('compares dotted versions numerically', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('2', '2.0.0')).toBe(0);
    expect(compareVersions('1.2.3', '1.3')).toBeLessThan(0);
  });

  it('keeps every version, serves the latest, and refuses a changed text under an old version', () => {
    const store = new InMemoryPolicyStore();
    const v1 = store.put(base({ version: '1.9' }));
    const v2 = store.put(base({ version: '1.10', failMode: 'open' }));
    expect(v1.contentHash).toBe(policyContentHash(base({ version: '1.9' })));
    expect(Object.isFrozen(v2.rules[0])).toBe(true);
    expect(store.get('default')?.version).toBe('1.10');
    expect(store.get('default', '1.9')?.contentHash).toBe(v1.contentHash);
    expect(store.get('nope')).toBeUndefined();
    expect(store.versions('default').map((p) => p.version)).toEqual(['1.9', '1.10']);
    expect(store.put(base({ version: '1.9' }))).toBe(v1); // identical re-put is a no-op
    const e = errorOf(() => store.put(base({ version: '1.9', failMode: 'open' })));
    expect(e.code).toBe('ERR_ALREADY_EXISTS');
    expect(e.message).toContain('bump the version');
  });
});

describe('policy lookup', () => {
  const store = new InMemoryPolicyStore([
    base({ id: 'default' }),
    base({ id: 'global-chat', appliesTo: { pipelines: ['chat'] } }),
    base({ id: 'global-analyze', appliesTo: { routes: ['/v1/analyze'] } }),
    base({ id: 'acme', tenant: 'acme' }),
    base({ id: 'acme-analyze', tenant: 'acme', appliesTo: { routes: ['/v1/analyze'] } }),
    base({ id: 'acme-chat', tenant: 'acme', appliesTo: { pipelines: ['chat'] } }),
  ]);
  it.each([
    [{}, 'default'],
    [{ route: '/v2/infer' }, 'default'],
    [{ route: '/v1/analyze' }, 'global-analyze'],
    [{ pipeline: 'chat', route: '/v1/analyze' }, 'global-chat'],
    [{ tenant: 'other', route: '/v1/analyze' }, 'global-analyze'],
    [{ tenant: 'acme' }, 'acme'],
    [{ tenant: 'acme', route: '/v1/stream' }, 'acme'],
    [{ tenant: 'acme', route: '/v1/analyze' }, 'acme-analyze'],
    [{ tenant: 'acme', route: '/v1/analyze', pipeline: 'chat' }, 'acme-chat'],
  ])('resolves %j to %s', (scope, id) => {
    expect(store.resolve(scope).id).toBe(id);
  });

  it('fails closed when no policy applies', () => {
    const e = errorOf(() =>
      new InMemoryPolicyStore([base({ id: 'only-chat', appliesTo: { pipelines: ['chat'] } })]).resolve({
        route: '/x',
      }),
    );
    expect(e.code).toBe('ERR_BAD_CONFIG');
  });

  it('rejects two policies claiming the same scope', () => {
    const s = new InMemoryPolicyStore([base({ id: 'a', appliesTo: { routes: ['/r'] } }), base({ id: 'd' })]);
    expect(errorOf(() => s.put(base({ id: 'b', appliesTo: { routes: ['/q', '/r'] } }))).message).toContain(
      'policy b and policy a both claim route /r',
    );
    expect(errorOf(() => s.put(base({ id: 'e' }))).message).toContain('both claim the default scope');
    expect(() => s.put(base({ id: 'c', appliesTo: { pipelines: ['p'] } }))).not.toThrow();
  });
});

describe('loading policy files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kaleido-policies-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every YAML file of a directory in name order and ignores other files', async () => {
    await writeFile(join(dir, 'b-acme.yml'), stringify(base({ id: 'acme', tenant: 'acme' })));
    await writeFile(join(dir, 'a-default.yaml'), stringify(base({})));
    await writeFile(join(dir, 'README.md'), '# not a policy');
    const store = await loadPolicyDirectory(dir);
    expect(store.list().map((p) => p.id)).toEqual(['acme', 'default']);
    expect(store.resolve({ tenant: 'acme' }).contentHash).toMatch(/^sha256:/);
  });

  it('names the file and the field of a bad policy', async () => {
    const bad = { ...base({}), rules: [{ id: 'x', category: 'hate', threshold: 2, action: 'block' }] };
    await writeFile(join(dir, 'bad.yaml'), stringify(bad));
    await expect(loadPolicyDirectory(dir)).rejects.toThrow(
      `${join(dir, 'bad.yaml')}: rules[0].threshold: must be between 0 and 1`,
    );
  });

  it('names the file of a store conflict, and reports unreadable paths', async () => {
    await writeFile(join(dir, 'a.yaml'), stringify(base({ id: 'one' })));
    await writeFile(join(dir, 'b.yaml'), stringify(base({ id: 'two' })));
    await expect(loadPolicyDirectory(dir)).rejects.toThrow(/b\.yaml: appliesTo: policy two and policy one/);
    await expect(loadPolicyDirectory(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
    await expect(loadPolicyFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG' });
  });

  it('reloading into the same store keeps the history', async () => {
    const store = new InMemoryPolicyStore();
    await writeFile(join(dir, 'default.yaml'), stringify(base({ version: '1' })));
    await loadPolicyDirectory(dir, store);
    await writeFile(join(dir, 'default.yaml'), stringify(base({ version: '2', failMode: 'open' })));
    await loadPolicyDirectory(dir, store);
    expect(store.versions('default').map((p) => p.version)).toEqual(['1', '2']);
    await writeFile(join(dir, 'default.yaml'), stringify(base({ version: '2', failMode: 'closed' })));
    await expect(loadPolicyDirectory(dir, store)).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
  });
});
