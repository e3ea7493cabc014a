/**
 * Key-encryption keys for encryption at rest, from configuration (`security.encryption`):
 *
 * - `keys`: "id:<base64 of 32 bytes>", "id:env:VARIABLE" (the base64 key is read from that
 *   environment variable, so the secret stays out of config files), or `{ id, key }` /
 *   `{ id, env }` objects in a config file. `activeKeyId` picks the one new writes use (default:
 *   the only configured key).
 * - Nothing configured: a key is generated on first start into `<data.dir>/keys/local.kek`
 *   (directory 0700, file 0600) and reused afterwards; the caller logs a warning that production
 *   should supply keys from the environment or a KMS. The generated key stays readable (as id
 *   "local") after keys are configured, so objects sealed with it still open until a rewrap moves
 *   them to the active key and the file can be deleted.
 *
 * Key material never leaves this module except as bytes inside the provider: errors name key ids
 * and variables, never values.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KaleidoError } from '../core/errors.js';
import { KEK_ID, StaticKeyEncryptionKeyProvider } from './envelope.js';

export type KekEntry = string | { readonly id: string; readonly key?: string; readonly env?: string };

export interface KekConfig {
  readonly keys: readonly KekEntry[];
  readonly activeKeyId: string;
}

export interface LoadedKeks {
  readonly provider: StaticKeyEncryptionKeyProvider;
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
  /** Where the generated key lives when it is in use (undefined: only configured keys). */
  readonly localKeyFile?: string;
  /** True when the local key was created by this call. */
  readonly generated: boolean;
  /** True when the local key file is readable by group or others. */
  readonly localKeyExposed: boolean;
}

export const LOCAL_KEK_ID = 'local';
const FIELD = 'security.encryption.keys';

const bad = (message: string, keyId?: string): KaleidoError =>
  new KaleidoError('ERR_BAD_CONFIG', message, {
    details: { field: FIELD, ...(keyId === undefined ? {} : { keyId }) },
  });

function parseEntry(entry: KekEntry, env: Readonly<Record<string, string | undefined>>): [string, string] {
  let id: string;
  let key: string | undefined;
  let variable: string | undefined;
  if (typeof entry === 'string') {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw bad('each key is "id:<base64 key>" or "id:env:VARIABLE"');
    id = entry.slice(0, colon);
    const rest = entry.slice(colon + 1);
    if (rest.startsWith('env:')) variable = rest.slice(4);
    else key = rest;
  } else {
    id = entry.id;
    key = entry.key;
    variable = entry.env;
    if ((key === undefined) === (variable === undefined)) {
      throw bad(`key "${id}" needs exactly one of "key" and "env"`, id);
    }
  }
  if (!KEK_ID.test(id)) throw bad(`key id "${id.slice(0, 80)}" must match ${KEK_ID.source}`);
  if (variable !== undefined) {
    const value = env[variable];
    if (value === undefined || value.trim() === '') {
      throw bad(`key "${id}": environment variable ${variable} is not set`, id);
    }
    key = value.trim();
  }
  return [id, (key as string).trim()];
}

function readLocal(file: string): string {
  const text = readFileSync(file, 'utf8').trim();
  if (Buffer.from(text, 'base64').length !== 32) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `the generated key file ${file} is damaged (not 32 bytes, base64)`,
      {
        details: { field: FIELD, file },
      },
    );
  }
  return text;
}

export function loadKeyEncryptionKeys(
  config: KekConfig,
  options: { readonly dataDir: string; readonly env?: Readonly<Record<string, string | undefined>> },
): LoadedKeks {
  const env = options.env ?? process.env;
  const keys: Record<string, string> = {};
  for (const entry of config.keys) {
    const [id, key] = parseEntry(entry, env);
    if (keys[id] !== undefined) throw bad(`key id "${id}" is configured twice`, id);
    keys[id] = key;
  }
  const dir = join(options.dataDir, 'keys');
  const localKeyFile = join(dir, 'local.kek');
  const configured = Object.keys(keys);
  let generated = false;
  let usesLocal = false;
  if (configured.length === 0) {
    if (!existsSync(localKeyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // 'wx': never overwrite a key another process created meanwhile (that would orphan its data).
      try {
        writeFileSync(localKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
        generated = true;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST') throw e;
      }
    }
    keys[LOCAL_KEK_ID] = readLocal(localKeyFile);
    usesLocal = true;
  } else if (existsSync(localKeyFile) && keys[LOCAL_KEK_ID] === undefined) {
    // Still readable, never active: objects sealed before keys were configured keep opening.
    keys[LOCAL_KEK_ID] = readLocal(localKeyFile);
    usesLocal = true;
  }
  let active = config.activeKeyId;
  if (active === '') {
    if (configured.length > 1) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        'several encryption keys are configured: set security.encryption.activeKeyId to the one new writes use',
        { details: { field: 'security.encryption.activeKeyId' } },
      );
    }
    active = configured[0] ?? LOCAL_KEK_ID;
  } else if (keys[active] === undefined) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `security.encryption.activeKeyId "${active}" is not a configured key`,
      {
        details: { field: 'security.encryption.activeKeyId', keyId: active },
      },
    );
  }
  let exposed = false;
  if (usesLocal) {
    try {
      const mode = statSync(localKeyFile).mode & 0o077;
      if (mode !== 0) {
        chmodSync(localKeyFile, 0o600);
        exposed = true;
      }
    } catch {
      exposed = true;
    }
  }
  const provider = new StaticKeyEncryptionKeyProvider(active, keys);
  return {
    provider,
    activeKeyId: active,
    keyIds: Object.keys(keys),
    ...(usesLocal ? { localKeyFile } : {}),
    generated,
    localKeyExposed: exposed,
  };
}
