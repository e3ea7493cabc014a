/**
 * Loading policies from YAML: one policy per file, `policies/*.yaml` (or `.yml`) in a directory,
 * read in name order. Any problem is an ERR_BAD_CONFIG naming the file and the field.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KaleidoError } from '../core/errors.js';
import type { Policy } from '../core/safety/policy/index.js';
import { parsePolicy } from './policy-schema.js';
import { InMemoryPolicyStore } from './policy-store.js';
import type { PolicyStore } from './policy-store.js';

/** Parses and validates one policy written in YAML (JSON is YAML too). */
export function parsePolicyYaml(text: string, origin = '(inline)'): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false });
  } catch (cause) {
    throw new KaleidoError('ERR_BAD_CONFIG', `${origin}: not valid YAML: ${(cause as Error).message}`, {
      details: { field: '(root)', file: origin },
      cause,
    });
  }
  return parsePolicy(doc, origin);
}

export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `${path}: cannot read the policy file: ${(cause as Error).message}`,
      {
        details: { field: '(file)', file: path },
        cause,
      },
    );
  }
  return parsePolicyYaml(text, path);
}

/**
 * Loads every `*.yaml` / `*.yml` file of `dir` into `store` (a new in-memory store by default).
 * Loading into an existing store is how a reload works: changed files must carry a new version,
 * and previous versions stay available for audits.
 */
export async function loadPolicyDirectory<S extends PolicyStore = InMemoryPolicyStore>(
  dir: string,
  store: S = new InMemoryPolicyStore() as unknown as S,
): Promise<S> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (cause) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `${dir}: cannot read the policy directory: ${(cause as Error).message}`,
      {
        details: { field: '(directory)', file: dir },
        cause,
      },
    );
  }
  for (const name of names) {
    const path = join(dir, name);
    const policy = await loadPolicyFile(path);
    try {
      store.put(policy);
    } catch (e) {
      if (e instanceof KaleidoError) {
        throw new KaleidoError(e.code, `${path}: ${e.message}`, {
          details: { ...e.details, file: path },
          cause: e,
        });
      }
      throw e;
    }
  }
  return store;
}
