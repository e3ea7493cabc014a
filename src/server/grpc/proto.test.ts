import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEALTH_SERVICE, INFERENCE_SERVICE, findPackageRoot, loadProtoDefinition } from './proto.js';

describe('proto loading', () => {
  const temp = mkdtempSync(join(tmpdir(), 'kaleido-proto-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('finds the package root from a nested directory, as from dist/src/server/grpc', () => {
    writeFileSync(join(temp, 'package.json'), '{}');
    const nested = join(temp, 'dist', 'src', 'server', 'grpc');
    mkdirSync(nested, { recursive: true });
    expect(findPackageRoot(nested)).toBe(temp);
  });

  it('fails with ERR_BAD_CONFIG when no package.json is above', () => {
    expect(() => findPackageRoot('/')).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });

  it('loads both services with every required method', () => {
    const def = loadProtoDefinition();
    expect(Object.keys(def[INFERENCE_SERVICE]!).sort()).toEqual(
      [
        'ModelConfig',
        'ModelInfer',
        'ModelMetadata',
        'ModelReady',
        'ModelStatistics',
        'ModelStreamInfer',
        'RepositoryIndex',
        'RepositoryModelLoad',
        'RepositoryModelUnload',
        'ServerLive',
        'ServerMetadata',
        'ServerReady',
      ].sort(),
    );
    expect(Object.keys(def[HEALTH_SERVICE]!)).toEqual(['Check']);
  });
});
