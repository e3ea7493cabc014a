#!/usr/bin/env node
// Places the weights of the bundled models into models/bundled/<model>/<version>/ from the npm
// packages that ship them. Each model's source.json names the package, the file and its SHA-256:
// that is the provenance record, and a mismatch stops setup (no unverified weights are served).
// Idempotent: a file already in place with the right hash is left alone. Nothing is downloaded.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'models', 'bundled');
const require = createRequire(join(root, 'package.json'));
const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

let failures = 0;
for (const model of readdirSync(bundled)) {
  const manifest = join(bundled, model, 'source.json');
  if (!existsSync(manifest)) continue;
  const src = JSON.parse(readFileSync(manifest, 'utf8'));
  const target = join(bundled, model, src.target);
  if (existsSync(target) && sha256(target) === src.sha256) {
    console.log(`bundle-models: ${model} ok`);
    continue;
  }
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve(`${src.package}/package.json`));
  } catch {
    console.error(`bundle-models: ${model}: package ${src.package} is not installed (run npm ci)`);
    failures++;
    continue;
  }
  const from = join(pkgDir, src.file);
  const got = existsSync(from) ? sha256(from) : 'missing';
  if (got !== src.sha256) {
    console.error(
      `bundle-models: ${model}: ${src.package}/${src.file} has sha256 ${got}, expected ${src.sha256}`,
    );
    failures++;
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  console.log(`bundle-models: ${model} <- ${src.package}@${src.packageVersion}/${src.file}`);
}
process.exit(failures > 0 ? 1 : 0);
