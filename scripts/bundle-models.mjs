#!/usr/bin/env node
// Places the weights of the bundled models into models/bundled/<model>/<version>/ from the npm
// packages that ship them. Each model's source.json names the package, its files and their
// SHA-256: that is the provenance record, and a mismatch stops setup (no unverified weights are
// served). Idempotent: files already in place with the right hashes are left alone. Nothing is
// downloaded.
//
// source.json, one of:
// - { package, packageVersion, file, sha256, target }: copy one file (silero_vad).
// - { package, packageVersion, files: [{ file, sha256, target }] }: copy several files (a tfjs
//   graph model: model.json and its weight shards, e.g. object_nanodet).
// - { package, packageVersion, files: [{ file, sha256 }], convert, outputs: [{ target, sha256 }] }:
//   the package's files are verified, then converted; the converter's outputs are verified too
//   (the conversion is deterministic). Converter "nsfwjs-embedded": nsfwjs ships its Keras model
//   as base64 inside JavaScript modules for browser bundlers; this writes the same topology and
//   weight bytes as an ordinary tfjs layers model (model.json + weights.bin). Converter
//   "nanodet-input-size": Human's NanoDet graph re-sized to the input side of the model config's
//   `input_size` parameter (scripts/nanodet-input-size.mjs: the same weights, the graph's baked-in
//   feature-map sizes scaled); the outputs' hashes in source.json are for that side, so changing
//   `input_size` means updating them (the mismatch message prints the new ones).
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resizeNanodetGraph } from './nanodet-input-size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'models', 'bundled');
const require = createRequire(join(root, 'package.json'));
const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
const sha256Of = (buf) => createHash('sha256').update(buf).digest('hex');

/** Directory of an installed package, also when its `exports` hide package.json. */
function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    const main = require.resolve(name);
    const marker = `node_modules/${name}/`;
    const at = main.lastIndexOf(marker);
    if (at < 0) throw new Error(`cannot locate ${name}`);
    return main.slice(0, at + marker.length - 1);
  }
}

/** Writes atomically: a temporary name, then rename. */
function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const converters = {
  /** nsfwjs' embedded MobileNetV2 → { "model.json": Buffer, "weights.bin": Buffer }. */
  'nsfwjs-embedded'(pkgDir, files) {
    const modelJs = files.find((f) => f.file.endsWith('model.min.js'));
    if (!modelJs) throw new Error('nsfwjs-embedded needs the model.min.js file');
    const json = require(join(pkgDir, modelJs.file));
    const parts = [];
    for (const group of json.weightsManifest) {
      for (const p of group.paths) {
        const shard = files.find((f) => f.file.endsWith(`/${p}.min.js`));
        if (!shard) throw new Error(`weight bundle ${p} is not listed in source.json`);
        const b64 = require(join(pkgDir, shard.file));
        if (typeof b64 !== 'string') throw new Error(`weight bundle ${p} is not a base64 string`);
        parts.push(Buffer.from(b64, 'base64'));
      }
    }
    const weights = Buffer.concat(parts);
    const model = {
      format: json.format ?? 'layers-model',
      generatedBy: json.generatedBy ?? 'nsfwjs',
      convertedBy: 'kaleido scripts/bundle-models.mjs (from the nsfwjs embedded bundle)',
      modelTopology: json.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }],
    };
    return { 'model.json': Buffer.from(JSON.stringify(model)), 'weights.bin': weights };
  },
  /** Human's nanodet.json + nanodet.bin → the same graph at the config's `input_size`. */
  'nanodet-input-size'(pkgDir, files, modelDir) {
    const jsonFile = files.find((f) => f.file.endsWith('.json'));
    const binFile = files.find((f) => f.file.endsWith('.bin'));
    if (!jsonFile || !binFile) throw new Error('nanodet-input-size needs the model .json and its .bin');
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
    const side = Number(config.parameters?.input_size?.string_value);
    if (!Number.isInteger(side)) throw new Error('config.json has no integer parameters.input_size');
    const json = JSON.parse(readFileSync(join(pkgDir, jsonFile.file), 'utf8'));
    const shards = json.weightsManifest.flatMap((g) => g.paths);
    if (shards.length !== 1 || shards[0] !== binFile.file.split('/').pop()) {
      throw new Error(
        `nanodet-input-size expects one weight shard ${binFile.file}, the model lists ${shards}`,
      );
    }
    const resized = resizeNanodetGraph(json, readFileSync(join(pkgDir, binFile.file)), side);
    return { 'model.json': Buffer.from(JSON.stringify(resized.json)), [shards[0]]: resized.weights };
  },
};

let failures = 0;
for (const model of readdirSync(bundled).sort()) {
  const manifest = join(bundled, model, 'source.json');
  if (!existsSync(manifest)) continue;
  const src = JSON.parse(readFileSync(manifest, 'utf8'));
  const files = src.files ?? [{ file: src.file, sha256: src.sha256, target: src.target }];
  // What must end up in the model directory, with its hash.
  const outputs = src.convert ? src.outputs : files.map((f) => ({ target: f.target, sha256: f.sha256 }));
  const inPlace = outputs.every((o) => {
    const t = join(bundled, model, o.target);
    return existsSync(t) && sha256(t) === o.sha256;
  });
  if (inPlace) {
    console.log(`bundle-models: ${model} ok`);
    continue;
  }
  let pkgDir;
  try {
    pkgDir = packageDir(src.package);
  } catch {
    console.error(`bundle-models: ${model}: package ${src.package} is not installed (run npm ci)`);
    failures++;
    continue;
  }
  const bad = files.find((f) => {
    const from = join(pkgDir, f.file);
    const got = existsSync(from) ? sha256(from) : 'missing';
    if (got !== f.sha256) {
      console.error(
        `bundle-models: ${model}: ${src.package}/${f.file} has sha256 ${got}, expected ${f.sha256}`,
      );
      return true;
    }
    return false;
  });
  if (bad) {
    failures++;
    continue;
  }
  if (!src.convert) {
    for (const f of files) {
      const target = join(bundled, model, f.target);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(pkgDir, f.file), target);
    }
    console.log(`bundle-models: ${model} <- ${src.package}@${src.packageVersion} (${files.length} file(s))`);
    continue;
  }
  const convert = converters[src.convert];
  if (!convert) {
    console.error(`bundle-models: ${model}: unknown converter "${src.convert}"`);
    failures++;
    continue;
  }
  let produced;
  try {
    produced = convert(pkgDir, files, join(bundled, model));
  } catch (e) {
    console.error(`bundle-models: ${model}: conversion failed: ${e.message}`);
    failures++;
    continue;
  }
  const mismatch = outputs.find((o) => {
    const data = produced[o.target.split('/').pop()];
    return !data || sha256Of(data) !== o.sha256;
  });
  if (mismatch) {
    const data = produced[mismatch.target.split('/').pop()];
    console.error(
      `bundle-models: ${model}: converted ${mismatch.target} has sha256 ${data ? sha256Of(data) : 'missing'}, expected ${mismatch.sha256}`,
    );
    failures++;
    continue;
  }
  // Weights before model.json: a model.json is only ever visible next to complete weights.
  const ordered = [...outputs].sort(
    (a, b) => Number(a.target.endsWith('.json')) - Number(b.target.endsWith('.json')),
  );
  for (const o of ordered) writeAtomic(join(bundled, model, o.target), produced[o.target.split('/').pop()]);
  console.log(`bundle-models: ${model} <- ${src.package}@${src.packageVersion} (converted: ${src.convert})`);
}
process.exit(failures > 0 ? 1 : 0);
