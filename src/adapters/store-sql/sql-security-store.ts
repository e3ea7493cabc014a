/**
 * ApiKeyStore, TenantStore and AuditLog over one SqlClient (SQLite or PostgreSQL, same queries).
 * Tables come from migrations-security.ts; `migrate()` runs the metadata and security migrations
 * together so one history table describes the whole schema.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  ApiKeyRecord,
  ApiKeyStore,
  AuditEntry,
  AuditEntryInput,
  AuditLog,
  AuditOutcome,
  AuditQuery,
  SessionRecord,
  SessionStore,
  TenantRecord,
  TenantStore,
  UserRecord,
  UserStore,
} from '../../core/ports/security.js';
import type { Role, Scope } from '../../core/security/principal.js';
import { metadataMigrations, type Migration } from './migrations.js';
import { securityMigrations } from './migrations-security.js';
import { runMigrations } from './migrator.js';
import type { SqlClient, SqlExecutor, SqlValue } from './sql-client.js';

const KEYS_LOCK = 'kaleido.security.api_keys';
const TENANTS_LOCK = 'kaleido.security.tenants';
const USERS_LOCK = 'kaleido.security.users';
const MAX_AUDIT_PAGE = 1000;

export interface SqlSecurityStoreOptions {
  /** Wall clock (ms since the epoch) for the migration history (default Date.now). */
  readonly now?: () => number;
  /** Default: `[...metadataMigrations, ...securityMigrations]`. */
  readonly migrations?: readonly Migration[];
}

/** PostgreSQL returns BIGINT as a string; SQLite returns numbers. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  prefix: string;
  hash: string;
  name: string;
  role: string;
  scopes: string;
  created_at: number | string;
  created_by: string;
  expires_at: number | string | null;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
  revoked_by: string | null;
  [column: string]: unknown;
}

interface TenantRow {
  id: string;
  name: string;
  created_at: number | string;
  disabled_at: number | string | null;
  [column: string]: unknown;
}

interface AuditRow {
  seq: number | string;
  at: number | string;
  tenant_id: string;
  actor: string;
  actor_kind: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  status_code: number | string;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  details: string;
  [column: string]: unknown;
}

interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  password_hash: string;
  role: string;
  created_at: number | string;
  created_by: string;
  password_changed_at: number | string;
  disabled_at: number | string | null;
  [column: string]: unknown;
}

interface SessionRow {
  id_hash: string;
  tenant_id: string;
  subject_kind: string;
  subject_id: string;
  created_at: number | string;
  last_seen_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
  source_ip: string | null;
  user_agent: string | null;
  [column: string]: unknown;
}

const USER_COLUMNS =
  'id, tenant_id, username, password_hash, role, created_at, created_by, password_changed_at, disabled_at';
const SESSION_COLUMNS =
  'id_hash, tenant_id, subject_kind, subject_id, created_at, last_seen_at, expires_at, revoked_at, source_ip, user_agent';

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role as Role,
  createdAt: num(r.created_at),
  createdBy: r.created_by,
  passwordChangedAt: num(r.password_changed_at),
  disabledAt: numOrNull(r.disabled_at),
});

const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  tenantId: r.tenant_id,
  subjectKind: r.subject_kind as SessionRecord['subjectKind'],
  subjectId: r.subject_id,
  createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at),
  expiresAt: num(r.expires_at),
  revokedAt: numOrNull(r.revoked_at),
  sourceIp: r.source_ip,
  userAgent: r.user_agent,
});

const KEY_COLUMNS =
  'id, tenant_id, prefix, hash, name, role, scopes, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by';
const AUDIT_COLUMNS =
  'seq, at, tenant_id, actor, actor_kind, action, resource_type, resource_id, outcome, status_code, request_id, source_ip, user_agent, details';

function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    prefix: r.prefix,
    hash: r.hash,
    name: r.name,
    role: r.role as Role,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: num(r.created_at),
    createdBy: r.created_by,
    expiresAt: numOrNull(r.expires_at),
    lastUsedAt: numOrNull(r.last_used_at),
    revokedAt: numOrNull(r.revoked_at),
    revokedBy: r.revoked_by,
  };
}

const toTenant = (r: TenantRow): TenantRecord => ({
  id: r.id,
  name: r.name,
  createdAt: num(r.created_at),
  disabledAt: numOrNull(r.disabled_at),
});

const toAudit = (r: AuditRow): AuditEntry => ({
  seq: num(r.seq),
  at: num(r.at),
  tenantId: r.tenant_id,
  actor: r.actor,
  actorKind: r.actor_kind as AuditEntry['actorKind'],
  action: r.action,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  outcome: r.outcome as AuditOutcome,
  statusCode: num(r.status_code),
  requestId: r.request_id,
  sourceIp: r.source_ip,
  userAgent: r.user_agent,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

export class SqlSecurityStore implements ApiKeyStore, TenantStore, AuditLog, UserStore, SessionStore {
  private readonly now: () => number;
  private readonly migrations: readonly Migration[];
  private closed = false;

  constructor(
    private readonly client: SqlClient,
    options: SqlSecurityStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.migrations = options.migrations ?? [...metadataMigrations, ...securityMigrations];
  }

  get dialect(): SqlClient['dialect'] {
    return this.client.dialect;
  }

  private get db(): SqlClient {
    if (this.closed) throw new KaleidoError('ERR_UNAVAILABLE', 'the security store is closed');
    return this.client;
  }

  async migrate(): Promise<{ applied: string[] }> {
    return runMigrations(this.db, this.migrations, this.now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  // ---- API keys ----

  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.db.transaction(KEYS_LOCK, async (tx) => {
      if ((await tx.query('SELECT 1 AS x FROM tenants WHERE id = ?', [k.tenantId])).length === 0) {
        throw new KaleidoError('ERR_NOT_FOUND', `tenant "${k.tenantId}" not found`, {
          details: { resource: 'tenant', id: k.tenantId },
        });
      }
      const taken = await tx.query('SELECT 1 AS x FROM api_keys WHERE id = ? OR prefix = ?', [
        k.id,
        k.prefix,
      ]);
      if (taken.length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', 'an API key with this id or prefix already exists', {
          details: { resource: 'api_key', id: k.id },
        });
      }
      await tx.query(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        k.id,
        k.tenantId,
        k.prefix,
        k.hash,
        k.name,
        k.role,
        JSON.stringify(k.scopes),
        k.createdAt,
        k.createdBy,
        k.expiresAt,
        k.lastUsedAt,
        k.revokedAt,
        k.revokedBy,
      ]);
    });
  }

  async findApiKeyByPrefix(prefix: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE prefix = ?`, [
      prefix,
    ]);
    return row === undefined ? undefined : toApiKey(row);
  }

  async getApiKey(tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? AND id = ?`,
      [tenantId, id],
    );
    return row === undefined ? undefined : toApiKey(row);
  }

  async listApiKeys(tenantId: string, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
    const revoked = options.includeRevoked === true ? '' : ' AND revoked_at IS NULL';
    const rows = await this.db.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ?${revoked} ORDER BY created_at DESC, id DESC`,
      [tenantId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, at: number, by: string): Promise<boolean> {
    return this.db.transaction(KEYS_LOCK, async (tx) => {
      const found = await tx.query('SELECT 1 AS x FROM api_keys WHERE tenant_id = ? AND id = ?', [
        tenantId,
        id,
      ]);
      if (found.length === 0) return false;
      await tx.query(
        'UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL',
        [at, by, tenantId, id],
      );
      return true;
    });
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    // A plain conditional UPDATE: no transaction, no lock, last writer with the latest time wins.
    await this.db.query(
      'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      [at, id, at],
    );
  }

  // ---- Tenants ----

  async createTenant(t: TenantRecord): Promise<void> {
    await this.db.transaction(TENANTS_LOCK, async (tx) => {
      if ((await tx.query('SELECT 1 AS x FROM tenants WHERE id = ?', [t.id])).length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `tenant "${t.id}" already exists`, {
          details: { resource: 'tenant', id: t.id },
        });
      }
      await tx.query('INSERT INTO tenants (id, name, created_at, disabled_at) VALUES (?, ?, ?, ?)', [
        t.id,
        t.name,
        t.createdAt,
        t.disabledAt,
      ]);
    });
  }

  async getTenant(id: string): Promise<TenantRecord | undefined> {
    const [row] = await this.db.query<TenantRow>(
      'SELECT id, name, created_at, disabled_at FROM tenants WHERE id = ?',
      [id],
    );
    return row === undefined ? undefined : toTenant(row);
  }

  async listTenants(): Promise<TenantRecord[]> {
    const rows = await this.db.query<TenantRow>(
      'SELECT id, name, created_at, disabled_at FROM tenants ORDER BY id',
    );
    return rows.map(toTenant);
  }

  async setTenantDisabled(id: string, disabledAt: number | null): Promise<boolean> {
    return this.db.transaction(TENANTS_LOCK, async (tx: SqlExecutor) => {
      if ((await tx.query('SELECT 1 AS x FROM tenants WHERE id = ?', [id])).length === 0) return false;
      await tx.query('UPDATE tenants SET disabled_at = ? WHERE id = ?', [disabledAt, id]);
      return true;
    });
  }

  // ---- Users ----

  async insertUser(u: UserRecord): Promise<void> {
    await this.db.transaction(USERS_LOCK, async (tx) => {
      if ((await tx.query('SELECT 1 AS x FROM tenants WHERE id = ?', [u.tenantId])).length === 0) {
        throw new KaleidoError('ERR_NOT_FOUND', `tenant "${u.tenantId}" not found`, {
          details: { resource: 'tenant', id: u.tenantId },
        });
      }
      const taken = await tx.query('SELECT 1 AS x FROM users WHERE id = ? OR username = ?', [
        u.id,
        u.username,
      ]);
      if (taken.length > 0) {
        throw new KaleidoError('ERR_ALREADY_EXISTS', `a user named "${u.username}" already exists`, {
          details: { resource: 'user', username: u.username },
        });
      }
      await tx.query(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        u.id,
        u.tenantId,
        u.username,
        u.passwordHash,
        u.role,
        u.createdAt,
        u.createdBy,
        u.passwordChangedAt,
        u.disabledAt,
      ]);
    });
  }

  async findUserByUsername(username: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [
      username,
    ]);
    return row === undefined ? undefined : toUser(row);
  }

  async getUser(tenantId: string, id: string): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND id = ?`,
      [tenantId, id],
    );
    return row === undefined ? undefined : toUser(row);
  }

  async listUsers(tenantId: string): Promise<UserRecord[]> {
    const rows = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? ORDER BY created_at, id`,
      [tenantId],
    );
    return rows.map(toUser);
  }

  async setUserDisabled(tenantId: string, id: string, disabledAt: number | null): Promise<boolean> {
    return this.db.transaction(USERS_LOCK, async (tx) => {
      const found = await tx.query('SELECT 1 AS x FROM users WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      if (found.length === 0) return false;
      await tx.query('UPDATE users SET disabled_at = ? WHERE tenant_id = ? AND id = ?', [
        disabledAt,
        tenantId,
        id,
      ]);
      return true;
    });
  }

  async setUserPassword(tenantId: string, id: string, passwordHash: string, at: number): Promise<boolean> {
    return this.db.transaction(USERS_LOCK, async (tx) => {
      const found = await tx.query('SELECT 1 AS x FROM users WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      if (found.length === 0) return false;
      await tx.query(
        'UPDATE users SET password_hash = ?, password_changed_at = ? WHERE tenant_id = ? AND id = ?',
        [passwordHash, at, tenantId, id],
      );
      return true;
    });
  }

  async setUserRole(tenantId: string, id: string, role: Role): Promise<boolean> {
    return this.db.transaction(USERS_LOCK, async (tx) => {
      const found = await tx.query('SELECT 1 AS x FROM users WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      if (found.length === 0) return false;
      await tx.query('UPDATE users SET role = ? WHERE tenant_id = ? AND id = ?', [role, tenantId, id]);
      return true;
    });
  }

  // ---- Sessions ----

  async insertSession(r: SessionRecord): Promise<void> {
    await this.db.query(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      r.idHash,
      r.tenantId,
      r.subjectKind,
      r.subjectId,
      r.createdAt,
      r.lastSeenAt,
      r.expiresAt,
      r.revokedAt,
      r.sourceIp,
      r.userAgent,
    ]);
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const [row] = await this.db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = ?`,
      [idHash],
    );
    return row === undefined ? undefined : toSession(row);
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.db.query('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?', [
      at,
      idHash,
      at,
    ]);
  }

  async revokeSession(idHash: string, at: number): Promise<boolean> {
    const rows = await this.db.query<{ id_hash: string }>(
      'UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL RETURNING id_hash',
      [at, idHash],
    );
    return rows.length > 0;
  }

  async revokeSessionsOf(kind: SessionRecord['subjectKind'], subjectId: string, at: number): Promise<number> {
    const rows = await this.db.query<{ id_hash: string }>(
      'UPDATE sessions SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL RETURNING id_hash',
      [at, kind, subjectId],
    );
    return rows.length;
  }

  async purgeSessions(before: number): Promise<number> {
    const rows = await this.db.query<{ id_hash: string }>(
      'DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ? RETURNING id_hash',
      [before, before],
    );
    return rows.length;
  }

  // ---- Audit ----

  async append(e: AuditEntryInput): Promise<AuditEntry> {
    const params: SqlValue[] = [
      e.at,
      e.tenantId,
      e.actor,
      e.actorKind,
      e.action,
      e.resourceType,
      e.resourceId,
      e.outcome,
      e.statusCode,
      e.requestId,
      e.sourceIp,
      e.userAgent,
      JSON.stringify(e.details),
    ];
    const [row] = await this.db.query<{ seq: number | string }>(
      `INSERT INTO audit_log (${AUDIT_COLUMNS.replace('seq, ', '')})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      params,
    );
    if (row === undefined) throw new KaleidoError('ERR_INTERNAL', 'audit insert returned no sequence number');
    return { ...e, seq: num(row.seq) };
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const limit = q.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
      throw new KaleidoError('ERR_VALIDATION', `limit must be an integer in [1, ${MAX_AUDIT_PAGE}]`, {
        details: { field: 'limit', value: limit },
      });
    }
    const before = q.before === undefined ? '' : ' AND seq < ?';
    const params: SqlValue[] = q.before === undefined ? [q.tenantId, limit] : [q.tenantId, q.before, limit];
    const rows = await this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = ?${before} ORDER BY seq DESC LIMIT ?`,
      params,
    );
    return rows.map(toAudit);
  }
}
