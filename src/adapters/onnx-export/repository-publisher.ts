/**
 * Publishes trained heads into a Triton-layout model repository on the local file system:
 *
 *   <repository>/<model>/config.json       (written with the first version; later versions must match it)
 *   <repository>/<model>/labels.txt        (class names, one per line, in output order)
 *   <repository>/<model>/<version>/model.onnx
 *
 * Versions are immutable: an existing version directory is never overwritten. The new version is
 * assembled in a hidden staging directory, loaded with onnxruntime and checked against the
 * TypeScript forward pass (max |Δp| ≤ 1e-5) before one rename makes it visible, so the server never
 * sees a half-written or wrong model. Load it with POST /v2/repository/models/{model}/load.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KaleidoError } from '../../core/errors.js';
import type { HeadPublisher, PublishedModel, PublishTarget } from '../../core/ports/training-jobs.js';
import { deriveSeed, Rng } from '../../core/random.js';
import { predictProba } from '../../core/train/trainer.js';
import type { TrainedHead } from '../../core/train/types.js';
import { OnnxRuntime } from '../runtime-onnx/onnx-runtime.js';
import { exportHeadToOnnx, HEAD_INPUT_NAME, HEAD_OUTPUT_NAME } from './head-to-onnx.js';

export interface RepositoryPublisherOptions {
  readonly repositoryDir: string;
  readonly maxBatchSize?: number;
  readonly preferredBatchSizes?: readonly number[];
  readonly maxQueueDelayMs?: number;
  /** Largest tolerated |p_onnx − p_ts| over the probe rows (default 1e-5). */
  readonly tolerance?: number;
}

/** Model names become directory names: keep them portable and free of traversal. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LABELS_FILE = 'labels.txt';
const STAGING_PREFIX = '.staging-';

/** The Triton-style config.json of a head model (same shape as models/fixtures/*). */
export function headModelConfig(
  modelName: string,
  head: TrainedHead,
  options: Pick<RepositoryPublisherOptions, 'maxBatchSize' | 'preferredBatchSizes' | 'maxQueueDelayMs'> = {},
): Record<string, unknown> {
  const maxBatchSize = options.maxBatchSize ?? 64;
  return {
    name: modelName,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: maxBatchSize,
    input: [{ name: HEAD_INPUT_NAME, data_type: 'TYPE_FP32', dims: [head.inputDim] }],
    output: [
      {
        name: HEAD_OUTPUT_NAME,
        data_type: 'TYPE_FP32',
        dims: [head.classes.length],
        label_filename: LABELS_FILE,
      },
    ],
    dynamic_batching: {
      preferred_batch_sizes: (options.preferredBatchSizes ?? [8, 16, 32]).filter((b) => b <= maxBatchSize),
      max_queue_delay_ms: options.maxQueueDelayMs ?? 2,
      max_queue_size: 1024,
    },
    instance_group: [{ count: 1, kind: 'KIND_CPU' }],
    parameters: {
      intra_op_thread_count: '1',
      inter_op_thread_count: '1',
      head_kind: head.kind,
      description: `${head.kind} head trained by Kaleido on ${head.inputDim} features`,
    },
  };
}

/**
 * Probe rows for the export check: around the training distribution when the head is standardised
 * (mean ± 2 std), else in [−1, 1]; seeded, so the check is reproducible.
 */
export function probeRows(head: TrainedHead, rows = 16): Float32Array {
  const rng = new Rng(deriveSeed('onnx-export-probe', head.inputDim, head.classes.length));
  const x = new Float32Array(rows * head.inputDim);
  const s = head.standardization;
  for (let i = 0; i < x.length; i++) {
    const j = i % head.inputDim;
    x[i] = s ? (s.mean[j] as number) + 2 * (s.std[j] as number) * rng.uniform(-1, 1) : rng.uniform(-1, 1);
  }
  return x;
}

/**
 * Loads `modelPath` with onnxruntime, runs `x` and returns the largest |p_onnx − p_ts| against the
 * TypeScript forward pass; throws ERR_INTERNAL when it exceeds `tolerance`.
 */
export async function verifyOnnxHead(
  modelPath: string,
  head: TrainedHead,
  x: Float32Array,
  tolerance = 1e-5,
): Promise<number> {
  const session = await new OnnxRuntime().load(modelPath, { intraOpThreads: 1, interOpThreads: 1 });
  try {
    const rows = x.length / head.inputDim;
    const [out] = await session.run(
      [{ name: HEAD_INPUT_NAME, datatype: 'FP32', shape: [rows, head.inputDim], data: x }],
      [HEAD_OUTPUT_NAME],
    );
    const expected = predictProba(head, x);
    const got = out?.data;
    if (!(got instanceof Float32Array) || got.length !== expected.length) {
      throw new KaleidoError(
        'ERR_INTERNAL',
        'the exported head returned an output of the wrong type or size',
      );
    }
    let worst = 0;
    for (let i = 0; i < got.length; i++)
      worst = Math.max(worst, Math.abs((got[i] as number) - (expected[i] as number)));
    if (!(worst <= tolerance)) {
      throw new KaleidoError('ERR_INTERNAL', `the exported head disagrees with the trained one by ${worst}`, {
        details: { maxAbsDifference: worst, tolerance },
      });
    }
    return worst;
  } finally {
    await session.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Writes a small file atomically (temporary file + rename in the same directory). */
async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { flag: 'wx' });
  await rename(tmp, path);
}

export class OnnxRepositoryPublisher implements HeadPublisher {
  private readonly options: RepositoryPublisherOptions;

  constructor(options: RepositoryPublisherOptions) {
    if (typeof options?.repositoryDir !== 'string' || options.repositoryDir === '') {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the model repository directory must be a non-empty path', {
        details: { field: 'repositoryDir' },
      });
    }
    this.options = options;
  }

  async publish(head: TrainedHead, target: PublishTarget): Promise<PublishedModel> {
    const name = target.modelName;
    if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
      throw new KaleidoError('ERR_VALIDATION', 'model names are 1–128 letters, digits, "_", "." or "-"', {
        details: { field: 'modelName', value: String(name).slice(0, 200) },
      });
    }
    if (head.classes.some((c) => /[\r\n]/.test(c) || c === '')) {
      throw new KaleidoError('ERR_VALIDATION', 'class names must be non-empty and on one line (labels.txt)', {
        details: { field: 'classes' },
      });
    }
    const modelDir = join(this.options.repositoryDir, name);
    await mkdir(modelDir, { recursive: true });
    const config = headModelConfig(name, head, this.options);
    const labels = `${head.classes.join('\n')}\n`;
    await this.checkCompatible(modelDir, name, config, labels);

    const versions = (await readdir(modelDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && /^[0-9]+$/.test(e.name))
      .map((e) => Number(e.name));
    const version = target.version ?? Math.max(0, ...versions) + 1;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new KaleidoError('ERR_VALIDATION', 'versions are positive integers', {
        details: { field: 'version', value: version },
      });
    }
    const versionDir = join(modelDir, String(version));
    if (await exists(versionDir)) {
      throw new KaleidoError(
        'ERR_ALREADY_EXISTS',
        `model ${name} already has a version ${version}; versions are immutable`,
        {
          details: { model: name, version },
        },
      );
    }

    const bytes = exportHeadToOnnx(head, { graphName: name });
    const staging = join(modelDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    await mkdir(staging);
    try {
      const modelPath = join(staging, 'model.onnx');
      await writeFile(modelPath, bytes, { flag: 'wx' });
      await verifyOnnxHead(modelPath, head, probeRows(head), this.options.tolerance ?? 1e-5);
      if (!(await exists(join(modelDir, 'config.json')))) {
        await writeAtomic(join(modelDir, LABELS_FILE), labels);
        await writeAtomic(join(modelDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      }
      // rename fails if the target appeared meanwhile (a concurrent publish of the same version).
      await rename(staging, versionDir);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      if (
        (e as NodeJS.ErrnoException).code === 'ENOTEMPTY' ||
        (e as NodeJS.ErrnoException).code === 'EEXIST'
      ) {
        throw new KaleidoError(
          'ERR_ALREADY_EXISTS',
          `model ${name} version ${version} was published concurrently`,
          {
            details: { model: name, version },
          },
        );
      }
      throw e;
    }
    return {
      modelName: name,
      version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      location: join(versionDir, 'model.onnx'),
    };
  }

  /** A new version must keep the model's signature and labels (they live in the shared config). */
  private async checkCompatible(
    modelDir: string,
    name: string,
    config: Record<string, unknown>,
    labels: string,
  ): Promise<void> {
    const configPath = join(modelDir, 'config.json');
    if (!(await exists(configPath))) return;
    const existing = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    const sig = (c: Record<string, unknown>): string => JSON.stringify([c['input'], c['output']]);
    const existingLabels = await readFile(join(modelDir, LABELS_FILE), 'utf8').catch(() => '');
    if (sig(existing) !== sig(config) || existingLabels !== labels) {
      throw new KaleidoError(
        'ERR_ALREADY_EXISTS',
        `model ${name} exists with another signature or other labels; publish under a new model name`,
        { details: { model: name } },
      );
    }
  }
}
