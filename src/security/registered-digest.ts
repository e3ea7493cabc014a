/**
 * "SHA-256 recorded at registration and checked at every load": a model file loaded from the
 * trained-model repository (`<repo>/<served name>/<version>/<file>`) is hashed and compared with
 * the SHA-256 the registry recorded for that version (served name = `<tenant>__<name>`, or the bare
 * name for the system tenant; version numbers of the two agree, docs/lifecycle.md). A mismatch
 * fails the load with ERR_INTEGRITY_FAILED, so a model file replaced on disk after registration is
 * never served. Files outside that repository, and versions the registry has no digest for, are
 * not checked here (bundled models are sha256-verified by scripts/bundle-models.mjs).
 */
import { basename, dirname, resolve, sep } from 'node:path';
import { ownModelName, servingModelOwner } from '../core/security/tenancy.js';
import type { ModelIntegrity } from './model-integrity.js';

export interface RegisteredDigestOptions {
  /** The writable repository trained models are published to (models.trainedRepository). */
  readonly trainedRepository: string;
  /** The registry's recorded SHA-256 of `name` version `version` in `tenantId`; undefined when none. */
  readonly recordedSha256: (tenantId: string, name: string, version: string) => Promise<string | undefined>;
  readonly integrity: Pick<ModelIntegrity, 'verifyFile'>;
}

/** Returns the per-file check to run before a runtime opens `path`. */
export function registeredDigestCheck(options: RegisteredDigestOptions): (path: string) => Promise<void> {
  const root = resolve(options.trainedRepository);
  return async (path) => {
    const file = resolve(path);
    const versionDir = dirname(file);
    const modelDir = dirname(versionDir);
    // Only the model file itself, directly inside <repo>/<model>/<version>/ (not nested data files).
    if (dirname(modelDir) !== root || !file.startsWith(root + sep)) return;
    const served = basename(modelDir);
    const version = basename(versionDir);
    if (!/^[1-9][0-9]*$/.test(version)) return;
    const tenantId = servingModelOwner(served);
    const sha256 = await options.recordedSha256(tenantId, ownModelName(tenantId, served), version);
    if (sha256 === undefined) return;
    await options.integrity.verifyFile(file, { sha256 });
  };
}
