/**
 * The Prometheus text exposition format (version 0.0.4), parsed in the browser, and the little
 * arithmetic the Monitoring page needs: rates between two scrapes and quantiles of histograms
 * (the same interpolation as PromQL's histogram_quantile).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` lines: metric family → counter | gauge | histogram | summary | untyped. */
  readonly types: ReadonlyMap<string, string>;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(text);
  }
}

/** Reads `{a="1",b="x\"y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let pos = i + 1;
  for (;;) {
    while (line[pos] === ' ' || line[pos] === ',') pos++;
    if (line[pos] === '}') return { labels, end: pos + 1 };
    const eq = line.indexOf('=', pos);
    if (eq < 0) throw new SyntaxError(`label without a value: ${line}`);
    const key = line.slice(pos, eq).trim();
    if (line[eq + 1] !== '"') throw new SyntaxError(`label value must be quoted: ${line}`);
    let value = '';
    pos = eq + 2;
    for (;;) {
      const c = line[pos];
      if (c === undefined) throw new SyntaxError(`unterminated label value: ${line}`);
      if (c === '\\') {
        const next = line[pos + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        pos += 2;
        continue;
      }
      if (c === '"') break;
      value += c;
      pos++;
    }
    labels[key] = value;
    pos++;
  }
}

/**
 * Parses the whole exposition. Malformed lines are skipped rather than failing the page: one bad
 * line from a custom collector must not hide every other metric.
 */
export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    try {
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      let name: string;
      let labels: Record<string, string> = {};
      let rest: string;
      if (brace >= 0 && (space < 0 || brace < space)) {
        name = line.slice(0, brace);
        const parsed = parseLabels(line, brace);
        labels = parsed.labels;
        rest = line.slice(parsed.end).trim();
      } else {
        if (space < 0) continue;
        name = line.slice(0, space);
        rest = line.slice(space + 1).trim();
      }
      const value = parseValue(rest.split(/\s+/)[0] ?? '');
      if (name === '' || (Number.isNaN(value) && rest.split(/\s+/)[0] !== 'NaN')) continue;
      samples.push({ name, labels, value });
    } catch {
      // skip the malformed line
    }
  }
  return { samples, types };
}

/** A stable key of a label set, restricted to `keys` (in that order). */
export const labelKey = (labels: Readonly<Record<string, string>>, keys: readonly string[]): string =>
  keys.map((k) => labels[k] ?? '').join('\u0000');

/** Sums the samples named `name`, grouped by the `by` labels. */
export function sumBy(
  exposition: Exposition,
  name: string,
  by: readonly string[],
  where: (labels: Readonly<Record<string, string>>) => boolean = () => true,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of exposition.samples) {
    if (s.name !== name || !where(s.labels)) continue;
    const key = labelKey(s.labels, by);
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

export interface Bucket {
  /** Upper bound; Infinity for the +Inf bucket. */
  readonly le: number;
  /** Cumulative count of observations ≤ le. */
  readonly count: number;
}

/** The cumulative buckets of histogram `name` (without the _bucket suffix), grouped by `by`. */
export function histogramBuckets(
  exposition: Exposition,
  name: string,
  by: readonly string[],
): Map<string, Bucket[]> {
  const grouped = new Map<string, Map<number, number>>();
  for (const s of exposition.samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = parseValue(s.labels.le ?? '');
    if (Number.isNaN(le)) continue;
    const key = labelKey(s.labels, by);
    const buckets = grouped.get(key) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    grouped.set(key, buckets);
  }
  const out = new Map<string, Bucket[]>();
  for (const [key, buckets] of grouped) {
    out.set(
      key,
      [...buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
    );
  }
  return out;
}

/** Bucket-wise difference `current − previous` (observations between two scrapes). */
export function bucketDelta(current: readonly Bucket[], previous: readonly Bucket[] | undefined): Bucket[] {
  if (!previous) return [...current];
  const before = new Map(previous.map((b) => [b.le, b.count]));
  const delta = current.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  // A counter reset (server restart) makes deltas negative: then the current counts are the window.
  return delta.some((b) => b.count < 0) ? [...current] : delta;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of cumulative buckets, interpolating linearly inside the bucket the
 * rank falls in, as PromQL's histogram_quantile does. Undefined when there are no observations.
 * A rank in the +Inf bucket answers the highest finite bound (all that is known).
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  if (buckets.length === 0 || q < 0 || q > 1) return undefined;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]!.count;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerBound;
      const inBucket = b.count - lowerCount;
      if (inBucket <= 0) return b.le;
      // The first bucket starts at 0 when its bound is positive (durations, sizes).
      const from = lowerBound === 0 && b.le < 0 ? b.le : lowerBound;
      return from + (b.le - from) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}

/** Per-second rate of a counter between two scrapes `seconds` apart; a reset counts from zero. */
export function rate(current: number, previous: number | undefined, seconds: number): number | undefined {
  if (previous === undefined || !(seconds > 0)) return undefined;
  const delta = current >= previous ? current - previous : current;
  return delta / seconds;
}
