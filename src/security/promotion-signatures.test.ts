import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { isKaleidoError } from '../core/errors.js';
import type { ModelVersion } from '../core/ports/registry-store.js';
import { signModelDigest } from './model-integrity.js';
import { SIGNATURE_TAG, promotionSignatureCheck } from './promotion-signatures.js';

const SHA = 'ab'.repeat(32);

function version(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    name: 'spam',
    version: '3',
    creationTime: 0,
    lastUpdatedTime: 0,
    description: '',
    userId: 'u',
    source: 'models/spam',
    status: 'READY',
    statusMessage: '',
    metrics: {},
    sha256: SHA,
    tags: [],
    aliases: [],
    ...overrides,
  };
}

function keys(): { publicKeyFile: string; privateKey: string } {
  const pair = generateKeyPairSync('ed25519');
  const dir = mkdtempSync(join(tmpdir(), 'kaleido-sig-'));
  const publicKeyFile = join(dir, 'trusted.pem');
  writeFileSync(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { publicKeyFile, privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

async function codeOf(p: Promise<void>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (error) {
    return isKaleidoError(error) ? error.code : String(error);
  }
}

describe('promotionSignatureCheck', () => {
  it('gates nothing without trusted keys', () => {
    expect(promotionSignatureCheck({ publicKeyFiles: [], requiredAliases: ['champion'] })).toEqual({});
  });

  it('refuses to start on an unreadable key file', () => {
    expect(() =>
      promotionSignatureCheck({ publicKeyFiles: ['/nonexistent/key.pem'], requiredAliases: ['champion'] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }) as Error);
  });

  it('lets a trusted signature through and refuses unsigned, forged and digest-less versions', async () => {
    const { publicKeyFile, privateKey } = keys();
    const other = keys();
    const hook = promotionSignatureCheck({
      publicKeyFiles: [publicKeyFile],
      requiredAliases: ['champion'],
    }).beforeAliasMove!;
    const signed = version({ tags: [{ key: SIGNATURE_TAG, value: signModelDigest(SHA, privateKey) }] });
    expect(await codeOf(hook(signed, 'champion'))).toBeUndefined();
    expect(await codeOf(hook(version(), 'champion'))).toBe('ERR_INTEGRITY_FAILED');
    const forged = version({ tags: [{ key: SIGNATURE_TAG, value: signModelDigest(SHA, other.privateKey) }] });
    expect(await codeOf(hook(forged, 'champion'))).toBe('ERR_INTEGRITY_FAILED');
    // A signature of another digest does not carry over to this version.
    const wrongDigest = version({
      tags: [{ key: SIGNATURE_TAG, value: signModelDigest('cd'.repeat(32), privateKey) }],
    });
    expect(await codeOf(hook(wrongDigest, 'champion'))).toBe('ERR_INTEGRITY_FAILED');
    expect(await codeOf(hook(version({ sha256: undefined }), 'champion'))).toBe('ERR_INTEGRITY_FAILED');
  });

  it('gates only the required aliases, or all with "*"', async () => {
    const { publicKeyFile } = keys();
    const champion = promotionSignatureCheck({
      publicKeyFiles: [publicKeyFile],
      requiredAliases: ['champion'],
    }).beforeAliasMove!;
    expect(await codeOf(champion(version(), 'challenger'))).toBeUndefined();
    const all = promotionSignatureCheck({
      publicKeyFiles: [publicKeyFile],
      requiredAliases: ['*'],
    }).beforeAliasMove!;
    expect(await codeOf(all(version(), 'challenger'))).toBe('ERR_INTEGRITY_FAILED');
  });
});
