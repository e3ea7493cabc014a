import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import { ModelIntegrity } from './model-integrity.js';
import { registeredDigestCheck } from './registered-digest.js';

const root = mkdtempSync(join(tmpdir(), 'kaleido-digest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function modelFile(served: string, version: string, bytes: string): { path: string; sha: string } {
  const dir = join(root, 'trained', served, version);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, bytes);
  return { path, sha: createHash('sha256').update(bytes).digest('hex') };
}

describe('registeredDigestCheck', () => {
  const recorded = new Map<string, string>();
  const asked: string[] = [];
  const check = registeredDigestCheck({
    trainedRepository: join(root, 'trained'),
    integrity: new ModelIntegrity(),
    recordedSha256: (tenant, name, version) => {
      asked.push(`${tenant}/${name}/${version}`);
      return Promise.resolve(recorded.get(`${tenant}/${name}/${version}`));
    },
  });

  it("passes a file whose digest is the registry's record, for system and tenant-qualified names", async () => {
    const a = modelFile('spam', '1', 'weights of spam v1');
    const b = modelFile('acme__spam', '2', 'weights of acme spam v2');
    recorded.set('system/spam/1', a.sha);
    recorded.set('acme/spam/2', b.sha);
    await check(a.path);
    await check(b.path);
    expect(asked).toEqual(['system/spam/1', 'acme/spam/2']);
  });

  it('refuses a file replaced on disk after registration', async () => {
    const { path, sha } = modelFile('churn', '3', 'original weights');
    recorded.set('system/churn/3', sha);
    writeFileSync(path, 'swapped weights');
    const err = await check(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KaleidoError);
    expect((err as KaleidoError).code).toBe('ERR_INTEGRITY_FAILED');
  });

  it('skips files outside the trained repository and versions without a record', async () => {
    asked.length = 0;
    mkdirSync(join(root, 'bundled', 'm', '1'), { recursive: true });
    writeFileSync(join(root, 'bundled', 'm', '1', 'model.onnx'), 'x');
    await check(join(root, 'bundled', 'm', '1', 'model.onnx'));
    expect(asked).toEqual([]);
    const unrecorded = modelFile('fresh', '1', 'not registered yet');
    await check(unrecorded.path);
    expect(asked).toEqual(['system/fresh/1']);
  });
});
