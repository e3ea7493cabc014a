/**
 * API keys: `kal_<prefix>_<secret>`. The prefix (public, 12 hex chars) finds the record; the
 * secret (256 random bits, hex) is shown once at creation and stored only as an scrypt hash.
 *
 * Every verification reads the record (one indexed lookup), so a revocation, an expiry or a
 * disabled tenant takes effect on the very next request, on every replica. The slow hash is not
 * recomputed per request: after one successful scrypt check the service remembers a SHA-256 of
 * the presented key next to the stored hash it matched, and later requests compare against that
 * in constant time. A changed record hash (re-issued key) invalidates the memo by construction.
 */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import type { ApiKeyRecord, ApiKeyStore, TenantStore } from '../core/ports/security.js';
import { isRole, isScope, type Principal, type Role, type Scope } from '../core/security/principal.js';
import { assertTenantId } from '../core/security/tenancy.js';

export const API_KEY_PATTERN = /^kal_([0-9a-f]{12})_([0-9a-f]{64})$/;
const PREFIX_BYTES = 6;
const SECRET_BYTES = 32;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export interface ScryptParams {
  /** CPU/memory cost, a power of two (default 2^15 ≈ 32 MiB with r = 8). */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's scrypt minimum is N=2^17 for passwords; API keys carry 256 random bits, so 2^15 is ample. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

function scryptAsync(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      secret,
      salt,
      HASH_BYTES,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: self-describing, so parameters can be raised later. */
export async function hashSecret(secret: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time check of `secret` against a stored `scrypt$…` hash; false for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((v) => Number.isSafeInteger(v) && v > 0)) return false;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const expected = Buffer.from(parts[5] as string, 'base64');
  if (expected.length !== HASH_BYTES) return false;
  const actual = await scryptAsync(secret, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface CreateApiKeyInput {
  readonly tenantId: string;
  readonly name: string;
  readonly role: Role;
  readonly scopes?: readonly Scope[];
  /** Ms since the epoch; omitted = never expires. */
  readonly expiresAt?: number;
  /** Subject of the principal creating the key (for the record and the audit log). */
  readonly createdBy: string;
}

/** What create() returns: the only time the full key exists outside the caller's hands. */
export interface CreatedApiKey {
  readonly key: string;
  readonly record: ApiKeyView;
}

/** An API key as shown to administrators: everything but the hash. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;

export const toView = ({ hash: _hash, ...view }: ApiKeyRecord): ApiKeyView => view;

export interface ApiKeyServiceOptions {
  readonly store: ApiKeyStore;
  /** When given, keys of unknown or disabled tenants do not authenticate. */
  readonly tenants?: TenantStore;
  /** Wall clock, ms since the epoch (expiry and last-used times are calendar times). */
  readonly now?: () => number;
  readonly scrypt?: ScryptParams;
  /** last_used_at is written at most this often per key (default 60 000 ms): no write per request. */
  readonly lastUsedWriteIntervalMs?: number;
  /** Most verified keys remembered (default 10 000). */
  readonly maxMemo?: number;
  readonly logger?: Logger;
}

const unauthenticated = (reason: string): KaleidoError =>
  // One message for every failure: a caller cannot tell a revoked key from a mistyped one.
  new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired API key', { details: { reason } });

export class ApiKeyService {
  private readonly store: ApiKeyStore;
  private readonly tenants: TenantStore | undefined;
  private readonly now: () => number;
  private readonly params: ScryptParams;
  private readonly touchIntervalMs: number;
  private readonly maxMemo: number;
  private readonly logger: Logger;
  /** record id → {stored hash it was verified against, sha256 of the presented key}. LRU order. */
  private readonly memo = new Map<string, { hash: string; digest: Buffer }>();
  /** record id → when this process last wrote (or decided not to write) last_used_at. */
  private readonly touched = new Map<string, number>();

  constructor(options: ApiKeyServiceOptions) {
    this.store = options.store;
    this.tenants = options.tenants;
    this.now = options.now ?? Date.now;
    this.params = options.scrypt ?? DEFAULT_SCRYPT;
    this.touchIntervalMs = options.lastUsedWriteIntervalMs ?? 60_000;
    this.maxMemo = options.maxMemo ?? 10_000;
    this.logger = options.logger ?? silentLogger;
  }

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    assertTenantId(input.tenantId);
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
      throw new KaleidoError('ERR_VALIDATION', 'name must be 1–200 characters', {
        details: { field: 'name' },
      });
    }
    if (!isRole(input.role)) {
      throw new KaleidoError('ERR_VALIDATION', `unknown role "${String(input.role)}"`, {
        details: { field: 'role', value: input.role },
      });
    }
    const scopes = input.scopes ?? [];
    const bad = scopes.find((s) => !isScope(s));
    if (bad !== undefined) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `invalid scope "${String(bad)}" (want "<resource>:<action>")`,
        {
          details: { field: 'scopes', value: bad },
        },
      );
    }
    const createdAt = this.now();
    if (
      input.expiresAt !== undefined &&
      !(Number.isSafeInteger(input.expiresAt) && input.expiresAt > createdAt)
    ) {
      throw new KaleidoError('ERR_VALIDATION', 'expiresAt must be a future time in ms since the epoch', {
        details: { field: 'expiresAt', value: input.expiresAt },
      });
    }
    const prefix = randomBytes(PREFIX_BYTES).toString('hex');
    const secret = randomBytes(SECRET_BYTES).toString('hex');
    const key = `kal_${prefix}_${secret}`;
    const record: ApiKeyRecord = {
      id: randomUUID(),
      tenantId: input.tenantId,
      prefix,
      // The hash covers the whole key string, so prefix and secret are bound together.
      hash: await hashSecret(key, this.params),
      name: input.name.trim(),
      role: input.role,
      scopes: [...new Set(scopes)],
      createdAt,
      createdBy: input.createdBy,
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    };
    await this.store.insertApiKey(record);
    return { key, record: toView(record) };
  }

  /** Checks a presented key and returns its principal; ERR_UNAUTHENTICATED otherwise. */
  async verify(presented: string): Promise<Principal> {
    const m = API_KEY_PATTERN.exec(presented);
    if (m === null) throw unauthenticated('malformed');
    const record = await this.store.findApiKeyByPrefix(m[1] as string);
    if (record === undefined) throw unauthenticated('unknown prefix');
    const digest = sha256(presented);
    const known = this.memo.get(record.id);
    let ok: boolean;
    if (known !== undefined && known.hash === record.hash) {
      ok = timingSafeEqual(known.digest, digest);
    } else {
      ok = await verifySecret(presented, record.hash);
    }
    if (!ok) throw unauthenticated('secret mismatch');
    this.remember(record.id, record.hash, digest);

    const now = this.now();
    if (record.revokedAt !== null) throw unauthenticated('revoked');
    if (record.expiresAt !== null && record.expiresAt <= now) throw unauthenticated('expired');
    if (this.tenants !== undefined) {
      const tenant = await this.tenants.getTenant(record.tenantId);
      if (tenant === undefined || tenant.disabledAt !== null) throw unauthenticated('tenant disabled');
    }
    this.noteUse(record, now);
    return {
      kind: 'api_key',
      subject: record.id,
      tenantId: record.tenantId,
      role: record.role,
      scopes: record.scopes,
    };
  }

  /**
   * The principal of a stored key that is still usable (not revoked, not expired, tenant enabled),
   * without its secret: for sessions signed in with this key, re-checked on every request.
   */
  async activePrincipal(tenantId: string, id: string): Promise<Principal | undefined> {
    const record = await this.store.getApiKey(tenantId, id);
    if (record === undefined || record.revokedAt !== null) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= this.now()) return undefined;
    if (this.tenants !== undefined) {
      const tenant = await this.tenants.getTenant(record.tenantId);
      if (tenant === undefined || tenant.disabledAt !== null) return undefined;
    }
    return {
      kind: 'api_key',
      subject: record.id,
      tenantId: record.tenantId,
      role: record.role,
      scopes: record.scopes,
    };
  }

  async revoke(tenantId: string, id: string, by: string): Promise<void> {
    const found = await this.store.revokeApiKey(tenantId, id, this.now(), by);
    this.memo.delete(id);
    if (!found) {
      throw new KaleidoError('ERR_NOT_FOUND', `api_key "${id}" not found`, {
        details: { resource: 'api_key', id },
      });
    }
  }

  async list(tenantId: string, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyView[]> {
    return (await this.store.listApiKeys(tenantId, options)).map(toView);
  }

  async get(tenantId: string, id: string): Promise<ApiKeyView | undefined> {
    const r = await this.store.getApiKey(tenantId, id);
    return r === undefined ? undefined : toView(r);
  }

  private remember(id: string, hash: string, digest: Buffer): void {
    this.memo.delete(id);
    this.memo.set(id, { hash, digest });
    if (this.memo.size > this.maxMemo) {
      const oldest = this.memo.keys().next();
      if (oldest.done !== true) this.memo.delete(oldest.value);
    }
  }

  /**
   * Writes last_used_at when the stored value is older than the interval, at most once per
   * interval per key in this process, without delaying the request (a failed write is logged).
   */
  private noteUse(record: ApiKeyRecord, now: number): void {
    const stale = record.lastUsedAt === null || now - record.lastUsedAt >= this.touchIntervalMs;
    const local = this.touched.get(record.id);
    if (!stale || (local !== undefined && now - local < this.touchIntervalMs)) return;
    this.touched.set(record.id, now);
    if (this.touched.size > this.maxMemo) {
      const oldest = this.touched.keys().next();
      if (oldest.done !== true) this.touched.delete(oldest.value);
    }
    this.store.touchApiKey(record.id, now).catch((err: unknown) => {
      this.logger.warn({ err, keyId: record.id }, 'could not record API key use');
    });
  }
}
