/**
 * Generates the fixture model repository (models/fixtures) and the golden files
 * (test/fixtures/golden) from scripts/onnx/fixture-models.ts.
 *
 *   npx tsx scripts/generate-fixtures.ts           # (re)write everything
 *   npx tsx scripts/generate-fixtures.ts --check   # exit 1 if the files on disk are stale
 *
 * Deterministic and idempotent: the same source always yields byte-identical files, and the two
 * output directories are replaced as a whole, so removed fixtures do not linger. Before anything is
 * written, every model is loaded in onnxruntime and run on its golden cases; generation fails if
 * onnxruntime disagrees with the reference implementation.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { KaleidoError } from '../src/core/errors.js';
import { OnnxRuntime } from '../src/adapters/runtime-onnx/onnx-runtime.js';
import { assertOutputsMatch, tensorFromJson } from '../test/fixtures/golden.js';
import { fixtureModels, type FixtureModel } from './onnx/fixture-models.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODELS_DIR = join(ROOT, 'models', 'fixtures');
const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');
/** Commit-size hygiene: the whole fixture repository must stay small. */
const MAX_TOTAL_BYTES = 6_000_000;

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Golden files live where `prettier --check .` looks, so they are written in the repository's
 * prettier style; otherwise formatting the tree would make `--check` here report them stale.
 */
async function prettierJson(path: string, value: unknown): Promise<string> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(JSON.stringify(value), { ...options, filepath: path });
}

/** Every output file, by absolute path. */
async function renderFiles(models: readonly FixtureModel[]): Promise<Map<string, Uint8Array | string>> {
  const files = new Map<string, Uint8Array | string>();
  for (const m of models) {
    const dir = join(MODELS_DIR, m.name);
    if (m.config) files.set(join(dir, 'config.json'), json(m.config));
    for (const [name, text] of Object.entries(m.files)) files.set(join(dir, name), text);
    for (const [version, bytes] of m.versions) files.set(join(dir, String(version), 'model.onnx'), bytes);
    const goldenPath = join(GOLDEN_DIR, `${m.name}.json`);
    files.set(goldenPath, await prettierJson(goldenPath, m.golden));
  }
  return files;
}

/** Loads each model version in onnxruntime and checks it against its golden cases. */
async function verify(models: readonly FixtureModel[]): Promise<void> {
  const runtime = new OnnxRuntime();
  const scratchDir = await mkdtemp(join(tmpdir(), 'kaleido-fixtures-'));
  try {
    await verifyIn(scratchDir, runtime, models);
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

async function verifyIn(
  scratchDir: string,
  runtime: OnnxRuntime,
  models: readonly FixtureModel[],
): Promise<void> {
  for (const m of models) {
    for (const [version, bytes] of m.versions) {
      // Verify from a scratch file so that a failing model never reaches the repository.
      const scratch = join(scratchDir, m.name, String(version), 'model.onnx');
      await mkdir(dirname(scratch), { recursive: true });
      await writeFile(scratch, bytes);
      const session = await runtime.load(scratch, { intraOpThreads: 1, interOpThreads: 1 });
      try {
        for (const c of m.golden.cases.filter((gc) => gc.model_version === String(version))) {
          const outputs = await session.run(
            c.inputs.map(tensorFromJson),
            c.outputs.map((o) => o.name),
          );
          assertOutputsMatch(
            outputs,
            c.outputs,
            m.golden.tolerance,
            `${m.name} v${version} batch ${c.batch_size}`,
          );
        }
      } finally {
        await session.close();
      }
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const bytesOf = (content: Uint8Array | string): Uint8Array =>
  typeof content === 'string' ? new TextEncoder().encode(content) : content;

async function check(files: Map<string, Uint8Array | string>): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, content] of files) {
    const onDisk = await readFile(path).catch(() => undefined);
    if (!onDisk || Buffer.compare(onDisk, bytesOf(content)) !== 0) stale.push(relative(ROOT, path));
  }
  const extra = [...(await listFiles(MODELS_DIR)), ...(await listFiles(GOLDEN_DIR))].filter(
    (p) => !files.has(p),
  );
  return [...stale, ...extra.map((p) => `${relative(ROOT, p)} (not generated)`)];
}

async function main(): Promise<void> {
  const checkOnly = process.argv.includes('--check');
  const models = fixtureModels();
  const files = await renderFiles(models);
  const modelBytes = [...files]
    .filter(([p]) => p.startsWith(MODELS_DIR))
    .reduce((n, [, c]) => n + bytesOf(c).length, 0);
  if (modelBytes > MAX_TOTAL_BYTES) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `fixture models take ${modelBytes} bytes, over the ${MAX_TOTAL_BYTES}-byte budget`,
    );
  }
  await verify(models);
  if (checkOnly) {
    const stale = await check(files);
    if (stale.length > 0) {
      console.error(`fixtures are stale; run npx tsx scripts/generate-fixtures.ts\n  ${stale.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log(`fixtures are up to date (${files.size} files)`);
    }
    return;
  }
  await rm(MODELS_DIR, { recursive: true, force: true });
  await rm(GOLDEN_DIR, { recursive: true, force: true });
  for (const [path, content] of files) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  console.log(
    `wrote ${models.length} models (${(modelBytes / 1024).toFixed(0)} KiB) to ${relative(ROOT, MODELS_DIR)} ` +
      `and ${models.length} golden files to ${relative(ROOT, GOLDEN_DIR)}`,
  );
}

await main();
