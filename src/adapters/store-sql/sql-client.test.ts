import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from './sql-client.js';

describe('numberPlaceholders', () => {
  it('numbers ? placeholders in order', () => {
    expect(numberPlaceholders('SELECT * FROM t WHERE a = ? AND b > ? LIMIT ?')).toBe(
      'SELECT * FROM t WHERE a = $1 AND b > $2 LIMIT $3',
    );
    expect(numberPlaceholders('SELECT 1')).toBe('SELECT 1');
  });

  it('leaves ? in string literals, quoted identifiers and comments alone', () => {
    expect(
      numberPlaceholders(`SELECT '?', 'it''s ?', "col?" FROM t -- why?\nWHERE a = ? /* or ? */ AND b = ?`),
    ).toBe(`SELECT '?', 'it''s ?', "col?" FROM t -- why?\nWHERE a = $1 /* or ? */ AND b = $2`);
  });

  it('copies unterminated quotes and comments through', () => {
    expect(numberPlaceholders("SELECT ? 'open ?")).toBe("SELECT $1 'open ?");
    expect(numberPlaceholders('SELECT ? /* open ?')).toBe('SELECT $1 /* open ?');
    expect(numberPlaceholders('SELECT ? -- tail ?')).toBe('SELECT $1 -- tail ?');
  });
});
