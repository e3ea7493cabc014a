/**
 * Encryption at rest, assembled from configuration for the composition root: the KEKs
 * (kek-config.ts), the envelope (envelope.ts) and the EncryptingArtifactStore decorator. Logs
 * which key ids are in use (never key material) and warns loudly when the generated local key is
 * used or encryption is switched off.
 */
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { Logger } from '../core/ports/logger.js';
import { EncryptingArtifactStore } from './encrypting-artifact-store.js';
import { EnvelopeEncryption } from './envelope.js';
import { loadKeyEncryptionKeys, type KekEntry } from './kek-config.js';

export interface AtRestConfig {
  readonly enabled: boolean;
  readonly keys: readonly KekEntry[];
  readonly activeKeyId: string;
  readonly sensitivePrefixes: readonly string[];
}

export function encryptionAtRest(
  inner: ArtifactStore,
  config: AtRestConfig,
  options: {
    readonly dataDir: string;
    readonly logger: Logger;
    readonly env?: Readonly<Record<string, string | undefined>>;
  },
): { readonly artifacts: ArtifactStore; readonly encrypting?: EncryptingArtifactStore } {
  const { logger } = options;
  if (!config.enabled || config.sensitivePrefixes.length === 0) {
    logger.warn(
      { sensitivePrefixes: config.sensitivePrefixes },
      'SECURITY WARNING: encryption at rest is OFF: data sets, training data and checkpoints are stored in plaintext',
    );
    return { artifacts: inner };
  }
  const keks = loadKeyEncryptionKeys(config, {
    dataDir: options.dataDir,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  if (keks.localKeyExposed) {
    logger.warn(
      { file: keks.localKeyFile },
      'the local encryption key file was readable by others; reset to 0600',
    );
  }
  if (keks.localKeyFile !== undefined && keks.activeKeyId === 'local') {
    logger.warn(
      { file: keks.localKeyFile, generated: keks.generated },
      'encryption at rest uses a key kept on this machine next to the data: production should supply keys from the environment or a KMS (security.encryption.keys = "id:env:VARIABLE")',
    );
  }
  logger.info(
    { activeKeyId: keks.activeKeyId, keyIds: keks.keyIds, sensitivePrefixes: config.sensitivePrefixes },
    'encryption at rest on',
  );
  const encrypting = new EncryptingArtifactStore({
    inner,
    envelope: new EnvelopeEncryption(keks.provider),
    sensitivePrefixes: config.sensitivePrefixes,
  });
  return { artifacts: encrypting, encrypting };
}
