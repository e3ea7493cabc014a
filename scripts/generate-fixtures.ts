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
import {
  HF_AUDIO_NAME,
  HF_IMAGE_NAME,
  HF_IMAGE_SIZE,
  HF_TINY_NAME,
  hfAudioFiles,
  hfAudioGolden,
  hfImageFiles,
  hfImageForward,
  hfImageGolden,
  hfTinyFiles,
  hfTinyGolden,
  sine,
} from './onnx/hf-tiny-model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODELS_DIR = join(ROOT, 'models', 'fixtures');
const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');
/**
 * A model repository of Hugging Face (Optimum) layout directories: the bring-your-own-model path
 * (src/adapters/hf-transformers). Kept apart from models/fixtures, whose directories are Triton
 * style. Golden outputs: test/fixtures/golden/hf/<name>.json.
 */
const HF_MODELS_DIR = join(ROOT, 'models', 'hf-fixtures');
const HF_GOLDEN_DIR = join(GOLDEN_DIR, 'hf');
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
  for (const [rel, content] of hfTinyFiles()) files.set(join(HF_MODELS_DIR, HF_TINY_NAME, rel), content);
  const hfGolden = join(HF_GOLDEN_DIR, `${HF_TINY_NAME}.json`);
  files.set(hfGolden, await prettierJson(hfGolden, hfTinyGolden()));
  for (const [rel, content] of hfAudioFiles()) files.set(join(HF_MODELS_DIR, HF_AUDIO_NAME, rel), content);
  const hfAudioGoldenPath = join(HF_GOLDEN_DIR, `${HF_AUDIO_NAME}.json`);
  files.set(hfAudioGoldenPath, await prettierJson(hfAudioGoldenPath, hfAudioGolden()));
  for (const [rel, content] of hfImageFiles()) files.set(join(HF_MODELS_DIR, HF_IMAGE_NAME, rel), content);
  const hfImageGoldenPath = join(HF_GOLDEN_DIR, `${HF_IMAGE_NAME}.json`);
  files.set(hfImageGoldenPath, await prettierJson(hfImageGoldenPath, hfImageGolden()));
  return files;
}

/** Runs the Hugging Face fixture's ONNX graph in onnxruntime against its float64 golden logits. */
async function verifyHf(runtime: OnnxRuntime, scratchDir: string): Promise<void> {
  const scratch = join(scratchDir, 'hf', 'model.onnx');
  await mkdir(dirname(scratch), { recursive: true });
  await writeFile(scratch, hfTinyFiles().get('onnx/model.onnx') as Uint8Array);
  const session = await runtime.load(scratch, { intraOpThreads: 1, interOpThreads: 1 });
  try {
    const golden = hfTinyGolden();
    for (const c of golden.cases) {
      const ids = BigInt64Array.from(c.input_ids.map((x) => BigInt(x)));
      const shape = [1, ids.length];
      const [out] = await session.run(
        [
          { name: 'input_ids', datatype: 'INT64', shape, data: ids },
          { name: 'attention_mask', datatype: 'INT64', shape, data: ids.map(() => 1n) },
        ],
        ['logits'],
      );
      const got = Array.from(out?.data as Float32Array);
      c.logits.forEach((want, j) => {
        if (!(Math.abs((got[j] as number) - want) <= golden.tolerance)) {
          throw new KaleidoError(
            'ERR_INTERNAL',
            `${HF_TINY_NAME} "${c.text}": onnxruntime logit ${j} = ${got[j]}, reference ${want}`,
          );
        }
      });
    }
  } finally {
    await session.close();
  }
  const audioScratch = join(scratchDir, 'hf-audio', 'model.onnx');
  await mkdir(dirname(audioScratch), { recursive: true });
  await writeFile(audioScratch, hfAudioFiles().get('onnx/model.onnx') as Uint8Array);
  const audio = await runtime.load(audioScratch, { intraOpThreads: 1, interOpThreads: 1 });
  try {
    const golden = hfAudioGolden();
    for (const c of golden.cases) {
      const x = sine(c.frequency, c.amplitude);
      const [out] = await audio.run(
        [{ name: 'input_values', datatype: 'FP32', shape: [1, x.length], data: x }],
        ['logits'],
      );
      const got = Array.from(out?.data as Float32Array);
      c.logits.forEach((want, j) => {
        if (!(Math.abs((got[j] as number) - want) <= golden.tolerance)) {
          throw new KaleidoError(
            'ERR_INTERNAL',
            `${HF_AUDIO_NAME} ${c.signal}: onnxruntime logit ${j} = ${got[j]}, reference ${want}`,
          );
        }
      });
    }
  } finally {
    await audio.close();
  }
  const imageScratch = join(scratchDir, 'hf-image', 'model.onnx');
  await mkdir(dirname(imageScratch), { recursive: true });
  await writeFile(imageScratch, hfImageFiles().get('onnx/model.onnx') as Uint8Array);
  const image = await runtime.load(imageScratch, { intraOpThreads: 1, interOpThreads: 1 });
  try {
    const golden = hfImageGolden();
    const n = HF_IMAGE_SIZE * HF_IMAGE_SIZE;
    for (const c of golden.cases) {
      // The preprocessed input of a uniform image: each channel plane holds one value.
      const m = hfImageForward(c.rgb as [number, number, number]).pixelValues;
      const x = new Float32Array(3 * n);
      for (let ch = 0; ch < 3; ch++) x.fill(m[ch] as number, ch * n, (ch + 1) * n);
      const [out] = await image.run(
        [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 3, HF_IMAGE_SIZE, HF_IMAGE_SIZE], data: x }],
        ['logits'],
      );
      const got = Array.from(out?.data as Float32Array);
      c.logits.forEach((want, j) => {
        if (!(Math.abs((got[j] as number) - want) <= golden.tolerance)) {
          throw new KaleidoError(
            'ERR_INTERNAL',
            `${HF_IMAGE_NAME} ${c.image}: onnxruntime logit ${j} = ${got[j]}, reference ${want}`,
          );
        }
      });
    }
  } finally {
    await image.close();
  }
}

/** Loads each model version in onnxruntime and checks it against its golden cases. */
async function verify(models: readonly FixtureModel[]): Promise<void> {
  const runtime = new OnnxRuntime();
  const scratchDir = await mkdtemp(join(tmpdir(), 'kaleido-fixtures-'));
  try {
    await verifyIn(scratchDir, runtime, models);
    await verifyHf(runtime, scratchDir);
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
  const extra = [
    ...(await listFiles(MODELS_DIR)),
    ...(await listFiles(GOLDEN_DIR)),
    ...(await listFiles(HF_MODELS_DIR)),
  ].filter((p) => !files.has(p));
  return [...stale, ...extra.map((p) => `${relative(ROOT, p)} (not generated)`)];
}

async function main(): Promise<void> {
  const checkOnly = process.argv.includes('--check');
  const models = fixtureModels();
  const files = await renderFiles(models);
  const modelBytes = [...files]
    .filter(([p]) => p.startsWith(MODELS_DIR) || p.startsWith(HF_MODELS_DIR))
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
  await rm(HF_MODELS_DIR, { recursive: true, force: true });
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
