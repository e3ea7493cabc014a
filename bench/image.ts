/**
 * `npx tsx bench/image.ts` — image /v1/analyze latency, before and after moving the image models
 * off the event loop, measured in ONE process on one machine so the two can be compared as ratios:
 *
 *  A. "in-process": the library engines on the main thread, as before (Human nanodet, nsfwjs,
 *     face-api on the process's tfjs-wasm; Tesseract in its own worker as always);
 *  B. "served + workers": the NSFW and NanoDet models served by the inference service from
 *     models/bundled on the tfjs worker runtime (a worker thread per instance), face-api in a
 *     worker thread of its own, Tesseract as before.
 *
 * Both run what the image-default pipeline runs (decode, then quality, colours, nsfw, objects,
 * faces and OCR concurrently, as the pipeline's independent steps) and what image-moderation runs
 * (decode + nsfw) through the image module's analyzers — without the pipeline's per-step
 * timeouts, which on a loaded machine would cut the slow runs short and hide them — on the darknet
 * dog photo (test/fixtures/images/dog.jpg, 768×576), sequentially, in interleaved rounds (A, B, A, B …)
 * so drifting load on a shared machine hits both alike. Also measured: how long the event loop was
 * blocked (monitorEventLoopDelay over the runs), which is what other requests wait for, and a
 * concurrent run (4 requests at a time) for throughput.
 *
 * Flags: --quick (fewer runs), --write (replace the image block of docs/benchmarks.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSystemClock } from '../src/adapters/clock-system/system-clock.js';
import {
  FaceApiFaces,
  HumanObjectDetector,
  NsfwjsClassifier,
  WorkerFaceApiFaces,
} from '../src/adapters/image-tfjs/index.js';
import { SharpImageDecoder } from '../src/adapters/media-sharp/index.js';
import { TesseractOcr } from '../src/adapters/ocr-tesseract/index.js';
import { createFsModelSource } from '../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../src/adapters/runtime-onnx/onnx-runtime.js';
import { WorkerTfjsRuntime } from '../src/adapters/runtime-tfjs/index.js';
import { createImageModule } from '../src/analysis/image.js';
import { AnalysisService } from '../src/analysis/service.js';
import { silentLogger } from '../src/core/ports/logger.js';
import { noopServingMetrics } from '../src/core/ports/metrics.js';
import {
  ServedNsfwClassifier,
  ServedObjectDetector,
  type ImageAnalyzers,
  type ImageTask,
} from '../src/modalities/image/index.js';
import { loadPolicyDirectory } from '../src/safety/load.js';
import { KaleidoInferenceService } from '../src/serving/inference-service.js';
import { ModelManager } from '../src/serving/model-manager.js';
import { describeMachine, machineLine } from './lib/report.js';

const ROOT = join(import.meta.dirname, '..');
const args = parseArgs({
  options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } },
}).values;
const quick = args.quick === true;
const ROUNDS = quick ? 2 : 4;
const PER_ROUND = quick ? 4 : 8;
const CONCURRENT = quick ? 8 : 16;
const log = (s: string) => process.stderr.write(`[bench:image] ${s}\n`);

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
};

interface Variant {
  readonly name: string;
  readonly image: ImageAnalyzers;
  readonly close: () => Promise<void>;
  readonly default: number[];
  readonly moderation: number[];
  /** Event-loop delay samples' max and p99 across the sequential runs (ms). */
  loopMax: number;
  loopP99: number;
  concurrentMs: number;
  stagesMs: Record<string, number[]>;
  /** Analyzer runs that failed, over the sequential all-six runs. */
  failedStages: number;
}

async function build(name: string, served: boolean): Promise<Variant> {
  const clock = createSystemClock();
  const service = new AnalysisService({ clock, policies: await loadPolicyDirectory(join(ROOT, 'policies')) });
  let manager: ModelManager | undefined;
  if (served) {
    manager = new ModelManager({
      source: createFsModelSource([join(ROOT, 'models', 'bundled')]),
      runtime: new OnnxRuntime(),
      runtimes: [new WorkerTfjsRuntime()],
      clock,
      epochMs: Date.now,
      metrics: noopServingMetrics,
      logger: silentLogger,
      defaultIntraOpThreads: 1,
      defaultInterOpThreads: 1,
    });
    await manager.load('nsfw_mobilenet_v2');
    await manager.load('object_nanodet');
  }
  const inference =
    manager &&
    new KaleidoInferenceService(manager, {
      name: 'bench',
      version: '0',
      clock,
      epochMs: Date.now,
      metrics: noopServingMetrics,
    });
  inference?.markStartupComplete();
  const module = createImageModule({
    decoder: new SharpImageDecoder(),
    objects: inference ? new ServedObjectDetector(inference) : new HumanObjectDetector(),
    faces: served ? new WorkerFaceApiFaces() : new FaceApiFaces(),
    nsfw: inference ? new ServedNsfwClassifier(inference) : new NsfwjsClassifier(),
    ocr: new TesseractOcr({ workers: 1 }),
  });
  service.register(module);
  const report = await service.init();
  const down = report.filter((a) => a.modality === 'image' && !a.available);
  if (down.length > 0) throw new Error(`${name}: unavailable ${JSON.stringify(down)}`);
  return {
    name,
    image: module.image,
    close: async () => {
      await service.close();
      await manager?.shutdown();
    },
    default: [],
    moderation: [],
    loopMax: 0,
    loopP99: 0,
    concurrentMs: 0,
    stagesMs: {},
    failedStages: 0,
  };
}

const bytes = new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'dog.jpg')));
const ALL: readonly ImageTask[] = ['quality', 'colours', 'nsfw', 'objects', 'faces', 'ocr'];
interface Stage {
  readonly name: string;
  readonly ms: number;
  readonly error?: string;
}
/** Decode once, then the tasks concurrently (as the pipeline's independent steps run). */
async function analyze(v: Variant, tasks: readonly ImageTask[] = ALL): Promise<{ stages: Stage[] }> {
  const input = await v.image.prepare(bytes);
  const stages = await Promise.all(
    tasks.map(async (task): Promise<Stage> => {
      const t0 = performance.now();
      try {
        await v.image.run(task, input);
        return { name: task, ms: performance.now() - t0 };
      } catch (e) {
        return { name: task, ms: performance.now() - t0, error: (e as Error).message };
      }
    }),
  );
  return { stages };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(machineLine(machine));
  log('loading A (in-process engines)');
  const a = await build('in-process (main thread)', false);
  log('loading B (served models + worker threads)');
  const b = await build('served + worker threads', true);
  const variants = [a, b];
  for (const v of variants) for (let i = 0; i < 3; i++) await analyze(v); // warm
  const histograms = new Map(variants.map((v) => [v, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      for (let i = 0; i < PER_ROUND; i++) {
        const t = performance.now();
        const r = await analyze(v);
        v.default.push(performance.now() - t);
        for (const s of r.stages) (v.stagesMs[s.name] ??= []).push(s.ms);
        const failed = r.stages.filter((s) => s.error !== undefined);
        v.failedStages += failed.length;
        if (failed.length > 0)
          log(`${v.name}: failed: ${failed.map((s) => `${s.name} (${s.error ?? ''})`).join(', ')}`);
      }
      for (let i = 0; i < PER_ROUND; i++) {
        const t = performance.now();
        await analyze(v, ['nsfw']);
        v.moderation.push(performance.now() - t);
      }
      h.disable();
      v.loopMax = Math.max(v.loopMax, h.max / 1e6);
      histograms.get(v)?.push(h.percentile(99) / 1e6);
      log(`round ${round + 1}/${ROUNDS} ${v.name}: default median ${quantile(v.default, 0.5).toFixed(0)} ms`);
    }
  }
  for (const v of variants) v.loopP99 = Math.max(...(histograms.get(v) ?? [NaN]));
  for (const v of variants) {
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = w; i < CONCURRENT; i += 4) await analyze(v);
      }),
    );
    v.concurrentMs = performance.now() - t;
  }
  for (const v of variants) await v.close();

  const f = (x: number) => x.toFixed(0);
  const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) : '–');
  const rows = variants.map(
    (v) =>
      `| ${v.name} | ${v.default.length} | ${f(quantile(v.default, 0.5))} | ${f(quantile(v.default, 0.99))} | ` +
      `${f(quantile(v.moderation, 0.5))} | ${f(quantile(v.moderation, 0.99))} | ${f(v.loopP99)} | ${f(v.loopMax)} | ` +
      `${((CONCURRENT / v.concurrentMs) * 1000).toFixed(2)} | ${v.failedStages} |`,
  );
  const stages = ['nsfw', 'objects', 'faces', 'ocr', 'quality', 'colours'];
  const stageRows = variants.map(
    (v) => `| ${v.name} | ${stages.map((s) => f(quantile(v.stagesMs[s] ?? [], 0.5))).join(' | ')} |`,
  );
  const md = [
    `### Image analysis latency (\`npx tsx bench/image.ts${quick ? ' --quick' : ''}\`)`,
    '',
    `${machineLine(machine)}. One process, both variants loaded, interleaved rounds; dog.jpg (768×576 JPEG), decode included. Times in ms.`,
    '',
    '| Variant | runs | all six analyzers median | all six p99 | nsfw only median | nsfw only p99 | event-loop delay p99 | event-loop delay max | throughput, 4 concurrent (req/s) | failed analyses |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Ratios B/A: all six median ${ratio(quantile(b.default, 0.5), quantile(a.default, 0.5))}, p99 ${ratio(quantile(b.default, 0.99), quantile(a.default, 0.99))}; nsfw-only median ${ratio(quantile(b.moderation, 0.5), quantile(a.moderation, 0.5))}; event-loop delay max ${ratio(b.loopMax, a.loopMax)}; concurrent throughput ${ratio(a.concurrentMs, b.concurrentMs)}× of A.`,
    '',
    'Median wall time per analyzer when all six run (concurrently, so they overlap):',
    '',
    `| Variant | ${stages.join(' | ')} |`,
    `| --- | ${stages.map(() => '---').join(' | ')} |`,
    ...stageRows,
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (args.write === true) {
    const { readFileSync: read, writeFileSync } = await import('node:fs');
    const path = join(ROOT, 'docs', 'benchmarks.md');
    const START = '<!-- bench:image:start (written by `npx tsx bench/image.ts --write`) -->';
    const END = '<!-- bench:image:end -->';
    const cur = read(path, 'utf8');
    const s = cur.indexOf(START);
    const e = cur.indexOf(END);
    const block = `${START}\n${md}\n${END}`;
    writeFileSync(
      path,
      s >= 0 && e > s
        ? cur.slice(0, s) + block + cur.slice(e + END.length)
        : `${cur.trimEnd()}\n\n${block}\n`,
    );
    log(`wrote ${path}`);
  }
}

await main();
