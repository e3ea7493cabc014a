/**
 * The narrow driver surface the shared SQL code needs. Each dialect adapter (better-sqlite3, pg)
 * implements it once; queries are written with `?` placeholders and the PostgreSQL client numbers
 * them ($1, $2 …), so both dialects run the very same query text.
 */
export type SqlValue = string | number | null;

export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  /** Runs one parameterised statement and returns its rows (empty for statements without rows). */
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a trusted multi-statement script without parameters (migrations only). */
  script(sql: string): Promise<void>;
}

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlClient extends SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * Runs `fn` in one transaction that holds the database's writer lock for `lockName`: on SQLite
   * the database-wide write lock (BEGIN IMMEDIATE), on PostgreSQL a transaction-scoped advisory
   * lock. Commits when `fn` resolves, rolls back when it rejects.
   */
  transaction<T>(lockName: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Rewrites `?` placeholders to PostgreSQL's `$1, $2 …`, leaving `?` inside quoted strings,
 * quoted identifiers and comments alone.
 */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      out += `$${++n}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
