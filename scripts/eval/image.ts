/**
 * Image evaluation: OCR character/word error rates on generated text lines (clean and degraded),
 * objects and faces on photos with known contents from installed packages, NSFW class output on
 * those photos, blur-flag calibration, and warm latency per analyzer and for the whole
 * `image-default` pipeline through the real AnalysisService.
 *
 *   npx tsx scripts/eval/image.ts [--write] [--quick]
 *     --write   replaces the image section of docs/accuracy.md
 *     --quick   fewer latency runs (a smoke run, not for the docs)
 *
 * Data: scripts/eval/image-data.ts (seeded; nothing downloaded).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import sharp from 'sharp';
import { FaceApiFaces, HumanObjectDetector, NsfwjsClassifier } from '../../src/adapters/image-tfjs/index.js';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { SharpImageDecoder } from '../../src/adapters/media-sharp/index.js';
import { TesseractOcr } from '../../src/adapters/ocr-tesseract/index.js';
import { createImageModule } from '../../src/analysis/image.js';
import { AnalysisService } from '../../src/analysis/service.js';
import type { FaceEngine } from '../../src/core/ports/image.js';
import { ImageAnalyzers, type ImageInput, type ImageTask } from '../../src/modalities/image/index.js';
import { loadPolicyDirectory } from '../../src/safety/load.js';
import { DARKNET_DIR, labelledPhotos, ocrSamples, type LabelledPhoto } from './image-data.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = (...a: unknown[]): void => console.error('[eval:image]', ...a);
const pct = (x: number, d = 1): string => `${(100 * x).toFixed(d)}%`;

function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

interface OcrScore {
  readonly cer: number;
  readonly wer: number;
  readonly exact: number;
  readonly lines: number;
  readonly charErrors: number;
  readonly chars: number;
  readonly worst: Array<{ expected: string; got: string }>;
}

function score(pairs: Array<{ expected: string; got: string }>): OcrScore {
  let ce = 0;
  let cn = 0;
  let we = 0;
  let wn = 0;
  let exact = 0;
  const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();
  const errs: Array<{ expected: string; got: string; e: number }> = [];
  for (const p of pairs) {
    const e = norm(p.expected);
    const g = norm(p.got);
    const d = levenshtein([...e], [...g]);
    ce += d;
    cn += e.length;
    we += levenshtein(e.split(' '), g.split(' '));
    wn += e.split(' ').length;
    if (d === 0) exact++;
    else errs.push({ expected: e, got: g, e: d });
  }
  errs.sort((a, b) => b.e - a.e);
  return {
    cer: ce / cn,
    wer: we / wn,
    exact,
    lines: pairs.length,
    charErrors: ce,
    chars: cn,
    worst: errs.slice(0, 3).map(({ expected, got }) => ({ expected, got })),
  };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};

async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { median: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

async function prepareFile(a: ImageAnalyzers, path: string): Promise<ImageInput> {
  return a.prepare(new Uint8Array(readFileSync(path)));
}

/** IoU-free counting: faces found at ≥ the engine's threshold vs faces labelled. */
async function faceEval(
  engineName: string,
  faces: FaceEngine,
  photos: LabelledPhoto[],
  decoder: SharpImageDecoder,
) {
  const a = new ImageAnalyzers({ decoder, faces });
  await a.init();
  const rows: Array<{ id: string; expected: number; found: number; female: number }> = [];
  for (const p of photos.filter((x) => x.faces !== undefined)) {
    const r = await a.run('faces', await prepareFile(a, p.path));
    rows.push({
      id: p.id,
      expected: p.faces ?? 0,
      found: r.faces.length,
      female: r.faces.filter((f) => f.gender === 'female').length,
    });
  }
  const input = await prepareFile(a, join(DARKNET_DIR, 'dog.jpg')).catch(() => undefined);
  const latency = input ? await timed(10, () => a.run('faces', input)) : undefined;
  await a.close();
  const withFaces = rows.filter((r) => r.expected > 0);
  const expected = withFaces.reduce((s, r) => s + r.expected, 0);
  const found = withFaces.reduce((s, r) => s + Math.min(r.found, r.expected), 0);
  const extra = rows.reduce((s, r) => s + Math.max(0, r.found - r.expected), 0);
  const female = withFaces.reduce((s, r) => s + r.female, 0);
  const detected = withFaces.reduce((s, r) => s + r.found, 0);
  return { engineName, rows, expected, found, extra, female, detected, latency };
}

interface Report {
  env: string;
  ocr: { auto: { clean: OcrScore; degraded: OcrScore }; line: { clean: OcrScore; degraded: OcrScore } };
  objects: Array<{
    id: string;
    expected: readonly string[];
    found: string[];
    missing: string[];
    extra: string[];
  }>;
  faces: Awaited<ReturnType<typeof faceEval>>[];
  nsfw: Array<{ id: string; top: string; neutral: number; sexual: number; sexy: number }>;
  blur: { sharp: number[]; blurred: number[]; correct: number; total: number };
  latency: Array<{ path: string; runs: number; median: number; p99: number }>;
  photos: string[];
}

function markdown(r: Report): string {
  const o = r.ocr;
  const ocrRow = (name: string, s: OcrScore, target: string, ok: boolean): string =>
    `| OCR | tesseract.js 7.0.0, eng 4.0.0_best_int (neural LSTM) | ${name} | char accuracy (1 − CER); WER; exact lines | **${pct(1 - s.cer, 2)}** (CER ${pct(s.cer, 2)}, ${s.charErrors}/${s.chars} chars); WER ${pct(s.wer)}; ${s.exact}/${s.lines} exact | ${target} ${ok ? '✅' : '❌'} |`;
  const objFound = r.objects.reduce((s, x) => s + x.expected.length - x.missing.length, 0);
  const objTotal = r.objects.reduce((s, x) => s + x.expected.length, 0);
  const objExtra = r.objects.reduce((s, x) => s + x.extra.length, 0);
  const faceRows = r.faces.map(
    (f) =>
      `| Faces | face-api ${f.engineName} + landmarks + age/gender + expression (neural) | ${r.faces.length > 0 ? 'face-api demo sample1–6 (22 faces, counted by eye) + darknet dog/horses/giraffe/eagle (0 faces)' : ''} | faces found / labelled; extra detections; gender | **${f.found}/${f.expected}** found; ${f.extra} extra; female ${f.female}/${f.detected} detected faces | — (reported) |`,
  );
  const lat = r.latency.map(
    (l) => `| ${l.path} | ${l.runs} | ${l.median.toFixed(1)} | ${l.p99.toFixed(1)} |`,
  );
  return `<!-- image:begin (generated by \`npx tsx scripts/eval/image.ts --write\`; edit the script, not this section) -->

## Image

${r.env}

| Task | Analyzer (method) | Data | Metric | Result | Target |
| --- | --- | --- | --- | --- | --- |
${ocrRow('40 generated lines, clean (layout auto, as /v1/analyze runs it)', o.auto.clean, '≥ 99.5%', 1 - o.auto.clean.cer >= 0.995)}
${ocrRow('same 40 lines, degraded', o.auto.degraded, '≥ 99%', 1 - o.auto.degraded.cer >= 0.99)}
${ocrRow('clean, single-line layout (PSM 7)', o.line.clean, '≥ 99.5%', 1 - o.line.clean.cer >= 0.995)}
${ocrRow('degraded, single-line layout (PSM 7)', o.line.degraded, '≥ 99%', 1 - o.line.degraded.cer >= 0.99)}
| Objects | Human 3.3.6 nanodet, COCO-80, score ≥ 0.3 (neural) | ${r.objects.length} photos: ${r.photos.join(', ')} | labelled classes found; extra classes | **${objFound}/${objTotal}** labelled classes found; ${objExtra} extra classes | — (reported) |
${faceRows.join('\n')}
| NSFW | nsfwjs 4.3.0 MobileNetV2 (neural) | the same ${r.nsfw.length} photos (all non-sexual) | top class; \`sexual\` = Porn + Hentai | ${r.nsfw.filter((n) => n.top === 'Neutral').length}/${r.nsfw.length} Neutral, ${r.nsfw.filter((n) => n.top === 'Sexy').length} Sexy; max sexual ${Math.max(...r.nsfw.map((n) => n.sexual)).toFixed(3)}, max Sexy ${Math.max(...r.nsfw.map((n) => n.sexy)).toFixed(3)} | — (no labelled NSFW data) |
| Blur flag | Laplacian variance at 512 px, threshold 100 (rules) | the same photos, original vs downscaled to 512 px + Gaussian blur σ 2 | correct flags | ${r.blur.correct}/${r.blur.total} | — |

Data: OCR lines come from \`scripts/eval/image-data.ts\` (seed 20260315): 20 Harvard sentences and
20 invoice lines (\`Invoice INV-###### total $###.## due 2024-##-##\`) rendered by sharp/librsvg in
DejaVu Sans, Serif and Sans Mono at 24–36 px; "degraded" = rotated ±1.5°, downscaled to 60%, blur
σ 0.7, Gaussian noise σ 8, JPEG quality 30. CER/WER are Levenshtein distances over characters/words
after collapsing whitespace. Worst degraded lines (auto): ${o.auto.degraded.worst.map((w) => `"${w.expected}" → "${w.got}"`).join('; ') || 'none'}.

Objects per photo (expected → missing / extra classes): ${r.objects.map((x) => `${x.id}: missing ${x.missing.join('+') || '–'}, extra ${x.extra.join('+') || '–'}`).join('; ')}.
Faces per photo (${r.faces[0]?.engineName ?? ''}): ${(r.faces[0]?.rows ?? []).map((x) => `${x.id} ${x.found}/${x.expected}`).join(', ')}.
These photos are few and hand-labelled by what they show: the object and face rows are a
qualitative check that the models work end to end, not a benchmark (no COCO/WIDER set is
obtainable offline). NSFW: no labelled NSFW images exist on this machine, so only the
"neutral photos stay neutral" direction is measured. The face-api group photos (clothed women in
party dresses) come out as "Sexy", which is why \`sexual\` counts only the explicit classes (Porn +
Hentai); the class scores are all in the result. Sharpness: ${r.blur.sharp.map((s) => s.toFixed(0)).join(', ')} (originals) vs ${r.blur.blurred.map((s) => s.toFixed(0)).join(', ')} (blurred).

### Latency (warm, sequential, in-process; ms)

| Path | runs | median | p99 |
| --- | --- | --- | --- |
${lat.join('\n')}

Target: image p99 < 500 ms for the default pipeline — ${(() => {
    const full = r.latency.find((l) => l.path.includes('image-default'));
    return full === undefined
      ? 'not measured'
      : full.p99 < 500
        ? `met (p99 ${full.p99.toFixed(0)} ms) ✅`
        : `**not met** on this machine (p99 ${full.p99.toFixed(0)} ms) ❌; the \`image-moderation\` pipeline is the faster option`;
  })()}. The tfjs models run on the WebAssembly backend. In this measurement the tfjs models ran
on the main thread, one after another; Tesseract runs in its own worker thread. The machine is
shared with other jobs (load average at the start of the run in the first line), so tails carry
scheduling noise.

Since then the server no longer runs these models on the main thread: the NSFW and object models
are repository models (\`nsfw_mobilenet_v2\`, \`object_nanodet\` in models/bundled, backend \`tfjs\`,
one worker thread per instance), **callable over OIP** (\`/v2/models/<name>/infer\`), and face-api
runs in a worker thread of its own. The served engines answer as the libraries measured above
(identical objects with NanoDet at Human's 416 px, NSFW class probabilities within 5e-6 on the dog and face-api photos (the test allows 5e-5), checked in
test/integration/image-analyzers.test.ts), so the accuracy rows hold at 416; the served default runs NanoDet at 352 px
(docs/adr/0014; its objects figures: \`scripts/eval/image-object-side.ts\`, quoted below this section); the latency of the new
arrangement is in docs/benchmarks.md (\`bench/image.ts\`). face-api's nets (built in code, no graph
file) and Tesseract's LSTM are engines behind ports, not repository models (docs/architecture.md §5).
<!-- image:end -->`;
}

async function writeSection(section: string): Promise<void> {
  const file = join(ROOT, 'docs', 'accuracy.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Accuracy\n';
  const begin = current.indexOf('<!-- image:begin');
  const end = current.indexOf('<!-- image:end -->');
  const next =
    begin !== -1 && end !== -1
      ? `${current.slice(0, begin)}${section}${current.slice(end + '<!-- image:end -->'.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(next, { ...options, filepath: file }));
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const quick = process.argv.includes('--quick');
  const runs = quick ? 5 : 30;
  const load = loadavg()[0] ?? 0;
  const decoder = new SharpImageDecoder();
  const ocr = new TesseractOcr({ workers: 1 });
  const objects = new HumanObjectDetector();
  const nsfw = new NsfwjsClassifier();
  const faces = new FaceApiFaces();
  const analyzers = new ImageAnalyzers({ decoder, ocr, objects, nsfw, faces });
  await analyzers.init();
  for (const t of ['objects', 'faces', 'nsfw', 'ocr'] as ImageTask[]) {
    if (!analyzers.status(t).available) throw new Error(`${t} unavailable: ${analyzers.status(t).reason}`);
  }

  log('OCR: generating lines');
  const samples = await ocrSamples();
  const ocrOf = async (bytes: Uint8Array, layout: 'auto' | 'line'): Promise<string> =>
    (await analyzers.run('ocr', await analyzers.prepare(bytes), { ocrLayout: layout })).text;
  const ocrScores = { auto: {}, line: {} } as Report['ocr'];
  for (const layout of ['auto', 'line'] as const) {
    for (const kind of ['clean', 'degraded'] as const) {
      const pairs = [];
      for (const s of samples) pairs.push({ expected: s.text, got: await ocrOf(s[kind], layout) });
      ocrScores[layout][kind] = score(pairs);
      log(`OCR ${layout}/${kind}: CER ${pct(ocrScores[layout][kind].cer, 2)}`);
    }
  }

  const photos = labelledPhotos();
  log(`photos: ${photos.length}`);
  const objectRows: Report['objects'] = [];
  const nsfwRows: Report['nsfw'] = [];
  const blur: Report['blur'] = { sharp: [], blurred: [], correct: 0, total: 0 };
  for (const p of photos) {
    const input = await prepareFile(analyzers, p.path);
    const found = [...new Set((await analyzers.run('objects', input)).objects.map((o) => o.label))];
    objectRows.push({
      id: p.id,
      expected: p.objects,
      found,
      missing: p.objects.filter((l) => !found.includes(l)),
      extra: found.filter((l) => !p.objects.includes(l)),
    });
    const n = await analyzers.run('nsfw', input);
    nsfwRows.push({
      id: p.id,
      top: n.top,
      neutral: n.classes['Neutral'] ?? 0,
      sexual: n.sexual,
      sexy: n.classes['Sexy'] ?? 0,
    });
    const q = await analyzers.run('quality', input);
    // Blurred at the scale the metric is measured at (longest side 512), so σ 2 means 2 measured pixels.
    const blurredBytes = new Uint8Array(
      await sharp(p.path).resize(512, 512, { fit: 'inside' }).blur(2).jpeg({ quality: 90 }).toBuffer(),
    );
    const qb = await analyzers.run('quality', await analyzers.prepare(blurredBytes));
    blur.sharp.push(q.sharpness);
    blur.blurred.push(qb.sharpness);
    blur.total += 2;
    blur.correct += (q.blurry ? 0 : 1) + (qb.blurry ? 1 : 0);
  }

  log('faces: ssd and tiny');
  const faceRows = [await faceEval('ssd_mobilenetv1', new FaceApiFaces(), photos, decoder)];
  faceRows.push(
    await faceEval('tiny_face_detector', new FaceApiFaces({ detector: 'tiny' }), photos, decoder),
  );

  log('latency');
  const latency: Report['latency'] = [];
  const photo = join(DARKNET_DIR, 'dog.jpg');
  const bytes = new Uint8Array(readFileSync(photo));
  const input = await analyzers.prepare(bytes);
  latency.push({
    path: 'decode (probe + RGB copy), 768×576 JPEG',
    runs,
    ...(await timed(runs, () => analyzers.prepare(bytes))),
  });
  for (const t of ['quality', 'colours', 'objects', 'faces', 'nsfw', 'ocr'] as ImageTask[]) {
    latency.push({
      path: `${t}, 768×576 photo (darknet dog.jpg)`,
      runs,
      ...(await timed(runs, () => analyzers.run(t, input))),
    });
  }
  const ocrLine = samples[0]?.clean as Uint8Array;
  const lineInput = await analyzers.prepare(ocrLine);
  latency.push({
    path: 'ocr, one text line (line layout)',
    runs,
    ...(await timed(runs, () => analyzers.run('ocr', lineInput, { ocrLayout: 'line' }))),
  });
  const faceTiny = faceRows[1]?.latency;
  if (faceTiny) latency.push({ path: 'faces with the tiny detector, 768×576', runs: 10, ...faceTiny });
  await analyzers.close();

  // The whole default pipeline through the real service (fresh engines; the policy of policies/).
  const service = new AnalysisService({
    clock: createSystemClock(),
    policies: await loadPolicyDirectory(join(ROOT, 'policies')),
  });
  const module = createImageModule({
    decoder: new SharpImageDecoder(),
    objects: new HumanObjectDetector(),
    faces: new FaceApiFaces(),
    nsfw: new NsfwjsClassifier(),
    ocr: new TesseractOcr(),
  });
  service.register(module);
  await service.init();
  latency.push({
    path: '**image-default pipeline** (decode + quality, colours, nsfw, objects + policy), 768×576',
    runs,
    ...(await timed(runs, () => service.analyze({ kind: 'bytes', bytes, declaredType: 'image/jpeg' }))),
  });
  latency.push({
    path: 'image-full pipeline (decode + 6 analyzers + policy), 768×576',
    runs,
    ...(await timed(runs, () =>
      service.analyze({ kind: 'bytes', bytes, declaredType: 'image/jpeg' }, { pipeline: 'image-full' }),
    )),
  });
  const fast = await timed(runs, () =>
    service.analyze({ kind: 'bytes', bytes, declaredType: 'image/jpeg' }, { pipeline: 'image-moderation' }),
  );
  latency.push({ path: 'image-moderation pipeline (decode + nsfw + policy), 768×576', runs, ...fast });
  await service.close();
  void input;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const report: Report = {
    env: `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}; load average ${load.toFixed(1)} at the start. Models: @vladmandic/human 3.3.6 (nanodet), @vladmandic/face-api 1.7.15, nsfwjs 4.3.0 (MobileNetV2), tesseract.js 7.0.0 (@tesseract.js-data/eng 4.0.0_best_int), all on @tensorflow/tfjs 4.22 wasm (SIMD) except Tesseract; decoding by sharp ${decoder.version}. Every input goes through the request path: encoded bytes → sharp (header pixel limit, EXIF rotation, RGB copy ≤ 1024 px) → analyzers.`,
    ocr: ocrScores,
    objects: objectRows,
    faces: faceRows,
    nsfw: nsfwRows,
    blur,
    latency,
    photos: photos.map((p) => p.id),
  };
  console.log(JSON.stringify(report, null, 2));
  if (write) {
    await writeSection(markdown(report));
    log('wrote docs/accuracy.md (image section)');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
