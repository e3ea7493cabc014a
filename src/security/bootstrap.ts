/**
 * The first administrator credential. A fresh installation has no API key at all, and every route
 * but the health probes needs one, so somebody must be handed the first key:
 *
 * - `auth.adminKey` given (env KALEIDO_AUTH_ADMIN_KEY, e.g. from a Kubernetes Secret): that exact
 *   key is installed as an admin of the system tenant unless its prefix is already stored. The
 *   operator chose the secret, so nothing is printed.
 * - otherwise, when the system tenant has no usable admin key: one is generated and handed to
 *   `announce` exactly once (main.ts prints it to stderr in a banner, never into the JSON logs).
 *   Later starts find it and print nothing.
 *
 * "Usable" means not revoked and not expired: an installation whose every admin key was revoked
 * gets a new one on its next start (the recovery path; only someone who can restart the server
 * and read its stderr receives it).
 */
import { randomUUID } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { ApiKeyStore } from '../core/ports/security.js';
import { SYSTEM_TENANT } from '../core/security/principal.js';
import {
  API_KEY_PATTERN,
  DEFAULT_SCRYPT,
  hashSecret,
  type ApiKeyService,
  type ScryptParams,
} from './api-keys.js';

export interface BootstrapAdminOptions {
  readonly store: ApiKeyStore;
  readonly keys: ApiKeyService;
  /** The configured key (`auth.adminKey`); empty or undefined = generate one when none exists. */
  readonly adminKey?: string;
  /** Receives a generated key, once. Never called for a configured key. */
  readonly announce: (key: string) => void;
  readonly now?: () => number;
  readonly scrypt?: ScryptParams;
}

export type BootstrapAdminResult =
  /** A usable admin key already existed (and the configured one, if any, is stored). */
  | { readonly action: 'existing'; readonly keyId: string }
  /** The configured `auth.adminKey` was stored. */
  | { readonly action: 'installed'; readonly keyId: string }
  /** A key was generated and announced. */
  | { readonly action: 'created'; readonly keyId: string }
  /** The configured key is stored but revoked: revocation wins, nothing was changed. */
  | { readonly action: 'revoked'; readonly keyId: string };

export const BOOTSTRAP_KEY_NAME = 'bootstrap admin';

export async function ensureBootstrapAdmin(options: BootstrapAdminOptions): Promise<BootstrapAdminResult> {
  const now = options.now ?? Date.now;
  const configured = options.adminKey ?? '';
  if (configured !== '') return installConfigured(options, configured, now);

  const usable = (await options.store.listApiKeys(SYSTEM_TENANT)).find(
    (k) => k.role === 'admin' && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now()),
  );
  if (usable !== undefined) return { action: 'existing', keyId: usable.id };
  const created = await options.keys.create({
    tenantId: SYSTEM_TENANT,
    name: BOOTSTRAP_KEY_NAME,
    role: 'admin',
    createdBy: 'bootstrap',
  });
  options.announce(created.key);
  return { action: 'created', keyId: created.record.id };
}

async function installConfigured(
  options: BootstrapAdminOptions,
  key: string,
  now: () => number,
): Promise<BootstrapAdminResult> {
  const m = API_KEY_PATTERN.exec(key);
  if (m === null) {
    throw new KaleidoError('ERR_BAD_CONFIG', 'auth.adminKey must look like kal_<12 hex>_<64 hex>', {
      details: { field: 'auth.adminKey' },
    });
  }
  const prefix = m[1] as string;
  const check = async (): Promise<BootstrapAdminResult | undefined> => {
    const stored = await options.store.findApiKeyByPrefix(prefix);
    if (stored === undefined) return undefined;
    if (stored.revokedAt !== null) return { action: 'revoked', keyId: stored.id };
    try {
      await options.keys.verify(key);
    } catch (cause) {
      // Same prefix, different secret (or an expired key): a configuration that cannot work.
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        'auth.adminKey does not match the stored key with its prefix (or that key expired); configure a new key',
        { cause, details: { field: 'auth.adminKey', keyId: stored.id } },
      );
    }
    return { action: 'existing', keyId: stored.id };
  };
  const known = await check();
  if (known !== undefined) return known;
  const id = randomUUID();
  try {
    await options.store.insertApiKey({
      id,
      tenantId: SYSTEM_TENANT,
      prefix,
      hash: await hashSecret(key, options.scrypt ?? DEFAULT_SCRYPT),
      name: `${BOOTSTRAP_KEY_NAME} (auth.adminKey)`,
      role: 'admin',
      scopes: [],
      createdAt: now(),
      createdBy: 'bootstrap',
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
  } catch (e) {
    // Another replica installed it between our lookup and insert: theirs is as good as ours.
    if (e instanceof KaleidoError && e.code === 'ERR_ALREADY_EXISTS') {
      const raced = await check();
      if (raced !== undefined) return raced;
    }
    throw e;
  }
  return { action: 'installed', keyId: id };
}

/** The once-only banner for a generated key (main.ts writes it to stderr, outside the JSON logs). */
export function adminKeyBanner(key: string): string {
  const rule = '='.repeat(78);
  return [
    '',
    rule,
    '  KALEIDO: an administrator API key was created for this installation.',
    '  It is shown ONCE and stored only as a hash. Keep it somewhere safe:',
    '',
    `    ${key}`,
    '',
    '  Use it as "Authorization: Bearer <key>", or: export KALEIDO_API_KEY=<key>',
    '  Create narrower keys with `kaleido keys create` and revoke this one when done.',
    rule,
    '',
  ].join('\n');
}
