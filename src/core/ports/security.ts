/**
 * Ports of the security layer: where API keys, tenants and the audit trail are stored, where
 * rate-limit buckets live, where key-encryption keys come from, and who verifies bearer JWTs.
 * Adapters: store-sql (keys, tenants, audit), ratelimit-memory / ratelimit-redis, and the
 * static KEK provider in src/security.
 */
import type { Action, Principal, ResourceType, Role, Scope } from '../security/principal.js';
import type { TokenBucketPolicy } from '../security/token-bucket.js';

// ---- API keys ----

/** A stored API key. The secret itself is never stored: only `hash` (scrypt, self-describing). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Public part of the key (`kal_<prefix>_…`): how a presented key finds its record. Unique. */
  readonly prefix: string;
  readonly hash: string;
  readonly name: string;
  readonly role: Role;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  /** Subject of the principal that created it. */
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

export interface ApiKeyStore {
  /** Inserts a new key; ERR_ALREADY_EXISTS for a duplicate id or prefix, ERR_NOT_FOUND for an unknown tenant. */
  insertApiKey(record: ApiKeyRecord): Promise<void>;
  findApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | undefined>;
  getApiKey(tenantId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first. */
  listApiKeys(tenantId: string, options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked (idempotent: the first revocation's time and actor are kept). False if unknown. */
  revokeApiKey(tenantId: string, id: string, at: number, by: string): Promise<boolean>;
  /** Records a use; never moves last_used_at backwards. */
  touchApiKey(id: string, at: number): Promise<void>;
}

// ---- Tenants ----

export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export interface TenantStore {
  /** ERR_ALREADY_EXISTS when the id is taken. */
  createTenant(tenant: TenantRecord): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  /** Disabled tenants' keys stop authenticating. False if unknown. */
  setTenantDisabled(id: string, disabledAt: number | null): Promise<boolean>;
}

// ---- Console users and browser sessions ----

/** A console user: signs in with a username and password. The password is stored only as a hash. */
export interface UserRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Unique across all tenants (the login form asks for no tenant). */
  readonly username: string;
  /** scrypt, self-describing (`scrypt$N$r$p$salt$hash`). */
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly passwordChangedAt: number;
  readonly disabledAt: number | null;
}

export interface UserStore {
  /** ERR_ALREADY_EXISTS for a taken id or username, ERR_NOT_FOUND for an unknown tenant. */
  insertUser(record: UserRecord): Promise<void>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  getUser(tenantId: string, id: string): Promise<UserRecord | undefined>;
  /** Oldest first. */
  listUsers(tenantId: string): Promise<UserRecord[]>;
  /** False if unknown. */
  setUserDisabled(tenantId: string, id: string, disabledAt: number | null): Promise<boolean>;
  /** False if unknown. */
  setUserPassword(tenantId: string, id: string, passwordHash: string, at: number): Promise<boolean>;
  /** False if unknown. */
  setUserRole(tenantId: string, id: string, role: Role): Promise<boolean>;
}

/** A server-side browser session. The cookie's secret is stored only as its SHA-256. */
export interface SessionRecord {
  /** hex SHA-256 of the cookie value. */
  readonly idHash: string;
  readonly tenantId: string;
  /** What signed in: a console user or an API key (whose id is `subjectId`). */
  readonly subjectKind: 'user' | 'api_key';
  readonly subjectId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Absolute end, whatever the activity. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
}

export interface SessionStore {
  insertSession(record: SessionRecord): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Moves last_seen_at forward (never back). */
  touchSession(idHash: string, at: number): Promise<void>;
  /** True when a live session was revoked by this call. */
  revokeSession(idHash: string, at: number): Promise<boolean>;
  /** Revokes every live session of one subject (password reset, user disabled); the count revoked. */
  revokeSessionsOf(subjectKind: SessionRecord['subjectKind'], subjectId: string, at: number): Promise<number>;
  /** Deletes sessions that ended before `before` (expired or revoked); the count deleted. */
  purgeSessions(before: number): Promise<number>;
}

// ---- Audit ----

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEntryInput {
  readonly at: number;
  /** The tenant whose resource was acted on (the caller's when unknown). */
  readonly tenantId: string;
  readonly actor: string;
  readonly actorKind: Principal['kind'] | 'unauthenticated';
  readonly action: Action | string;
  readonly resourceType: ResourceType | string;
  readonly resourceId: string | null;
  readonly outcome: AuditOutcome;
  /** HTTP status (or 0 when not an HTTP action). */
  readonly statusCode: number;
  readonly requestId: string | null;
  /** Client address as the edge saw it (after trusted-proxy handling). */
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditEntryInput {
  /** Position in the log: strictly increasing. */
  readonly seq: number;
}

export interface AuditQuery {
  readonly tenantId: string;
  /** Entries with seq < before (paging backwards); default: from the newest. */
  readonly before?: number;
  readonly limit?: number;
}

export interface AuditLog {
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

// ---- Rate limits ----

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Milliseconds until the request could succeed (0 when allowed). */
  readonly retryAfterMs: number;
}

export interface RateLimitStore {
  /** Atomically takes `cost` tokens from the bucket `key` under `policy`. */
  take(key: string, policy: TokenBucketPolicy, cost?: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

// ---- Login throttling (failed sign-ins) ----

/** Backoff of one kind of login-failure counter (per username, per address). */
export interface LoginBackoffPolicy {
  /** Failures allowed before any wait. */
  readonly freeFailures: number;
  /** The first wait; each further failure doubles it. */
  readonly baseDelayMs: number;
  /** The longest wait. */
  readonly maxDelayMs: number;
}

/**
 * Where failed sign-ins are counted: in the process (one replica), or in Redis so that every
 * replica behind a load balancer shares one count. Implementations apply the backoff of
 * core/security/login-backoff.ts atomically (count and lock in one step).
 */
export interface LoginFailureStore {
  /** Counts one failure of `key` and locks it per `policy`; a count quiet for `forgetAfterMs` restarts. */
  recordFailure(key: string, policy: LoginBackoffPolicy, forgetAfterMs: number): Promise<void>;
  /** Milliseconds until `key` may try again (0 = now). */
  waitMs(key: string): Promise<number>;
  /** Forgets `key`'s count (a successful sign-in). */
  clear(key: string): Promise<void>;
  close(): Promise<void>;
}

// ---- Key-encryption keys ----

export interface KeyEncryptionKeyProvider {
  /** The KEK new data keys are wrapped with. */
  currentKeyId(): string;
  /** A KEK by id (32 bytes), or undefined when this build no longer has it. */
  getKey(id: string): Uint8Array | undefined;
}

// ---- Bearer JWTs ----

/**
 * Verifies a bearer JWT (signature against the issuer's JWKS, `iss`, `aud`, `exp`/`nbf` with the
 * configured clock skew) and maps its claims to a principal. Throws ERR_UNAUTHENTICATED.
 */
export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}
