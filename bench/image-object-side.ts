/**
 * `npx tsx bench/image-object-side.ts [--quick] [--sides 416,352,320]` — the NanoDet input side's
 * effect on latency, as the server runs it: for each side, an AnalysisService over the served
 * models (bench/lib/nanodet-sides.ts: ModelManager + tfjs worker runtime, object_nanodet re-sized
 * per side, one instance each as committed), requests through sniffing, decode, the steps and the
 * policy (everything but HTTP), on the darknet dog photo (768×576 JPEG).
 *
 * Interleaved rounds (side A, side B, …, side A, …) so drifting load on a shared machine hits all
 * sides alike; per side: objects alone (`tasks: ['objects']`) and image-default at concurrency 1,
 * then image-default at concurrency 2 (a closed loop of two clients, the latency target's
 * condition). Prints a markdown table; docs/benchmarks.md quotes it by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSystemClock } from '../src/adapters/clock-system/system-clock.js';
import { SharpImageDecoder } from '../src/adapters/media-sharp/index.js';
import { createImageModule } from '../src/analysis/image.js';
import { AnalysisService } from '../src/analysis/service.js';
import type { AnalyzeRequest } from '../src/analysis/types.js';
import { ServedNsfwClassifier, ServedObjectDetector } from '../src/modalities/image/index.js';
import { loadPolicyDirectory } from '../src/safety/load.js';
import { servedNanodetSides } from './lib/nanodet-sides.js';
import { currentLoadAverage, describeMachine, machineLine } from './lib/report.js';

const ROOT = join(import.meta.dirname, '..');
const args = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sides: { type: 'string', default: '416,352,320' },
  },
}).values;
const quick = args.quick === true;
const sides = (args.sides ?? '').split(',').map(Number);
const ROUNDS = quick ? 3 : 5;
const PER_ROUND = quick ? 6 : 10;
const log = (s: string) => process.stderr.write(`[bench:image-object-side] ${s}\n`);

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
};

interface Series {
  readonly ms: number[];
  readonly objectsMs: number[];
  failed: number;
  seconds: number;
}
const series = (): Series => ({ ms: [], objectsMs: [], failed: 0, seconds: 0 });

const bytes = new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'dog.jpg')));

async function analyze(service: AnalysisService, request: AnalyzeRequest, into: Series): Promise<void> {
  const t = performance.now();
  const r = await service.analyze({ kind: 'bytes', bytes }, request);
  into.ms.push(performance.now() - t);
  for (const s of r.stages) {
    if (s.name === 'objects') into.objectsMs.push(s.ms);
    if (s.name !== 'safety' && s.status !== 'ok') into.failed++;
  }
}

async function concurrent2(service: AnalysisService, requests: number, into: Series): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < requests) {
        next++;
        await analyze(service, { pipeline: 'image-default' }, into);
      }
    }),
  );
  into.seconds += (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(machineLine(machine));
  const served = await servedNanodetSides(sides);
  const policies = await loadPolicyDirectory(join(ROOT, 'policies'));
  const services = new Map<number, AnalysisService>();
  for (const side of sides) {
    const service = new AnalysisService({ clock: createSystemClock(), policies });
    service.register(
      createImageModule({
        decoder: new SharpImageDecoder(),
        objects: new ServedObjectDetector(served.inference, { model: served.modelOf(side) }),
        nsfw: new ServedNsfwClassifier(served.inference),
      }),
    );
    const report = await service.init();
    const down = report.filter(
      (a) => a.modality === 'image' && !a.available && ['image/nsfw', 'image/objects'].includes(a.id),
    );
    if (down.length > 0) throw new Error(`unavailable at ${side}: ${JSON.stringify(down)}`);
    services.set(side, service);
  }
  const objects = new Map(sides.map((s) => [s, series()]));
  const seq = new Map(sides.map((s) => [s, series()]));
  const c2 = new Map(sides.map((s) => [s, series()]));
  for (const s of sides) {
    for (let i = 0; i < 2; i++) await analyze(services.get(s)!, { pipeline: 'image-default' }, series()); // warm
  }
  const loadBefore = currentLoadAverage();
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of sides) {
      const service = services.get(s)!;
      for (let i = 0; i < PER_ROUND; i++) await analyze(service, { tasks: ['objects'] }, objects.get(s)!);
      for (let i = 0; i < PER_ROUND; i++) await analyze(service, { pipeline: 'image-default' }, seq.get(s)!);
      await concurrent2(service, PER_ROUND, c2.get(s)!);
    }
    log(
      `round ${round + 1}/${ROUNDS}: ` +
        sides
          .map((s) => `${s}: default c=1 median ${quantile(seq.get(s)!.ms, 0.5).toFixed(0)} ms`)
          .join(', '),
    );
  }
  const loadAfter = currentLoadAverage();
  for (const s of services.values()) await s.close();
  await served.close();

  const f = (x: number) => x.toFixed(0);
  const row = (side: number, what: string, conc: number, x: Series) =>
    `| ${side} | ${what} | ${conc} | ${x.ms.length} | ${f(quantile(x.ms, 0.5))} | ${f(quantile(x.ms, 0.95))} | ` +
    `${f(quantile(x.ms, 0.99))} | ${f(quantile(x.objectsMs, 0.5))} | ` +
    `${x.seconds > 0 ? (x.ms.length / x.seconds).toFixed(2) : '–'} | ${x.failed} |`;
  const ref = sides[0] as number;
  const ratio = (m: Map<number, Series>, s: number, q: number) =>
    (quantile(m.get(s)!.ms, q) / quantile(m.get(ref)!.ms, q)).toFixed(2);
  const md = [
    `### NanoDet input side (\`npx tsx bench/image-object-side.ts${quick ? ' --quick' : ''}\`)`,
    '',
    `${machineLine(machine)}; load average ${loadBefore} → ${loadAfter} over the measured rounds. ` +
      `One process, ${ROUNDS} interleaved rounds; served models in worker threads, one object_nanodet ` +
      'instance per side; dog.jpg (768×576 JPEG). Times in ms.',
    '',
    '| side | request | concurrency | runs | median | p95 | p99 | objects step median | req/s | steps not ok |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...sides.flatMap((s) => [
      row(s, 'objects alone', 1, objects.get(s)!),
      row(s, 'image-default', 1, seq.get(s)!),
      row(s, 'image-default', 2, c2.get(s)!),
    ]),
    '',
    `Ratios to ${ref} (median / p99): ` +
      sides
        .slice(1)
        .map(
          (s) =>
            `${s}: objects alone ${ratio(objects, s, 0.5)} / ${ratio(objects, s, 0.99)}, ` +
            `image-default c=1 ${ratio(seq, s, 0.5)} / ${ratio(seq, s, 0.99)}, ` +
            `c=2 ${ratio(c2, s, 0.5)} / ${ratio(c2, s, 0.99)}`,
        )
        .join('; ') +
      '.',
  ].join('\n');
  process.stdout.write(`${md}\n`);
}

await main();
