/**
 * Parsers for uploaded data sets. They never throw on a bad row: every problem becomes a RowIssue
 * with its 1-based line number, and the caller decides (reject the upload, or skip and list).
 *
 * JSONL: one JSON object per line; blank lines are not rows. CSV: RFC 4180 (a header row, fields
 * separated by the delimiter, quoted with '"', '""' for a quote inside a quoted field, quoted fields
 * may span lines; CRLF or LF). A UTF-8 byte order mark at the start is ignored; invalid UTF-8 is a
 * row issue.
 */
import type { JsonValue } from '../../core/hpo/types.js';
import type { RowIssue } from '../../core/ports/dataset-store.js';

export interface RawRow {
  readonly line: number;
  readonly fields: Record<string, JsonValue>;
}

export interface ParseResult {
  readonly rows: RawRow[];
  readonly issues: RowIssue[];
  /** Field names in first-seen order (CSV: the header). */
  readonly columns: string[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Splits bytes at LF, dropping a trailing CR, and decodes each line (invalid UTF-8 → undefined). */
function lines(bytes: Uint8Array): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      let end = i;
      if (end > start && bytes[end - 1] === 0x0d) end--;
      if (i === bytes.length && start === i) break; // no empty "line" after a final newline
      try {
        out.push(decoder.decode(bytes.subarray(start, end)));
      } catch {
        out.push(undefined);
      }
      start = i + 1;
    }
  }
  return out;
}

export function parseJsonl(bytes: Uint8Array): ParseResult {
  const rows: RawRow[] = [];
  const issues: RowIssue[] = [];
  const columns: string[] = [];
  const seen = new Set<string>();
  lines(bytes).forEach((text, i) => {
    const line = i + 1;
    if (text === undefined) {
      issues.push({ line, message: 'not valid UTF-8' });
      return;
    }
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      issues.push({ line, message: `invalid JSON: ${(e as Error).message}` });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ line, message: 'a row must be a JSON object' });
      return;
    }
    for (const key of Object.keys(value)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
    rows.push({ line, fields: value as Record<string, JsonValue> });
  });
  return { rows, issues, columns };
}

/** Strict decimal numbers only ("1", "-2.5", "3e4", ".5"): "0x10", "1,5", " 1" stay text. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface CsvRecord {
  line: number;
  values: string[];
}

/**
 * Splits CSV text into records. Errors end the current record (reported at the line where the
 * record started) and parsing resumes at the next line, so one bad quote does not hide the rest.
 */
function csvRecords(text: string, delimiter: string, issues: RowIssue[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const recordStart = i;
    const values: string[] = [];
    let field = '';
    let bad: string | undefined;
    let quoted = false;
    let afterQuote = false;
    let ended = false;
    while (i < n && !ended) {
      const c = text[i] as string;
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          afterQuote = true;
          i++;
          continue;
        }
        if (c === '\n') line++;
        field += c;
        i++;
        continue;
      }
      if (c === delimiter) {
        values.push(field);
        field = '';
        afterQuote = false;
        i++;
      } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
        i += c === '\r' ? 2 : 1;
        line++;
        ended = true;
      } else if (afterQuote) {
        bad ??= `unexpected character after a closing quote in field ${values.length + 1}`;
        i++;
      } else if (c === '"') {
        if (field.length > 0)
          bad ??= `a quote inside an unquoted field (field ${values.length + 1}); quote the whole field`;
        else quoted = true;
        i++;
      } else {
        field += c;
        i++;
      }
    }
    if (quoted) {
      issues.push({ line: startLine, message: 'unterminated quoted field (missing closing quote)' });
      // The rest of the file was swallowed into one field: resume at the line after the one where
      // the record started, so that later rows are still parsed and checked.
      const nl = text.indexOf('\n', recordStart);
      if (nl === -1) break;
      i = nl + 1;
      line = startLine + 1;
      continue;
    }
    values.push(field);
    if (bad !== undefined) {
      issues.push({ line: startLine, message: bad });
      continue;
    }
    // A completely empty line is not a record (common at the end of files).
    if (values.length === 1 && values[0] === '') continue;
    records.push({ line: startLine, values });
  }
  return records;
}

export function parseCsv(bytes: Uint8Array, delimiter = ','): ParseResult {
  const issues: RowIssue[] = [];
  const decodedLines = lines(bytes);
  const badUtf8 = decodedLines.flatMap((l, i) => (l === undefined ? [i + 1] : []));
  if (badUtf8.length > 0) {
    // A CSV record can span lines, so invalid bytes are reported by line and parsing stops.
    return { rows: [], columns: [], issues: badUtf8.map((line) => ({ line, message: 'not valid UTF-8' })) };
  }
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    return {
      rows: [],
      columns: [],
      issues: [{ line: 1, message: `delimiter must be one character other than quote or newline` }],
    };
  }
  const text = (decodedLines as string[]).join('\n');
  const records = csvRecords(text, delimiter, issues);
  const header = records.shift();
  if (header === undefined) {
    return {
      rows: [],
      columns: [],
      issues: issues.length ? issues : [{ line: 1, message: 'no header row' }],
    };
  }
  const columns = header.values.map((v) => v.trim());
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === '') issues.push({ line: header.line, message: `header column ${i + 1} has no name` });
    else if (seen.has(c)) issues.push({ line: header.line, message: `header column "${c}" appears twice` });
    seen.add(c);
  });
  if (issues.some((i) => i.line === header.line)) return { rows: [], columns, issues };
  const raw: Array<{ line: number; values: string[] }> = [];
  for (const r of records) {
    if (r.values.length !== columns.length) {
      issues.push({
        line: r.line,
        message: `has ${r.values.length} fields, the header has ${columns.length}`,
      });
      continue;
    }
    raw.push(r);
  }
  // A column is numeric when every non-empty value is a number; empty cells are missing (null).
  const numeric = columns.map((_, c) =>
    raw.every((r) => r.values[c] === '' || NUMBER.test((r.values[c] as string).trim())),
  );
  const rows: RawRow[] = raw.map((r) => {
    const fields: Record<string, JsonValue> = {};
    columns.forEach((name, c) => {
      const v = r.values[c] as string;
      fields[name] = v === '' ? null : numeric[c] ? Number(v.trim()) : v;
    });
    return { line: r.line, fields };
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { rows, issues, columns };
}
