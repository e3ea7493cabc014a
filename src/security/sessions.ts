/**
 * Server-side browser sessions for the web console.
 *
 * - The cookie value is 256 random bits (base64url); the store keeps only its SHA-256, so a copy
 *   of the database cannot be replayed as a cookie.
 * - A session ends at its absolute expiry, after `idleTtlMs` without a request, when it is
 *   revoked (logout), or when what signed in is no longer usable (user disabled or password
 *   changed, API key revoked or expired, tenant disabled): the principal is rebuilt from the
 *   stored user or key on every request, so role changes apply at once.
 * - The CSRF token is derived from the cookie value (SHA-256 with a domain label): it is bound to
 *   the session, needs no storage, and cannot be computed from what the store holds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import type { SessionRecord, SessionStore } from '../core/ports/security.js';
import type { Principal } from '../core/security/principal.js';
import type { ApiKeyService } from './api-keys.js';
import { userPrincipal, type UserService } from './users.js';

export const SESSION_COOKIE = 'kaleido_session';
export const CSRF_HEADER = 'x-csrf-token';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const sha256hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The CSRF token of a session (what the console sends back in X-CSRF-Token). */
export const csrfTokenFor = (sessionToken: string): string =>
  createHash('sha256').update(`kaleido-csrf\0${sessionToken}`, 'utf8').digest('base64url');

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(sessionToken: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length > 128) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken), 'utf8');
  const actual = Buffer.from(presented, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface SessionServiceOptions {
  readonly store: SessionStore;
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  /** Absolute lifetime (default 8 h). */
  readonly absoluteTtlMs?: number;
  /** Ends after this long without a request (default 30 min). */
  readonly idleTtlMs?: number;
  /** last_seen_at is written at most this often per session (default 60 s). */
  readonly touchIntervalMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export interface NewSession {
  /** The cookie value: shown to the browser once, never stored. */
  readonly token: string;
  readonly csrfToken: string;
  readonly record: SessionRecord;
}

export interface ResolvedSession {
  readonly principal: Principal;
  readonly record: SessionRecord;
  readonly csrfToken: string;
  /** When the session ends if no further request comes (min of idle and absolute expiry). */
  readonly idleExpiresAt: number;
}

const unauthenticated = (reason: string): KaleidoError =>
  new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired session', { details: { reason } });

export class SessionService {
  readonly absoluteTtlMs: number;
  readonly idleTtlMs: number;
  private readonly store: SessionStore;
  private readonly users: UserService;
  private readonly apiKeys: ApiKeyService;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private lastPurge = 0;

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.users = options.users;
    this.apiKeys = options.apiKeys;
    this.absoluteTtlMs = options.absoluteTtlMs ?? 8 * 3600_000;
    this.idleTtlMs = options.idleTtlMs ?? 30 * 60_000;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    for (const [field, v] of [
      ['auth.sessions.absoluteTtlSec', this.absoluteTtlMs],
      ['auth.sessions.idleTtlSec', this.idleTtlMs],
    ] as const) {
      if (!(Number.isFinite(v) && v > 0)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `${field} must be positive`, { details: { field } });
      }
    }
  }

  /** A new session (always a new id: a session id is never carried over into a login). */
  async create(input: {
    readonly principal: Principal;
    readonly sourceIp: string | null;
    readonly userAgent: string | null;
  }): Promise<NewSession> {
    const p = input.principal;
    if (p.kind !== 'user' && p.kind !== 'api_key') {
      throw new KaleidoError('ERR_INTERNAL', `a ${p.kind} principal cannot open a session`);
    }
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const record: SessionRecord = {
      idHash: sha256hex(token),
      tenantId: p.tenantId,
      subjectKind: p.kind,
      subjectId: p.subject,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: at + this.absoluteTtlMs,
      revokedAt: null,
      sourceIp: input.sourceIp,
      userAgent: input.userAgent === null ? null : input.userAgent.slice(0, 512),
    };
    await this.store.insertSession(record);
    this.purgeNowAndThen(at);
    return { token, csrfToken: csrfTokenFor(token), record };
  }

  /** The live session of a cookie value; ERR_UNAUTHENTICATED (reason in details) otherwise. */
  async resolve(token: string): Promise<ResolvedSession> {
    if (!TOKEN.test(token)) throw unauthenticated('malformed');
    const record = await this.store.findSession(sha256hex(token));
    if (record === undefined) throw unauthenticated('unknown');
    const now = this.now();
    if (record.revokedAt !== null) throw unauthenticated('revoked');
    if (record.expiresAt <= now) throw unauthenticated('expired');
    if (record.lastSeenAt + this.idleTtlMs <= now) throw unauthenticated('idle');
    const principal = await this.principalOf(record);
    if (principal === undefined) throw unauthenticated('credential no longer valid');
    if (now - record.lastSeenAt >= this.touchIntervalMs) {
      this.store.touchSession(record.idHash, now).catch((err: unknown) => {
        this.logger.warn({ err }, 'could not record session activity');
      });
    }
    return {
      principal,
      record,
      csrfToken: csrfTokenFor(token),
      idleExpiresAt: Math.min(record.expiresAt, now + this.idleTtlMs),
    };
  }

  /** Ends the session of a cookie value; false when it was unknown or already ended. */
  async revoke(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    return this.store.revokeSession(sha256hex(token), this.now());
  }

  async revokeAllOf(kind: SessionRecord['subjectKind'], subjectId: string): Promise<number> {
    return this.store.revokeSessionsOf(kind, subjectId, this.now());
  }

  private async principalOf(record: SessionRecord): Promise<Principal | undefined> {
    if (record.subjectKind === 'api_key') {
      return this.apiKeys.activePrincipal(record.tenantId, record.subjectId);
    }
    const user = await this.users.active(record.tenantId, record.subjectId);
    // A password change after the session began ends it (the reset was maybe for a reason).
    if (user === undefined || user.passwordChangedAt > record.createdAt) return undefined;
    return userPrincipal(user);
  }

  /** Deletes sessions that ended over a day ago, at most once an hour, off the request path. */
  private purgeNowAndThen(now: number): void {
    if (now - this.lastPurge < 3600_000) return;
    this.lastPurge = now;
    this.store.purgeSessions(now - 24 * 3600_000).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not purge ended sessions');
    });
  }
}

/** The value of one cookie in a Cookie header (first occurrence), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header === '') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
