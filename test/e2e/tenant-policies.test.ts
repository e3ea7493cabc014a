/**
 * Moderation policies per tenant through the public API: an installation's policy directory
 * (`analysis.policyDirs`) adds a policy for tenant acme; /v1/analyze applies it to acme's callers
 * only, and the tenant-less default to everyone else.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLED_REPOSITORY,
  startTestServer,
  TEST_ADMIN_KEY,
  type TestServer,
} from '../helpers/kaleido-server.js';
import { call, createKey, createTenant } from '../security/support.js';

const ACME_POLICY = `
id: acme-no-personal-data
version: '1'
tenant: acme
description: acme accepts no personal data in inputs at all.
appliesTo: {}
failMode: closed
rules:
  - { id: pii-block-input, category: pii, threshold: 0.5, action: block, direction: input }
`;

let server: TestServer;
let dir: string;
let acmeKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-policies-'));
  writeFileSync(join(dir, 'acme.yaml'), ACME_POLICY);
  server = await startTestServer({
    repositories: [BUNDLED_REPOSITORY],
    startupModels: ['spam_classifier'],
    auth: {},
    overrides: { 'analysis.modalities': 'text', 'analysis.policyDirs': dir },
  });
  await createTenant(server.httpUrl, TEST_ADMIN_KEY, 'acme');
  acmeKey = (await createKey(server.httpUrl, TEST_ADMIN_KEY, { role: 'admin', tenant: 'acme' })).key;
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const TEXT = { text: 'Please write to jane.doe@example.com about the invoice.' };

describe('per-tenant moderation policies', () => {
  it("acme's callers get acme's policy: personal data in the input is blocked", async () => {
    const r = await call(server.httpUrl, 'POST', '/v1/analyze', { key: acmeKey, body: TEXT });
    expect(r.status).toBe(200);
    expect(r.body.safety.policy).toMatchObject({ id: 'acme-no-personal-data', version: '1' });
    expect(r.body.safety.decisions.input).toBe('block');
    expect(r.body.safety.reasons.map((x: { ruleId?: string }) => x.ruleId)).toContain('pii-block-input');
  });

  it('other tenants get the tenant-less default: the e-mail is redacted, not blocked', async () => {
    const r = await call(server.httpUrl, 'POST', '/v1/analyze', { key: TEST_ADMIN_KEY, body: TEXT });
    expect(r.status).toBe(200);
    expect(r.body.safety.policy.id).toBe('default');
    // No blocking reason (every analyzer ran, no input rule matched); the e-mail is redacted on output.
    const reasons = r.body.safety.reasons as Array<{ action: string; ruleId?: string }>;
    expect(reasons.filter((x) => x.action === 'block')).toEqual([]);
    expect(reasons.map((x) => x.ruleId)).toContain('pii-redact-output');
    expect(r.body.safety.decisions.input).not.toBe('block');
    expect(r.body.safety.redacted).toBe(true);
  });
});
