/**
 * Loads the configuration: defaults ← YAML file ← KALEIDO_* environment ← CLI overrides.
 * A bad value fails at start with a message naming the field (ERR_BAD_CONFIG).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { KaleidoError } from '../core/errors.js';
import { configSchema, type KaleidoConfig } from './schema.js';

type Leaf = string | number | boolean | string[];
type Tree = { [k: string]: Tree | Leaf };

const defaults = configSchema.parse({}) as unknown as Tree;

const upperSnake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every leaf of the default config: path and default value (which gives the type to coerce to). */
function leaves(tree: Tree, prefix: string[] = []): Array<{ path: string[]; value: Leaf }> {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? leaves(v, [...prefix, k])
      : [{ path: [...prefix, k], value: v }],
  );
}

const LEAVES = leaves(defaults);

/** The environment variable for a config path, e.g. server.httpPort → KALEIDO_SERVER_HTTP_PORT. */
export const envNameOf = (path: readonly string[]): string => `KALEIDO_${path.map(upperSnake).join('_')}`;

/** Names of every supported environment variable with its config path (for docs and --help). */
export const ENV_VARIABLES: ReadonlyArray<{ env: string; path: string }> = LEAVES.map((l) => ({
  env: envNameOf(l.path),
  path: l.path.join('.'),
}));

function coerce(raw: string, like: Leaf, field: string): Leaf {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `${field}: expected a number, got "${raw}"`, {
        details: { field },
      });
    }
    return n;
  }
  if (typeof like === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    throw new KaleidoError('ERR_BAD_CONFIG', `${field}: expected true or false, got "${raw}"`, {
      details: { field },
    });
  }
  if (Array.isArray(like)) {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return raw;
}

function setPath(target: Tree, path: readonly string[], value: Leaf): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof b === 'object' &&
      b !== null &&
      !Array.isArray(b)
        ? deepMerge(b, v)
        : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface ConfigSources {
  /** Path of a YAML (or JSON) config file. */
  file?: string;
  /** Usually process.env; only KALEIDO_* keys are read. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Highest precedence: dotted path → raw string value (from CLI flags / --set). */
  overrides?: Readonly<Record<string, string>>;
}

export function loadConfig(sources: ConfigSources = {}): Readonly<KaleidoConfig> {
  let merged: Tree = {};
  const file = sources.file ?? sources.env?.KALEIDO_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new KaleidoError('ERR_BAD_CONFIG', `config file ${file}: ${(e as Error).message}`, {
        details: { field: 'file' },
      });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new KaleidoError('ERR_BAD_CONFIG', `config file ${file}: ${(e as Error).message}`, {
        details: { field: 'file' },
      });
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `config file ${file}: the top level must be a mapping`, {
          details: { field: 'file' },
        });
      }
      merged = parsed as Tree;
    }
  }
  const fromEnv: Tree = {};
  for (const leaf of LEAVES) {
    const raw = sources.env?.[envNameOf(leaf.path)];
    if (raw !== undefined) setPath(fromEnv, leaf.path, coerce(raw, leaf.value, envNameOf(leaf.path)));
  }
  merged = deepMerge(merged, fromEnv);
  const fromFlags: Tree = {};
  for (const [dotted, raw] of Object.entries(sources.overrides ?? {})) {
    const leaf = LEAVES.find((l) => l.path.join('.') === dotted);
    if (!leaf) {
      throw new KaleidoError('ERR_BAD_CONFIG', `unknown config field "${dotted}"`, {
        details: { field: dotted },
      });
    }
    setPath(fromFlags, leaf.path, coerce(raw, leaf.value, dotted));
  }
  merged = deepMerge(merged, fromFlags);

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue && 'keys' in issue ? (issue.keys as string[]) : [];
    const field = [...(issue?.path ?? []), ...keys].join('.') || '(root)';
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `invalid config field "${field}": ${issue?.message ?? 'invalid'}`,
      {
        details: {
          field,
          issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      },
    );
  }
  return deepFreeze(result.data);
}
