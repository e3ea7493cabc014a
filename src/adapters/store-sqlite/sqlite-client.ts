/**
 * SqlClient over better-sqlite3 (the embedded default). better-sqlite3 is synchronous, so an
 * asynchronous transaction must keep every other statement of this process out until it ends:
 * on the same connection a statement issued while the transaction awaits would silently become
 * part of it, and on a second connection to the same file it would block the event loop in
 * SQLite's busy handler while the lock holder cannot run (a deadlock until busy_timeout). One gate
 * per database file, shared by all clients of this process, prevents both; other processes are
 * kept out by SQLite's own locks.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { SqlClient, SqlExecutor, SqlRow, SqlValue } from '../store-sql/index.js';

// better-sqlite3 ships no type declarations and @types/better-sqlite3 is not a dependency: this
// is the part of its API this adapter uses.
interface Statement {
  readonly reader: boolean;
  all(...params: SqlValue[]): unknown[];
  run(...params: SqlValue[]): { changes: number };
}
interface Database {
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): void;
}
type DatabaseConstructor = new (filename: string, options?: { timeout?: number }) => Database;

const require = createRequire(import.meta.url);

/** SQLite result codes that mean "try again later", not "this statement is wrong". */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED)/;
/** Prepared statements are cached per text; the store issues a fixed, small set of them. */
const MAX_CACHED_STATEMENTS = 64;

export function toSqliteStoreError(e: unknown): KaleidoError {
  if (isKaleidoError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT.test(code)) {
    return new KaleidoError('ERR_UNAVAILABLE', 'the SQLite database is locked by another writer', {
      cause: e,
      details: { dependency: 'sqlite', code },
    });
  }
  return new KaleidoError('ERR_INTERNAL', 'SQLite statement failed', { cause: e });
}

/** Serialises this process's statements on one database file around its transactions. */
interface Gate {
  /** Settles when the running transaction ends; undefined when none runs. */
  running: Promise<void> | undefined;
  clients: number;
}
const gates = new Map<string, Gate>();

function acquireGate(file: string | undefined): Gate {
  if (file === undefined) return { running: undefined, clients: 1 };
  let gate = gates.get(file);
  if (gate === undefined) {
    gate = { running: undefined, clients: 0 };
    gates.set(file, gate);
  }
  gate.clients++;
  return gate;
}

export interface SqliteClientOptions {
  /** Database file, or ":memory:" for a private in-memory database. */
  readonly path: string;
  /** How long a statement waits for another process's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database;
  private readonly statements = new Map<string, Statement>();
  private readonly file: string | undefined;
  private readonly gate: Gate;
  private closed = false;
  private readonly direct: SqlExecutor = {
    query: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
      this.execute<R>(sql, params),
    script: async (sql: string) => this.runScript(sql),
  };

  constructor(options: SqliteClientOptions) {
    const { path } = options;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (typeof path !== 'string' || path.trim() === '') {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the SQLite path must be a non-empty string', {
        details: { field: 'path' },
      });
    }
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 0x7fffffff) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'busyTimeoutMs must be a non-negative integer', {
        details: { field: 'busyTimeoutMs', value: busyTimeoutMs },
      });
    }
    const Database = require('better-sqlite3') as DatabaseConstructor;
    const memory = path === ':memory:';
    try {
      if (!memory) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: busyTimeoutMs });
    } catch (cause) {
      throw new KaleidoError('ERR_UNAVAILABLE', `cannot open the SQLite database at ${path}`, {
        cause,
        details: { dependency: 'sqlite', path },
      });
    }
    try {
      // WAL: readers never block the writer and vice versa, and several processes can share the
      // file. synchronous stays at its default FULL: metadata writes are rare and must survive
      // power loss. foreign_keys is off by default in SQLite, and later tables rely on it.
      if (!memory) this.db.pragma('journal_mode = WAL');
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      this.db.pragma('foreign_keys = ON');
      this.file = memory ? undefined : realpathSync(path);
    } catch (cause) {
      this.db.close();
      throw new KaleidoError('ERR_UNAVAILABLE', `cannot use the SQLite database at ${path}`, {
        cause,
        details: { dependency: 'sqlite', path },
      });
    }
    this.gate = acquireGate(this.file);
  }

  /** Reads a pragma (for diagnostics and tests), e.g. "journal_mode". */
  pragma(name: 'journal_mode' | 'busy_timeout' | 'foreign_keys'): unknown {
    return this.db.pragma(name, { simple: true });
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= MAX_CACHED_STATEMENTS) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private execute<R extends SqlRow>(sql: string, params: readonly SqlValue[]): R[] {
    try {
      const stmt = this.statement(sql);
      if (stmt.reader) return stmt.all(...params) as R[];
      stmt.run(...params);
      return [];
    } catch (e) {
      throw toSqliteStoreError(e);
    }
  }

  private runScript(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      throw toSqliteStoreError(e);
    }
  }

  async query<R extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    // The check and the statement run in one synchronous step: no await may sit between them.
    while (this.gate.running !== undefined) await this.gate.running;
    return this.execute<R>(sql, params);
  }

  async script(sql: string): Promise<void> {
    while (this.gate.running !== undefined) await this.gate.running;
    this.runScript(sql);
  }

  /** SQLite has one writer per database, so every lock name maps to BEGIN IMMEDIATE. */
  async transaction<T>(_lockName: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.gate.running !== undefined) await this.gate.running;
    let end!: () => void;
    this.gate.running = new Promise<void>((resolve) => (end = resolve));
    try {
      // IMMEDIATE takes the write lock now (waiting up to busy_timeout for other processes), so
      // the reads inside the transaction see the state its writes build on.
      this.runScript('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.runScript('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    } finally {
      this.gate.running = undefined;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.gate.running !== undefined) await this.gate.running;
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
    if (this.file !== undefined && --this.gate.clients === 0) gates.delete(this.file);
  }
}
