/**
 * Signed promotions through the public API: with `security.modelSigning.publicKeyFiles` set, moving
 * `champion` onto a registry version needs a valid Ed25519 signature of its recorded SHA-256 (tag
 * `kaleido.signature`); other aliases are not gated.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File, signModelDigest } from '../../src/security/model-integrity.js';
import { FIXTURE_REPOSITORY, startTestServer, type TestServer } from '../helpers/kaleido-server.js';

let server: TestServer;
let dir: string;
const trusted = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
let sha: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-signing-'));
  const pub = join(dir, 'publisher.pem');
  writeFileSync(pub, trusted.publicKey.export({ type: 'spki', format: 'pem' }));
  sha = await sha256File(join(FIXTURE_REPOSITORY, 'add_sub_fp32', '1', 'model.onnx'));
  server = await startTestServer({
    startupModels: ['add_sub_fp32'],
    overrides: { 'security.modelSigning.publicKeyFiles': pub },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  json: { error: { code: string; message: string } };
}

async function post(path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${server.httpUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Answer['json'] };
}
const alias = (a: string, version: string) =>
  post('registered-models/alias', { name: 'adder', alias: a, version });
const tag = (version: string, value: string) =>
  post('model-versions/set-tag', { name: 'adder', version, key: 'kaleido.signature', value });

describe('e2e: promotions need a trusted signature when signing keys are configured', () => {
  it('refuses unsigned, unrecorded and wrongly signed versions; accepts the signed one', async () => {
    expect((await post('registered-models/create', { name: 'adder' })).status).toBe(200);
    const source = 'models/fixtures/add_sub_fp32/1';
    expect((await post('model-versions/create', { name: 'adder', source, sha256: sha })).status).toBe(200);
    expect((await post('model-versions/create', { name: 'adder', source })).status).toBe(200);

    const unsigned = await alias('champion', '1');
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.json.error.code).toBe('ERR_INTEGRITY_FAILED');
    expect(unsigned.json.error.message).toMatch(/not signed/);

    // Version 2 has no recorded digest: nothing to verify, so no promotion.
    const noDigest = await alias('champion', '2');
    expect(noDigest.json.error.code).toBe('ERR_INTEGRITY_FAILED');
    expect(noDigest.json.error.message).toMatch(/no recorded SHA-256/);

    // Signed by a key the server does not trust.
    expect((await tag('1', signModelDigest(sha, stranger.privateKey))).status).toBe(200);
    const forged = await alias('champion', '1');
    expect(forged.json.error.code).toBe('ERR_INTEGRITY_FAILED');
    expect(forged.json.error.message).toMatch(/no valid signature/);

    // A trusted signature of another digest is no better.
    const other = sha.replace(/^./, sha[0] === '0' ? '1' : '0');
    expect((await tag('1', signModelDigest(other, trusted.privateKey))).status).toBe(200);
    expect((await alias('champion', '1')).json.error.code).toBe('ERR_INTEGRITY_FAILED');

    expect((await tag('1', signModelDigest(sha, trusted.privateKey))).status).toBe(200);
    expect((await alias('champion', '1')).status).toBe(200);
    const got = await fetch(
      `${server.httpUrl}/api/2.0/mlflow/registered-models/alias?name=adder&alias=champion`,
    );
    expect(((await got.json()) as { model_version: { version: string } }).model_version.version).toBe('1');
  });

  it('does not gate aliases outside security.modelSigning.requiredAliases', async () => {
    expect((await alias('challenger', '2')).status).toBe(200);
  });
});
