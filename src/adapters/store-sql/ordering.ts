/**
 * Orderings that must not depend on the dialect or the database locale (PostgreSQL sorts text by
 * its collation, SQLite by bytes), so the stores sort small result sets in code instead.
 */

/** Maps UTF-16 code units so that plain comparison of them follows code point order. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  // Surrogates encode code points above U+FFFF and must sort after U+E000..U+FFFF.
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Code point (= UTF-8 byte) order, what SQLite and PostgreSQL's "C" collation use. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const INTEGER = /^\d+$/;

/**
 * Model versions as Triton orders them: integer versions first, numerically ("2" before "10"),
 * then any other version string in code point order.
 */
export function compareVersions(a: string, b: string): number {
  const aInt = INTEGER.test(a);
  const bInt = INTEGER.test(b);
  if (aInt && bInt) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
    // Same number spelled differently ("01", "1"): still a total order.
    return compareCodePoints(a, b);
  }
  if (aInt !== bInt) return aInt ? -1 : 1;
  return compareCodePoints(a, b);
}
