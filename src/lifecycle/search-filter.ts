/**
 * The subset of MLflow's search syntax Kaleido understands, parsed into the ports' FilterClause /
 * OrderClause so the stores never see text:
 *
 *   filter   := clause ( AND clause )*
 *   clause   := identifier op value
 *   identifier := [ prefix "." ] key        prefix: metrics|metric|params|param|tags|tag|attributes|attribute|attr|run
 *   key      := word | `back-quoted` | "double-quoted"
 *   op       := = | != | > | >= | < | <= | LIKE | ILIKE       (keywords case-insensitive)
 *   value    := 'single-quoted' | "double-quoted" | number
 *   order_by := identifier [ ASC | DESC ]
 *
 * An identifier without a prefix is an attribute (`name LIKE 'x%'`), as in MLflow. OR,
 * parentheses and IN are not supported and are refused with a clear message.
 */
import type { FilterClause, FilterOp, OrderClause } from '../core/ports/tracking-store.js';
import { invalid } from './validation.js';

export type SearchKind = FilterClause['kind'];

export interface SearchSpec {
  /** Which prefixed kinds the search accepts besides attributes. */
  readonly kinds: readonly Exclude<SearchKind, 'attribute'>[];
  /** Attribute names and their types; aliases map to a canonical name. */
  readonly attributes: Readonly<Record<string, 'text' | 'number'>>;
  readonly aliases?: Readonly<Record<string, string>>;
}

const MAX_FILTER_LENGTH = 4096;
const MAX_CLAUSES = 50;

const PREFIXES: Readonly<Record<string, SearchKind>> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

type Token =
  | { t: 'word'; v: string }
  | { t: 'quoted'; v: string; q: string }
  | { t: 'number'; v: number }
  | { t: 'op'; v: string }
  | { t: 'dot' }
  | { t: 'comma' };

function tokenize(field: string, src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw invalid(field, `has an unterminated ${c}-quoted string`);
        const d = src[j] as string;
        if (d === c) {
          // A doubled quote inside a quoted string stands for one quote (SQL style).
          if (src[j + 1] === c) {
            v += c;
            j += 2;
            continue;
          }
          break;
        }
        v += d;
        j++;
      }
      out.push({ t: 'quoted', v, q: c });
      i = j + 1;
    } else if (/[0-9-]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (m === null) throw invalid(field, `has an unexpected "${c}" at ${i}`);
      out.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else if (c === '.') {
      out.push({ t: 'dot' });
      i++;
    } else if (c === '(' || c === ')') {
      throw invalid(field, 'does not support parentheses, IN or OR: use AND-ed comparisons');
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else {
      const m = /^(!=|>=|<=|<>|=|>|<)/.exec(src.slice(i));
      if (m === null) throw invalid(field, `has an unexpected "${c}" at ${i}`);
      out.push({ t: 'op', v: m[0] === '<>' ? '!=' : m[0] });
      i += m[0].length;
    }
  }
  return out;
}

class Cursor {
  private i = 0;
  constructor(
    private readonly field: string,
    private readonly tokens: Token[],
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (t === undefined) throw invalid(this.field, `ends where ${what} was expected`);
    return t;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
}

const isWord = (t: Token | undefined, w: string): boolean => t?.t === 'word' && t.v.toUpperCase() === w;

/** identifier := [prefix "."] key; key words may be dotted (tags.mlflow.runName). */
function identifier(field: string, cur: Cursor, spec: SearchSpec): { kind: SearchKind; key: string } {
  const first = cur.next('a field name');
  let kind: SearchKind = 'attribute';
  let keyToken: Token = first;
  if (first.t === 'word' && PREFIXES[first.v.toLowerCase()] !== undefined && cur.peek()?.t === 'dot') {
    kind = PREFIXES[first.v.toLowerCase()] as SearchKind;
    cur.next('"."');
    keyToken = cur.next('a key');
  }
  let key: string;
  if (keyToken.t === 'quoted' && keyToken.q !== "'") {
    key = keyToken.v;
  } else if (keyToken.t === 'word') {
    key = keyToken.v;
    // Unquoted keys may contain dots (tags.mlflow.runName), as in MLflow.
    while (cur.peek()?.t === 'dot') {
      cur.next('"."');
      const part = cur.next('a key part');
      if (part.t !== 'word' && part.t !== 'number') throw invalid(field, 'has a malformed key');
      key += `.${part.t === 'word' ? part.v : String(part.v)}`;
    }
  } else {
    throw invalid(field, 'expects a field name such as metrics.loss, params.lr, tags.team or an attribute');
  }
  if (kind === 'attribute') {
    const canonical = spec.aliases?.[key] ?? key;
    if (spec.attributes[canonical] === undefined) {
      throw invalid(
        field,
        `cannot search attribute "${key}"; supported: ${Object.keys(spec.attributes).join(', ')}`,
      );
    }
    return { kind, key: canonical };
  }
  if (!spec.kinds.includes(kind)) throw invalid(field, `cannot search ${kind}s here`);
  return { kind, key };
}

/** Parses a filter string ('' or undefined = no filter). */
export function parseFilter(filter: unknown, spec: SearchSpec, field = 'filter'): FilterClause[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== 'string') throw invalid(field, 'must be a string');
  if (filter.length > MAX_FILTER_LENGTH)
    throw invalid(field, `must be at most ${MAX_FILTER_LENGTH} characters`);
  if (filter.trim() === '') return [];
  const cur = new Cursor(field, tokenize(field, filter));
  const clauses: FilterClause[] = [];
  for (;;) {
    const id = identifier(field, cur, spec);
    const opToken = cur.next('an operator');
    let op: FilterOp;
    if (opToken.t === 'op') op = opToken.v as FilterOp;
    else if (isWord(opToken, 'LIKE')) op = 'LIKE';
    else if (isWord(opToken, 'ILIKE')) op = 'ILIKE';
    else if (isWord(opToken, 'IN') || isWord(opToken, 'NOT'))
      throw invalid(field, 'IN / NOT IN are not supported');
    else throw invalid(field, 'expects an operator (=, !=, <, <=, >, >=, LIKE, ILIKE)');
    const valueToken = cur.next('a value');
    const numeric = id.kind === 'metric' || (id.kind === 'attribute' && spec.attributes[id.key] === 'number');
    let value: string | number;
    if (numeric) {
      if (valueToken.t !== 'number') throw invalid(field, `compares ${id.kind} "${id.key}" with a number`);
      if (op === 'LIKE' || op === 'ILIKE') throw invalid(field, `cannot use ${op} on a number`);
      value = valueToken.v;
    } else {
      if (valueToken.t !== 'quoted' || valueToken.q === '`') {
        throw invalid(field, `compares ${id.kind} "${id.key}" with a quoted string`);
      }
      if (!['=', '!=', 'LIKE', 'ILIKE'].includes(op)) throw invalid(field, `cannot use ${op} on text`);
      value = valueToken.v;
    }
    clauses.push({ kind: id.kind, key: id.key, op, value });
    if (clauses.length > MAX_CLAUSES) throw invalid(field, `may hold at most ${MAX_CLAUSES} conditions`);
    if (cur.done()) return clauses;
    const and = cur.next('AND');
    if (isWord(and, 'OR')) throw invalid(field, 'OR is not supported; run two searches');
    if (!isWord(and, 'AND')) throw invalid(field, 'joins conditions with AND');
  }
}

/** Parses order_by entries ("metrics.loss DESC", "name"). */
export function parseOrderBy(orderBy: unknown, spec: SearchSpec, field = 'order_by'): OrderClause[] {
  if (orderBy === undefined || orderBy === null) return [];
  const list = typeof orderBy === 'string' ? [orderBy] : orderBy;
  if (!Array.isArray(list)) throw invalid(field, 'must be a list of strings');
  if (list.length > 10) throw invalid(field, 'may hold at most 10 entries');
  return list.map((entry, i) => {
    const f = `${field}[${i}]`;
    if (typeof entry !== 'string' || entry.length > 512)
      throw invalid(f, 'must be a string of at most 512 characters');
    const cur = new Cursor(f, tokenize(f, entry));
    const id = identifier(f, cur, spec);
    let ascending = true;
    if (!cur.done()) {
      const dir = cur.next('ASC or DESC');
      if (isWord(dir, 'DESC')) ascending = false;
      else if (!isWord(dir, 'ASC')) throw invalid(f, 'ends with ASC or DESC');
    }
    if (!cur.done()) throw invalid(f, 'has text after the direction');
    return { kind: id.kind, key: id.key, ascending };
  });
}
