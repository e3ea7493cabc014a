/**
 * NsfwEngine on nsfwjs' MobileNetV2 (5 classes: Drawing, Hentai, Neutral, Porn, Sexy).
 *
 * nsfwjs ships its weights as base64 inside JavaScript modules, made for browser bundlers. Parsing
 * a 3.5 MB JS module and decoding it on every start is wasteful, so the first start converts the
 * model once into the ordinary tfjs layout (model.json + weights.bin) in a cache directory, written
 * atomically (temporary names, then rename); later starts read those two files. Without a cache
 * directory the conversion happens in memory on each start (about half a second).
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as nsfwjs from 'nsfwjs';
import type * as tfTypes from '@tensorflow/tfjs';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { NsfwEngine, Raster } from '../../core/ports/image.js';
import { fileModelHandler, packageDir, packageVersion, Serial, tfjsWasm, type Tf } from './backend.js';

const require = createRequire(import.meta.url);

export const NSFW_CLASSES: readonly string[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const MODEL = 'mobilenet_v2';
const INPUT_SIZE = 224;

export interface NsfwjsOptions {
  /** Where the converted model.json + weights.bin live (created on first start). */
  readonly cacheDir?: string;
}

interface EmbeddedModelJson {
  readonly modelTopology: unknown;
  readonly weightsManifest: ReadonlyArray<{ paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }>;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string;
}

/** Reads the embedded model out of the nsfwjs package: topology and raw weight bytes. */
function readEmbedded(): { json: EmbeddedModelJson; weights: Buffer } {
  const dir = join(packageDir('nsfwjs'), 'dist', 'models', MODEL);
  const json = require(join(dir, 'model.min.js')) as EmbeddedModelJson;
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const b64 = require(join(dir, `${p}.min.js`)) as unknown;
      if (typeof b64 !== 'string') throw new Error(`nsfwjs weight bundle ${p} is not a base64 string`);
      parts.push(Buffer.from(b64, 'base64'));
    }
  }
  const weights = Buffer.concat(parts);
  const expected = json.weightsManifest.flatMap((g) => g.weights).reduce((sum, w) => sum + weightBytes(w), 0);
  if (expected !== weights.length) {
    throw new Error(`nsfwjs weights are ${weights.length} bytes, the manifest describes ${expected}`);
  }
  return { json, weights };
}

/** Bytes a manifest entry occupies (quantised weights take 1 or 2 bytes per value). */
function weightBytes(w: tfTypes.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization?.dtype;
  if (q === 'uint8') return n;
  if (q === 'uint16' || q === 'float16') return n * 2;
  return w.dtype === 'bool' ? n : n * 4;
}

/** Converts once into `dir` (model.json + weights.bin); returns the model.json path. */
export async function convertNsfwModel(dir: string): Promise<string> {
  const modelPath = join(dir, 'model.json');
  const weightsPath = join(dir, 'weights.bin');
  const exists = async (p: string) =>
    stat(p).then(
      (s) => s.isFile() && s.size > 0,
      () => false,
    );
  if ((await exists(modelPath)) && (await exists(weightsPath))) return modelPath;
  const { json, weights } = readEmbedded();
  const out = {
    format: json.format ?? 'layers-model',
    generatedBy: json.generatedBy ?? `nsfwjs ${packageVersion(packageDir('nsfwjs'))}`,
    convertedBy: 'kaleido image-tfjs adapter (from the nsfwjs embedded bundle)',
    modelTopology: json.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }],
  };
  await mkdir(dir, { recursive: true });
  const tag = `${process.pid}.${Date.now()}`;
  await writeFile(`${weightsPath}.${tag}`, weights);
  await writeFile(`${modelPath}.${tag}`, JSON.stringify(out));
  // weights first: a model.json is only ever visible next to complete weights.
  await rename(`${weightsPath}.${tag}`, weightsPath);
  await rename(`${modelPath}.${tag}`, modelPath);
  return modelPath;
}

export class NsfwjsClassifier implements NsfwEngine {
  readonly name = 'nsfwjs';
  readonly version: string;
  readonly model = 'MobileNetV2 (224×224)';
  readonly classes = NSFW_CLASSES;
  private readonly cacheDir: string | undefined;
  private net: nsfwjs.NSFWJS | undefined;
  private tf: Tf | undefined;
  private failure: string | undefined = 'not initialised';
  private loading: Promise<void> | undefined;
  private readonly serial = new Serial();

  constructor(options: NsfwjsOptions = {}) {
    this.cacheDir = options.cacheDir;
    let version = 'unknown';
    try {
      version = packageVersion(packageDir('nsfwjs'));
    } catch {
      // Reported by status() after init.
    }
    this.version = version;
  }

  init(): Promise<void> {
    this.loading ??= this.load().catch((e: unknown) => {
      this.loading = undefined;
      this.failure = (e as Error).message;
      throw e instanceof KaleidoError
        ? e
        : new KaleidoError('ERR_UNAVAILABLE', `NSFW classifier: ${(e as Error).message}`, { cause: e });
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const tf = await tfjsWasm();
    let handler: tfTypes.io.IOHandler;
    if (this.cacheDir !== undefined) {
      handler = fileModelHandler(
        await convertNsfwModel(join(this.cacheDir, `nsfwjs-${this.version}-${MODEL}`)),
      );
    } else {
      const { json, weights } = readEmbedded();
      const artifacts: tfTypes.io.ModelArtifacts = {
        modelTopology: json.modelTopology as tfTypes.io.ModelArtifacts['modelTopology'],
        format: json.format ?? 'layers-model',
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: new Uint8Array(weights).buffer,
      };
      handler = { load: () => Promise.resolve(artifacts) };
    }
    // nsfwjs.load also warms the model up (one prediction on zeros).
    this.net = await nsfwjs.load(handler as unknown as string, { size: INPUT_SIZE });
    this.tf = tf;
    this.failure = undefined;
  }

  status(): AnalyzerStatus {
    return this.failure === undefined ? { available: true } : { available: false, reason: this.failure };
  }

  classify(image: Raster): Promise<Readonly<Record<string, number>>> {
    const net = this.net;
    const tf = this.tf;
    if (net === undefined || tf === undefined) {
      return Promise.reject(
        new KaleidoError('ERR_UNAVAILABLE', `NSFW classifier is not available: ${this.failure ?? ''}`),
      );
    }
    if (image.channels !== 3) {
      return Promise.reject(new KaleidoError('ERR_VALIDATION', 'the NSFW classifier needs an RGB raster'));
    }
    return this.serial.run(async () => {
      const input = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const top = await net.classify(input as never, NSFW_CLASSES.length);
        const out: Record<string, number> = {};
        for (const c of NSFW_CLASSES)
          out[c] =
            top.find((t: { className: string; probability: number }) => t.className === c)?.probability ?? 0;
        return out;
      } finally {
        input.dispose();
      }
    });
  }

  close(): Promise<void> {
    this.net?.dispose();
    this.net = undefined;
    this.loading = undefined;
    this.failure = 'closed';
    return Promise.resolve();
  }
}
