/** Filesystem locations of the installed package (for defaults that must not depend on the cwd). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The package root (holds package.json), both when run from src/ with tsx and from dist/src/. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'kaleido') return (cached = dir);
    } catch {
      // not here: keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error('cannot locate the kaleido package root');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** The models that ship with Kaleido. */
export const bundledModelsDir = (): string => join(packageRoot(), 'models', 'bundled');
