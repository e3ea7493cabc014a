/**
 * Signed promotions (security.modelSigning): with trusted Ed25519 keys configured, pointing a
 * required alias (default `champion`) at a version needs the version's recorded SHA-256 and a valid
 * signature of it in the tag `kaleido.signature`; otherwise the move fails with
 * ERR_INTEGRITY_FAILED. Without keys, promotions are not gated (signatures stay optional).
 *
 * The keys are read once at start: a missing or unreadable key file refuses to start
 * (ERR_BAD_CONFIG) rather than silently letting unsigned versions through.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { KaleidoConfig } from '../config/schema.js';
import { KaleidoError } from '../core/errors.js';
import type { ModelVersion } from '../core/ports/registry-store.js';
import { ModelIntegrity } from './model-integrity.js';

/** The tag holding a version's detached Ed25519 signature (base64) of its SHA-256. */
export const SIGNATURE_TAG = 'kaleido.signature';

export type BeforeAliasMove = (version: ModelVersion, alias: string) => Promise<void>;

/** The registry hook for `security.modelSigning`, or nothing when no keys are configured. */
export function promotionSignatureCheck(options: KaleidoConfig['security']['modelSigning']): {
  beforeAliasMove?: BeforeAliasMove;
} {
  if (options.publicKeyFiles.length === 0) return {};
  const publicKeys = options.publicKeyFiles.map((file) => {
    try {
      return readFileSync(resolve(file), 'utf8');
    } catch (cause) {
      throw new KaleidoError('ERR_BAD_CONFIG', `security.modelSigning.publicKeyFiles: cannot read ${file}`, {
        details: { field: 'security.modelSigning.publicKeyFiles', file },
        cause,
      });
    }
  });
  const integrity = new ModelIntegrity({ publicKeys, requireSignature: true });
  const required = new Set(options.requiredAliases);
  const check = (version: ModelVersion, alias: string): void => {
    if (!required.has('*') && !required.has(alias)) return;
    const subject = `registered model "${version.name}" version ${version.version}`;
    if (version.sha256 === undefined) {
      throw new KaleidoError(
        'ERR_INTEGRITY_FAILED',
        `${subject} has no recorded SHA-256, so it cannot be promoted to "${alias}"`,
        { details: { subject, alias, reason: 'no sha256' } },
      );
    }
    const signature = version.tags.find((t) => t.key === SIGNATURE_TAG)?.value;
    integrity.checkDigest(
      version.sha256,
      { sha256: version.sha256, ...(signature === undefined ? {} : { signature }) },
      subject,
    );
  };
  // The registry awaits the hook; the check itself is synchronous (keys are already parsed).
  return {
    beforeAliasMove: (version, alias) => {
      try {
        check(version, alias);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}
