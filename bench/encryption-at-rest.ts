/**
 * Cost of encryption at rest on the artifact store: put and get of one artifact through
 * FsArtifactStore alone and through EncryptingArtifactStore (AES-256-GCM envelope), and rewrap of
 * the same objects (data keys only). Run: npx tsx bench/encryption-at-rest.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFsArtifactStore } from '../src/adapters/artifacts-fs/index.js';
import type { ArtifactStore } from '../src/core/ports/artifact-store.js';
import { EncryptingArtifactStore } from '../src/security/encrypting-artifact-store.js';
import { EnvelopeEncryption, StaticKeyEncryptionKeyProvider } from '../src/security/envelope.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const ROUNDS = 5;

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(ROUNDS / 2)] as number;
}

const dir = mkdtempSync(join(tmpdir(), 'kaleido-bench-enc-'));
try {
  const plain = createFsArtifactStore({ root: join(dir, 'plain') });
  const inner = createFsArtifactStore({ root: join(dir, 'enc') });
  const enc = (active: string, keys: Record<string, string>): ArtifactStore & EncryptingArtifactStore =>
    new EncryptingArtifactStore({
      inner,
      envelope: new EnvelopeEncryption(new StaticKeyEncryptionKeyProvider(active, keys)),
      sensitivePrefixes: ['datasets/'],
    });
  const sealed = enc('k1', { k1: K1 });
  const rows: string[] = [];
  for (const mib of [1, 8, 64]) {
    const data = randomBytes(mib * 1024 * 1024);
    const key = `datasets/blob-${mib}`;
    const putPlain = await median(() => plain.put(key, data));
    const putEnc = await median(() => sealed.put(key, data));
    const getPlain = await median(() => plain.get(key));
    const getEnc = await median(() => sealed.get(key));
    rows.push(
      `| ${mib} MiB | ${putPlain.toFixed(1)} | ${putEnc.toFixed(1)} | ${getPlain.toFixed(1)} | ${getEnc.toFixed(1)} |`,
    );
  }
  const rotated = enc('k2', { k1: K1, k2: K2 });
  const t = performance.now();
  const report = await rotated.rewrap();
  const rewrapMs = performance.now() - t;
  process.stdout.write(
    `node ${process.version}, median of ${ROUNDS}, ms\n| size | put plain | put encrypted | get plain | get encrypted |\n|---|---|---|---|---|\n${rows.join('\n')}\n` +
      `rewrap of ${report.rewrapped} objects (73 MiB): ${rewrapMs.toFixed(1)} ms\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
