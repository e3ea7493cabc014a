/**
 * SqlClient over a `pg` Pool (the scaled-out metadata store). Statements use `?` placeholders in
 * the shared code and are numbered here; locks are transaction-scoped advisory locks, keyed by
 * schema and name so that stores in different schemas of one database never wait on each other.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import {
  numberPlaceholders,
  type SqlClient,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
} from '../store-sql/index.js';

/** Lowercase unquoted identifiers only: they need no quoting anywhere (search_path, DDL, logs). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * SQLSTATE classes that mean "the database is not reachable or is busy now": connection
 * exceptions (08), insufficient resources (53), operator intervention (57P01..57P03),
 * serialization failures and deadlocks (40001, 40P01).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01)/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

export interface PostgresClientOptions {
  /** postgres://user:password@host:port/database?… */
  readonly connectionString: string;
  /** Schema holding the tables (must exist); default: the server's search_path (public). */
  readonly schema?: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing with ERR_UNAVAILABLE (default 10000). */
  readonly connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (the server restarted, the network dropped). The
   * pool discards that connection and opens a new one on demand; without a listener `pg` would
   * crash the process.
   */
  readonly onIdleError?: (error: Error) => void;
}

export function toPostgresStoreError(e: unknown, schema?: string): KaleidoError {
  if (isKaleidoError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === '3F000') {
    return new KaleidoError('ERR_BAD_CONFIG', `the PostgreSQL schema ${schema ?? ''} does not exist`, {
      cause: e,
      details: { field: 'schema', schema },
    });
  }
  const transient =
    typeof code === 'string'
      ? SQLSTATE.test(code)
        ? TRANSIENT_SQLSTATE.test(code)
        : code.startsWith('E') // Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT …
      : /connect|terminat|timeout|closed/i.test(message); // pg's own connection errors carry no code
  if (transient) {
    return new KaleidoError('ERR_UNAVAILABLE', 'the PostgreSQL metadata database is unavailable', {
      cause: e,
      details: { dependency: 'postgres', ...(typeof code === 'string' ? { code } : {}) },
    });
  }
  return new KaleidoError('ERR_INTERNAL', 'PostgreSQL statement failed', { cause: e });
}

/** A 64-bit advisory lock key (as a decimal string, cast to bigint in SQL). */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}

function executor(run: pg.Pool | pg.PoolClient, schema: string | undefined): SqlExecutor {
  return {
    async query<R extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      try {
        const result = await run.query<R>(numberPlaceholders(sql), params as SqlValue[]);
        return result.rows;
      } catch (e) {
        throw toPostgresStoreError(e, schema);
      }
    },
    async script(sql: string): Promise<void> {
      try {
        // No parameters: the simple query protocol, which accepts several statements.
        await run.query(sql);
      } catch (e) {
        throw toPostgresStoreError(e, schema);
      }
    },
  };
}

export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly direct: SqlExecutor;

  constructor(options: PostgresClientOptions) {
    const { connectionString, schema } = options;
    const max = options.maxConnections ?? 10;
    const connectionTimeoutMillis = options.connectionTimeoutMs ?? 10_000;
    if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'connectionString must be a postgres:// URL', {
        details: { field: 'connectionString' },
      });
    }
    if (schema !== undefined && (typeof schema !== 'string' || !SCHEMA_NAME.test(schema))) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'schema must be a lowercase identifier ([a-z_][a-z0-9_]*)', {
        details: { field: 'schema', value: schema },
      });
    }
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'maxConnections must be a positive integer', {
        details: { field: 'maxConnections', value: max },
      });
    }
    if (!Number.isSafeInteger(connectionTimeoutMillis) || connectionTimeoutMillis < 1) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'connectionTimeoutMs must be a positive integer', {
        details: { field: 'connectionTimeoutMs', value: connectionTimeoutMillis },
      });
    }
    this.schema = schema;
    this.pool = new pg.Pool({
      connectionString,
      max,
      connectionTimeoutMillis,
      idleTimeoutMillis: 30_000,
      application_name: 'kaleido',
      // Set at connection start-up, so every pooled connection sees only this schema's tables.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    const onIdleError = options.onIdleError ?? (() => undefined);
    this.pool.on('error', onIdleError);
    this.direct = executor(this.pool, schema);
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.direct.query<R>(sql, params);
  }

  script(sql: string): Promise<void> {
    return this.direct.script(sql);
  }

  async transaction<T>(lockName: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let conn: pg.PoolClient;
    try {
      conn = await this.pool.connect();
    } catch (e) {
      throw toPostgresStoreError(e, this.schema);
    }
    let broken: Error | undefined;
    try {
      const tx = executor(conn, this.schema);
      await tx.script('BEGIN');
      try {
        await tx.query('SELECT pg_advisory_xact_lock(?::bigint)', [
          advisoryLockKey(`${this.schema ?? 'public'}:${lockName}`),
        ]);
        const result = await fn(tx);
        await tx.script('COMMIT');
        return result;
      } catch (e) {
        try {
          await conn.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable; destroy it instead of returning it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw e;
      }
    } finally {
      conn.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
