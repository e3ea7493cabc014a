/**
 * Schema of the security tables (tenants, API keys, audit log), for SQLite and PostgreSQL. Kept
 * apart from migrations.ts so the two lists can grow independently; ids start at 0100 so that the
 * combined list `[...metadataMigrations, ...securityMigrations]` stays in order. The rules of
 * migrations.ts apply: append only, parallel column types, millisecond integers for time.
 */
import type { Migration } from './migrations.js';

export const securityMigrations: readonly Migration[] = [
  {
    id: '0100_security_tenants_keys_audit',
    sql: {
      sqlite: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
) STRICT;

-- The platform operators' tenant exists from the start: its admins create every other tenant.
INSERT INTO tenants (id, name, created_at, disabled_at) VALUES ('system', 'System', 0, NULL);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER,
  revoked_by TEXT
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT,
  outcome TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  request_id TEXT,
  source_ip TEXT,
  user_agent TEXT,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
`,
      postgres: `
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  disabled_at BIGINT
);

-- The platform operators' tenant exists from the start: its admins create every other tenant.
INSERT INTO tenants (id, name, created_at, disabled_at) VALUES ('system', 'System', 0, NULL);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  prefix TEXT COLLATE "C" NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at BIGINT,
  last_used_at BIGINT,
  revoked_at BIGINT,
  revoked_by TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE audit_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL,
  actor TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT,
  outcome TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  request_id TEXT,
  source_ip TEXT,
  user_agent TEXT,
  details TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
`,
    },
  },
  {
    // Console users (scrypt password hashes) and server-side browser sessions (SHA-256 of the
    // cookie value; the cookie itself is never stored).
    id: '0101_security_users_sessions',
    sql: {
      sqlite: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  password_changed_at INTEGER NOT NULL,
  disabled_at INTEGER
) STRICT;
CREATE INDEX users_tenant ON users (tenant_id, created_at);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  source_ip TEXT,
  user_agent TEXT
) STRICT;
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
`,
      postgres: `
CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  username TEXT COLLATE "C" NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  password_changed_at BIGINT NOT NULL,
  disabled_at BIGINT
);
CREATE INDEX users_tenant ON users (tenant_id, created_at);

CREATE TABLE sessions (
  id_hash TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  source_ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
`,
    },
  },
];
