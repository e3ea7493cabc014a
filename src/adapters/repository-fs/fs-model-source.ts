/**
 * ModelSource over local directories (Triton's model repository layout). Names and paths are
 * confined: model names are plain identifiers, version directories are positive integers,
 * and nothing resolves outside the repository (no `..`, no absolute paths, no symlinks out).
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KaleidoError } from '../../core/errors.js';
import type { ModelSource, ModelSourceEntry, ModelVersionFiles } from '../../core/ports/model-source.js';

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Fields only a Triton-style model config has. */
const TRITON_FIELDS = ['platform', 'backend', 'max_batch_size', 'input', 'output', 'default_model_filename'];

/**
 * A Hugging Face model config (as Optimum exports it: `architectures` or `model_type`) rather than
 * a Triton one. Such a directory is served as version 1 of its ONNX file (`onnx/model.onnx`, else
 * `model.onnx`), with the serving config completed from the ONNX signature.
 */
export function isHuggingFaceConfig(config: unknown): boolean {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return false;
  const c = config as Record<string, unknown>;
  const hf = Array.isArray(c.architectures) || typeof c.model_type === 'string';
  return hf && !TRITON_FIELDS.some((f) => f in c);
}

/** The ONNX file of a Hugging Face layout directory, relative to it (first found). */
export const HF_ONNX_FILES = ['onnx/model.onnx', 'model.onnx'] as const;

const exists = async (p: string): Promise<boolean> => {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
};

async function confined(root: string, p: string): Promise<boolean> {
  const [r, real] = await Promise.all([realpath(root), realpath(p)]);
  const rel = relative(r, real);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function createFsModelSource(repositories: readonly string[]): ModelSource {
  const roots = repositories.map((r) => resolve(r));

  async function locate(name: string): Promise<string> {
    if (!MODEL_NAME_PATTERN.test(name)) {
      throw new KaleidoError('ERR_MODEL_NOT_FOUND', `model "${name}" not found`, {
        details: { model: name },
      });
    }
    for (const root of roots) {
      const dir = join(root, name);
      if ((await exists(dir)) && (await stat(dir)).isDirectory() && (await confined(root, dir))) return dir;
    }
    throw new KaleidoError('ERR_MODEL_NOT_FOUND', `model "${name}" not found`, { details: { model: name } });
  }

  async function readConfig(name: string, dir: string): Promise<unknown> {
    for (const file of ['config.json', 'config.yaml', 'config.yml']) {
      const p = join(dir, file);
      if (!(await exists(p))) continue;
      const text = await readFile(p, 'utf8');
      try {
        return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      } catch (e) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `model "${name}": ${file} is not valid: ${(e as Error).message}`,
          {
            details: { model: name, field: file },
          },
        );
      }
    }
    return undefined;
  }

  return {
    async list() {
      const names = new Set<string>();
      for (const root of roots) {
        let entries: Dirent[];
        try {
          entries = await readdir(root, { withFileTypes: true });
        } catch {
          continue; // a missing repository is not fatal: it may be created later
        }
        for (const e of entries) if (e.isDirectory() && MODEL_NAME_PATTERN.test(e.name)) names.add(e.name);
      }
      return [...names].sort();
    },

    async read(name, defaultModelFilename): Promise<ModelSourceEntry> {
      const dir = await locate(name);
      const config = await readConfig(name, dir);
      if (isHuggingFaceConfig(config)) {
        for (const rel of HF_ONNX_FILES) {
          const modelPath = join(dir, rel);
          if (!(await exists(modelPath)) || !(await confined(dir, modelPath))) continue;
          const s = await stat(modelPath);
          if (!s.isFile()) continue;
          return { name, dir, config: undefined, versions: [{ version: 1, modelPath, sizeBytes: s.size }] };
        }
        return { name, dir, config: undefined, versions: [] };
      }
      const filename =
        typeof config === 'object' &&
        config !== null &&
        typeof (config as Record<string, unknown>).default_model_filename === 'string'
          ? String((config as Record<string, unknown>).default_model_filename)
          : defaultModelFilename;
      if (filename.includes('/') || filename.includes('\\') || filename === '..' || filename === '.') {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `model "${name}": default_model_filename must be a plain file name`,
          {
            details: { model: name, field: 'default_model_filename' },
          },
        );
      }
      const versions: ModelVersionFiles[] = [];
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (!e.isDirectory() || !/^[1-9][0-9]{0,8}$/.test(e.name)) continue;
        const modelPath = join(dir, e.name, filename);
        if (!(await exists(modelPath)) || !(await confined(dir, modelPath))) continue;
        const s = await stat(modelPath);
        if (!s.isFile()) continue;
        versions.push({ version: Number(e.name), modelPath, sizeBytes: s.size });
      }
      versions.sort((a, b) => a.version - b.version);
      return { name, dir, config, versions };
    },

    async readText(name, relativePath) {
      const dir = await locate(name);
      const p = resolve(dir, relativePath);
      if (
        isAbsolute(relativePath) ||
        !p.startsWith(dir + sep) ||
        !(await exists(p)) ||
        !(await confined(dir, p))
      ) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `model "${name}": file "${relativePath}" is not inside the model directory`,
          {
            details: { model: name, field: 'labels_file' },
          },
        );
      }
      return readFile(p, 'utf8');
    },

    sha256(path) {
      return new Promise((res, rej) => {
        const h = createHash('sha256');
        createReadStream(path)
          .on('data', (c) => h.update(c))
          .on('error', rej)
          .on('end', () => res(h.digest('hex')));
      });
    },
  };
}
