/**
 * `npx tsx bench/image.ts` — image /v1/analyze latency per pipeline, as the server runs it: the
 * NSFW and NanoDet models served by the inference service from models/bundled on the tfjs worker
 * runtime (a worker thread per instance), face-api in a worker thread of its own, Tesseract in its
 * worker, quality and colours on the main thread; requests go through the real AnalysisService
 * (content sniffing, decode, the pipeline's steps with their timeouts, the safety policy), i.e.
 * everything but HTTP.
 *
 * Measured in ONE process on one machine so pipelines compare as ratios, in interleaved rounds
 * (default, full, moderation, default, …) so drifting load on a shared machine hits all alike:
 *  - sequential requests (concurrency 1) per pipeline;
 *  - image-default at concurrency 2 (a closed loop of two clients: as many requests in flight as
 *    the machine has cores), which is the latency target's condition;
 *  - the event-loop delay during the sequential runs (what any other request waits for).
 * Input: the darknet dog photo (test/fixtures/images/dog.jpg, 768×576 JPEG).
 *
 * Flags: --quick (fewer runs), --write (replace the image block of docs/benchmarks.md).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSystemClock } from '../src/adapters/clock-system/system-clock.js';
import { WorkerFaceApiFaces } from '../src/adapters/image-tfjs/index.js';
import { SharpImageDecoder } from '../src/adapters/media-sharp/index.js';
import { TesseractOcr } from '../src/adapters/ocr-tesseract/index.js';
import { createFsModelSource } from '../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../src/adapters/runtime-onnx/onnx-runtime.js';
import { WorkerTfjsRuntime } from '../src/adapters/runtime-tfjs/index.js';
import { createImageModule } from '../src/analysis/image.js';
import { AnalysisService } from '../src/analysis/service.js';
import { silentLogger } from '../src/core/ports/logger.js';
import { noopServingMetrics } from '../src/core/ports/metrics.js';
import { ServedNsfwClassifier, ServedObjectDetector } from '../src/modalities/image/index.js';
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
/** Requests in the concurrency-2 run of image-default. */
const CONCURRENT_REQUESTS = quick ? 16 : 40;
const log = (s: string) => process.stderr.write(`[bench:image] ${s}\n`);

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
};

const PIPELINES = ['image-default', 'image-full', 'image-moderation'] as const;
type PipelineName = (typeof PIPELINES)[number];

interface Series {
  readonly ms: number[];
  readonly stagesMs: Record<string, number[]>;
  /** Steps that did not finish ok (timed out, failed), over all runs. */
  failedStages: number;
  loopP99: number;
  loopMax: number;
}
const series = (): Series => ({ ms: [], stagesMs: {}, failedStages: 0, loopP99: 0, loopMax: 0 });

/**
 * The server's arrangement. `objectInstances` overrides the instance count of object_nanodet
 * (from a scratch copy of the two bundled model directories) for the instance A/B; without it,
 * models/bundled as committed. `full` adds the face and OCR engines.
 */
async function build(
  options: { objectInstances?: number; full?: boolean } = {},
): Promise<{ service: AnalysisService; close: () => Promise<void> }> {
  const clock = createSystemClock();
  const service = new AnalysisService({ clock, policies: await loadPolicyDirectory(join(ROOT, 'policies')) });
  let repo = join(ROOT, 'models', 'bundled');
  let scratch: string | undefined;
  if (options.objectInstances !== undefined) {
    // The weights (models/bundled/<name>/1/) are put there by `npm run setup`.
    scratch = mkdtempSync(join(tmpdir(), 'kaleido-bench-image-'));
    for (const m of ['nsfw_mobilenet_v2', 'object_nanodet'])
      cpSync(join(repo, m), join(scratch, m), { recursive: true });
    const configPath = join(scratch, 'object_nanodet', 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      instance_group: Array<{ count: number }>;
    };
    for (const g of config.instance_group) g.count = options.objectInstances;
    writeFileSync(configPath, JSON.stringify(config));
    repo = scratch;
  }
  const manager = new ModelManager({
    source: createFsModelSource([repo]),
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
  const inference = new KaleidoInferenceService(manager, {
    name: 'bench',
    version: '0',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  inference.markStartupComplete();
  service.register(
    createImageModule({
      decoder: new SharpImageDecoder(),
      objects: new ServedObjectDetector(inference),
      nsfw: new ServedNsfwClassifier(inference),
      ...(options.full === false
        ? {}
        : { faces: new WorkerFaceApiFaces(), ocr: new TesseractOcr({ workers: 1 }) }),
    }),
  );
  const report = await service.init();
  const needed =
    options.full === false ? ['image/quality', 'image/colours', 'image/nsfw', 'image/objects'] : undefined;
  const down = report.filter(
    (a) => a.modality === 'image' && !a.available && (needed === undefined || needed.includes(a.id)),
  );
  if (down.length > 0) throw new Error(`unavailable ${JSON.stringify(down)}`);
  return {
    service,
    close: async () => {
      await service.close();
      await manager.shutdown();
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

const bytes = new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'dog.jpg')));

async function analyze(service: AnalysisService, pipeline: PipelineName, into: Series): Promise<void> {
  const t = performance.now();
  const r = await service.analyze({ kind: 'bytes', bytes }, { pipeline });
  into.ms.push(performance.now() - t);
  for (const s of r.stages) {
    if (s.name === 'safety') continue;
    (into.stagesMs[s.name] ??= []).push(s.ms);
    if (s.status !== 'ok') {
      into.failedStages++;
      log(`${pipeline}: ${s.name} ${s.status} (${s.error ?? ''})`);
    }
  }
}

/** image-default with two requests always in flight (a closed loop of two clients). */
async function concurrent2(service: AnalysisService, requests: number, into: Series): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < requests) {
        next++;
        await analyze(service, 'image-default', into);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(machineLine(machine));
  const committed = JSON.parse(
    readFileSync(join(ROOT, 'models', 'bundled', 'object_nanodet', 'config.json'), 'utf8'),
  ) as { instance_group: Array<{ count: number }> };
  const instances = committed.instance_group[0]?.count ?? 1;
  const primary = await build();
  // The A/B of object_nanodet instances at concurrency 2: the other count, image-default only.
  const otherInstances = instances === 1 ? 2 : 1;
  const other = await build({ objectInstances: otherInstances, full: false });
  const { service } = primary;
  const runs = Object.fromEntries(PIPELINES.map((p) => [p, series()])) as Record<PipelineName, Series>;
  for (const p of PIPELINES) for (let i = 0; i < 2; i++) await analyze(service, p, series()); // warm
  for (let i = 0; i < 2; i++) await analyze(other.service, 'image-default', series());
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of PIPELINES) {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      for (let i = 0; i < PER_ROUND; i++) await analyze(service, p, runs[p]);
      h.disable();
      runs[p].loopMax = Math.max(runs[p].loopMax, h.max / 1e6);
      runs[p].loopP99 = Math.max(runs[p].loopP99, h.percentile(99) / 1e6);
      log(`round ${round + 1}/${ROUNDS} ${p}: median ${quantile(runs[p].ms, 0.5).toFixed(0)} ms`);
    }
  }
  // Concurrency 2, interleaved between the two instance counts.
  const c2 = series();
  const c2Other = series();
  let c2Seconds = 0;
  let c2OtherSeconds = 0;
  const perRound = Math.ceil(CONCURRENT_REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    c2Seconds += await concurrent2(service, perRound, c2);
    c2OtherSeconds += await concurrent2(other.service, perRound, c2Other);
    log(
      `round ${round + 1}/${ROUNDS} c=2: median ${quantile(c2.ms, 0.5).toFixed(0)} ms (×${instances}), ` +
        `${quantile(c2Other.ms, 0.5).toFixed(0)} ms (×${otherInstances})`,
    );
  }
  await primary.close();
  await other.close();

  const f = (x: number) => x.toFixed(0);
  const row = (name: string, conc: number, s: Series, rps?: number) =>
    `| ${name} | ${conc} | ${s.ms.length} | ${f(quantile(s.ms, 0.5))} | ${f(quantile(s.ms, 0.95))} | ` +
    `${f(quantile(s.ms, 0.99))} | ${rps === undefined ? '–' : rps.toFixed(2)} | ` +
    `${conc === 1 ? `${f(s.loopP99)} / ${f(s.loopMax)}` : '–'} | ${s.failedStages} |`;
  const stages = ['quality', 'colours', 'nsfw', 'objects', 'faces', 'ocr'];
  const stageRow = (name: string, s: Series) =>
    `| ${name} | ${stages.map((st) => (s.stagesMs[st] ? f(quantile(s.stagesMs[st], 0.5)) : '–')).join(' | ')} |`;
  const d = quantile(runs['image-default'].ms, 0.5);
  const md = [
    `### Image analysis latency (\`npx tsx bench/image.ts${quick ? ' --quick' : ''}\`)`,
    '',
    `${machineLine(machine)}. One process, the server's arrangement (served models in worker threads, ` +
      `object_nanodet with ${instances} instance(s) as committed; the ×${otherInstances} rows are the A/B), ` +
      'through AnalysisService (sniff, decode, steps with their timeouts, policy); interleaved rounds; ' +
      'dog.jpg (768×576 JPEG). Times in ms.',
    '',
    '| Pipeline | concurrency | runs | median | p95 | p99 | throughput (req/s) | event-loop delay p99 / max | steps not ok |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row('image-default (quality, colours, nsfw, objects)', 1, runs['image-default']),
    row(`image-default, object_nanodet ×${instances}`, 2, c2, c2.ms.length / c2Seconds),
    row(`image-default, object_nanodet ×${otherInstances}`, 2, c2Other, c2Other.ms.length / c2OtherSeconds),
    row('image-full (+ faces, ocr)', 1, runs['image-full']),
    row('image-moderation (nsfw)', 1, runs['image-moderation']),
    '',
    `Ratios of medians (concurrency 1): image-full / image-default ${(quantile(runs['image-full'].ms, 0.5) / d).toFixed(2)}, ` +
      `image-moderation / image-default ${(quantile(runs['image-moderation'].ms, 0.5) / d).toFixed(2)}.`,
    '',
    'Median wall time per step (steps of one request run concurrently, so they overlap):',
    '',
    `| Pipeline | ${stages.join(' | ')} |`,
    `| --- | ${stages.map(() => '---').join(' | ')} |`,
    stageRow('image-default, c=1', runs['image-default']),
    stageRow(`image-default, c=2, nanodet ×${instances}`, c2),
    stageRow(`image-default, c=2, nanodet ×${otherInstances}`, c2Other),
    stageRow('image-full, c=1', runs['image-full']),
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
