/**
 * The served image models as the server runs them (ModelManager + the tfjs worker runtime, a
 * worker thread per instance), with NanoDet at several input sides side by side: a scratch
 * repository holds `object_nanodet_<side>` per side, each written from models/bundled/object_nanodet
 * by scripts/nanodet-input-size.mjs (the same weights; the graph's size constants re-sized), and a
 * copy of `nsfw_mobilenet_v2`. For the input-side evaluation and benchmark
 * (scripts/eval/image-object-side.ts, bench/image-object-side.ts), so sides compare in one process.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { createFsModelSource } from '../../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import { WorkerTfjsRuntime } from '../../src/adapters/runtime-tfjs/index.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { noopServingMetrics } from '../../src/core/ports/metrics.js';
import { KaleidoInferenceService } from '../../src/serving/inference-service.js';
import { ModelManager } from '../../src/serving/model-manager.js';
import { writeNanodetAtSide } from '../../scripts/nanodet-input-size.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

export interface NanodetSides {
  readonly inference: KaleidoInferenceService;
  /** Repository model name per input side. */
  readonly modelOf: (side: number) => string;
  close(): Promise<void>;
}

export async function servedNanodetSides(sides: readonly number[]): Promise<NanodetSides> {
  const bundled = join(ROOT, 'models', 'bundled');
  const scratch = mkdtempSync(join(tmpdir(), 'kaleido-nanodet-sides-'));
  const modelOf = (side: number): string => `object_nanodet_${side}`;
  try {
    // The weights (models/bundled/<name>/1/) are put there by `npm run setup`.
    cpSync(join(bundled, 'nsfw_mobilenet_v2'), join(scratch, 'nsfw_mobilenet_v2'), { recursive: true });
    for (const side of sides) {
      writeNanodetAtSide(join(bundled, 'object_nanodet'), join(scratch, modelOf(side)), side, modelOf(side));
    }
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
  const clock = createSystemClock();
  const manager = new ModelManager({
    source: createFsModelSource([scratch]),
    runtime: new OnnxRuntime(),
    runtimes: [new WorkerTfjsRuntime()],
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  const close = async (): Promise<void> => {
    await manager.shutdown();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await manager.load('nsfw_mobilenet_v2');
    for (const side of sides) await manager.load(modelOf(side));
  } catch (e) {
    await close();
    throw e;
  }
  const inference = new KaleidoInferenceService(manager, {
    name: 'nanodet-sides',
    version: '0',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  inference.markStartupComplete();
  return { inference, modelOf, close };
}
