/**
 * Turns the parsed search filters and orderings of the tracking and registry ports into SQL that
 * runs unchanged on SQLite and PostgreSQL (only pattern matching differs; see `compare`).
 *
 * Nothing from the caller is spliced into SQL text: attribute keys are looked up in a fixed
 * column table and every value travels as a bound parameter.
 */
import { KaleidoError } from '../../core/errors.js';
import type { FilterClause, FilterOp, OrderClause } from '../../core/ports/tracking-store.js';
import type { SqlDialect, SqlValue } from './sql-client.js';

export interface SearchColumn {
  /** A column of the searched row, qualified with its alias (e.g. "r.start_time"). */
  readonly sql: string;
  readonly type: 'text' | 'number';
}

/** A key/value side table joined to the searched row (tags, params, latest metrics). */
export interface SearchSideTable {
  readonly table: string;
  /** Join condition between the side table (aliased "s") and the searched row. */
  readonly join: string;
  readonly type: 'text' | 'number';
}

export interface SearchSchema {
  readonly attributes: Readonly<Record<string, SearchColumn>>;
  readonly sides: Readonly<Partial<Record<'metric' | 'param' | 'tag', SearchSideTable>>>;
}

export interface SqlFragment {
  readonly sql: string;
  readonly params: SqlValue[];
}

function unsupported(what: string, key: string): KaleidoError {
  return new KaleidoError('ERR_VALIDATION', `${what} "${key}" is not supported by this search`, {
    details: { field: 'filter', key },
  });
}

/** SQL LIKE pattern → SQLite GLOB pattern (GLOB is case-sensitive, as LIKE is on PostgreSQL). */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const c of pattern) {
    if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else if (c === '*' || c === '?' || c === '[') out += `[${c}]`;
    else out += c;
  }
  return out;
}

const COMPARISONS: ReadonlySet<FilterOp> = new Set(['=', '!=', '>', '>=', '<', '<=']);

function compare(
  dialect: SqlDialect,
  expr: string,
  type: SearchColumn['type'],
  op: FilterOp,
  value: string | number,
): SqlFragment {
  if (type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || !COMPARISONS.has(op)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `a numeric field compares with =, !=, <, <=, >, >= and a finite number`,
        {
          details: { field: 'filter', op, value },
        },
      );
    }
    return { sql: `${expr} ${op === '!=' ? '<>' : op} ?`, params: [value] };
  }
  if (typeof value !== 'string') {
    throw new KaleidoError('ERR_VALIDATION', 'a text field compares with a quoted string', {
      details: { field: 'filter', op, value },
    });
  }
  // PostgreSQL treats "\" as LIKE's escape character unless told otherwise; SQLite has none.
  const escape = dialect === 'postgres' ? " ESCAPE ''" : '';
  switch (op) {
    case 'LIKE':
      return dialect === 'sqlite'
        ? { sql: `${expr} GLOB ?`, params: [likeToGlob(value)] }
        : { sql: `${expr} LIKE ?${escape}`, params: [value] };
    case 'ILIKE':
      // lower() folds ASCII only on both engines (the columns use byte order), so both agree.
      return { sql: `lower(${expr}) LIKE lower(CAST(? AS TEXT))${escape}`, params: [value] };
    case '=':
    case '!=':
      return { sql: `${expr} ${op === '!=' ? '<>' : '='} ?`, params: [value] };
    default:
      throw new KaleidoError('ERR_VALIDATION', `a text field compares with =, !=, LIKE or ILIKE, not ${op}`, {
        details: { field: 'filter', op },
      });
  }
}

/** The conjunction of `clauses` as one SQL condition ("1 = 1" when empty). */
export function whereClause(
  dialect: SqlDialect,
  schema: SearchSchema,
  clauses: readonly FilterClause[],
): SqlFragment {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const c of clauses) {
    if (c.kind === 'attribute') {
      const column = schema.attributes[c.key];
      if (column === undefined) throw unsupported('attribute', c.key);
      const f = compare(dialect, column.sql, column.type, c.op, c.value);
      parts.push(f.sql);
      params.push(...f.params);
    } else {
      const side = schema.sides[c.kind];
      if (side === undefined) throw unsupported(c.kind, c.key);
      // EXISTS: a row lacking the key never matches, whatever the operator (MLflow's semantics).
      const f = compare(dialect, 's.value', side.type, c.op, c.value);
      parts.push(`EXISTS (SELECT 1 FROM ${side.table} s WHERE ${side.join} AND s.key = ? AND ${f.sql})`);
      params.push(c.key, ...f.params);
    }
  }
  return { sql: parts.length === 0 ? '1 = 1' : parts.join(' AND '), params };
}

/**
 * ORDER BY terms for `order` followed by `tieBreak` (which must make the order total, so paging
 * by offset neither repeats nor skips rows). Missing values sort last in both directions.
 */
export function orderClause(
  schema: SearchSchema,
  order: readonly OrderClause[],
  tieBreak: string,
): SqlFragment {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  for (const o of order) {
    let expr: string;
    if (o.kind === 'attribute') {
      const column = schema.attributes[o.key];
      if (column === undefined) throw unsupported('order_by attribute', o.key);
      expr = column.sql;
    } else {
      const side = schema.sides[o.kind];
      if (side === undefined) throw unsupported(`order_by ${o.kind}`, o.key);
      expr = `(SELECT s.value FROM ${side.table} s WHERE ${side.join} AND s.key = ?)`;
      // The subquery appears twice (IS NULL, then the value): bind the key for both.
      params.push(o.key, o.key);
    }
    terms.push(`(${expr} IS NULL)`, `${expr} ${o.ascending ? 'ASC' : 'DESC'}`);
  }
  terms.push(tieBreak);
  return { sql: terms.join(', '), params };
}

/** `?, ?, ?` for an IN list of n values (n ≥ 1). */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
