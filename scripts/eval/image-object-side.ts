/**
 * NanoDet input side vs object accuracy: the served detector (ServedObjectDetector on the tfjs
 * worker runtime, as the server runs it) at several input sides on the labelled photos of the
 * image evaluation (scripts/eval/image-data.ts: darknet samples and face-api demo photos), scored
 * as scripts/eval/image.ts scores objects: the labels found at ≥ 0.3 against the labels listed per
 * photo (found, missing, extra). Also the agreement of every side's boxes with the first side's
 * (same label, IoU ≥ 0.5), which sees changes the label sets do not.
 *
 *   npx tsx scripts/eval/image-object-side.ts [--sides 416,352,320]
 *
 * Prints a JSON report; docs/accuracy.md quotes it by hand (prose of the image section).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { SharpImageDecoder } from '../../src/adapters/media-sharp/index.js';
import {
  ImageAnalyzers,
  ServedObjectDetector,
  type DetectedObject,
} from '../../src/modalities/image/index.js';
import { servedNanodetSides } from '../../bench/lib/nanodet-sides.js';
import { labelledPhotos } from './image-data.js';

const args = parseArgs({ options: { sides: { type: 'string', default: '416,352,320' } } }).values;
const sides = (args.sides ?? '').split(',').map(Number);
const log = (...a: unknown[]): void => console.error('[eval:image-object-side]', ...a);

type Box = DetectedObject['box'];
function iou(a: Box, b: Box): number {
  // Identical boxes agree even when truncation left them zero-wide.
  if (a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height) return 1;
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Detections of `ref` matched one-to-one by a detection of `got` with its label and IoU ≥ 0.5. */
function matched(
  ref: readonly DetectedObject[],
  got: readonly DetectedObject[],
): { n: number; iouSum: number; logAreaRatioSum: number } {
  const free = [...got];
  let n = 0;
  let iouSum = 0;
  let logAreaRatioSum = 0;
  for (const r of ref) {
    let best = -1;
    let bestIou = 0.5;
    free.forEach((g, i) => {
      const v = g.label === r.label ? iou(r.box, g.box) : 0;
      if (v >= bestIou) {
        best = i;
        bestIou = v;
      }
    });
    if (best >= 0) {
      n++;
      iouSum += bestIou;
      const g = free[best] as DetectedObject;
      logAreaRatioSum += Math.log(
        Math.max(1, g.box.width * g.box.height) / Math.max(1, r.box.width * r.box.height),
      );
      free.splice(best, 1);
    }
  }
  return { n, iouSum, logAreaRatioSum };
}

async function main(): Promise<void> {
  const load = loadavg()[0] ?? 0;
  const served = await servedNanodetSides(sides);
  const decoder = new SharpImageDecoder();
  const analyzers = new Map<number, ImageAnalyzers>();
  for (const side of sides) {
    const a = new ImageAnalyzers({
      decoder,
      objects: new ServedObjectDetector(served.inference, { model: served.modelOf(side) }),
    });
    await a.init();
    if (!a.status('objects').available) throw new Error(`objects at ${side}: ${a.status('objects').reason}`);
    analyzers.set(side, a);
  }
  const photos = labelledPhotos();
  const rows: Array<{
    id: string;
    expected: readonly string[];
    bySide: Record<number, readonly DetectedObject[]>;
  }> = [];
  for (const p of photos) {
    const bytes = new Uint8Array(readFileSync(p.path));
    const bySide: Record<number, readonly DetectedObject[]> = {};
    for (const side of sides) {
      const a = analyzers.get(side) as ImageAnalyzers;
      bySide[side] = (await a.run('objects', await a.prepare(bytes))).objects;
    }
    rows.push({ id: p.id, expected: p.objects, bySide });
    log(p.id, sides.map((s) => `${s}: ${bySide[s]?.map((o) => o.label).join(',')}`).join(' | '));
  }
  const ref = sides[0] as number;
  const summary = sides.map((side) => {
    let found = 0;
    let total = 0;
    let extra = 0;
    let detections = 0;
    let agree = 0;
    let iouSum = 0;
    let logAreaRatioSum = 0;
    let refDetections = 0;
    const perPhoto = rows.map((r) => {
      const objs = r.bySide[side] ?? [];
      const labels = [...new Set(objs.map((o) => o.label))];
      const missing = r.expected.filter((l) => !labels.includes(l));
      const extras = labels.filter((l) => !r.expected.includes(l));
      found += r.expected.length - missing.length;
      total += r.expected.length;
      extra += extras.length;
      detections += objs.length;
      const m = matched(r.bySide[ref] ?? [], objs);
      agree += m.n;
      iouSum += m.iouSum;
      logAreaRatioSum += m.logAreaRatioSum;
      refDetections += (r.bySide[ref] ?? []).length;
      return { id: r.id, found: labels, missing, extra: extras, detections: objs.length };
    });
    return {
      side,
      labelsFound: `${found}/${total}`,
      labelRecall: found / total,
      extraLabels: extra,
      detections,
      [`matchedWith${ref}`]: `${agree}/${refDetections}`,
      meanIouOfMatches: agree > 0 ? iouSum / agree : NaN,
      // Geometric mean of matched box areas over the reference's: a scale bias in the decoding shows here.
      areaRatioOfMatches: agree > 0 ? Math.exp(logAreaRatioSum / agree) : NaN,
      perPhoto,
    };
  });
  for (const a of analyzers.values()) await a.close();
  await served.close();
  console.log(
    JSON.stringify(
      { date: new Date().toISOString(), loadAverage: load, photos: photos.length, summary },
      null,
      2,
    ),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
