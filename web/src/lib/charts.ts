/**
 * Pure helpers for the console's SVG charts: scales with readable ticks, best-so-far series,
 * and mapping parameter values (numbers or categories) onto an axis.
 */

export interface Scale {
  readonly domain: readonly [number, number];
  readonly ticks: readonly number[];
  /** Maps a value into [0, 1] along the axis. */
  readonly at: (value: number) => number;
  readonly log: boolean;
}

/** A tick step of 1, 2 or 5 × 10^k giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/** A linear scale over the values (padded to nice ticks); a single value gets a span around it. */
export function linearScale(values: readonly number[], count = 5): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = finite.length === 0 ? 0 : Math.min(...finite);
  let hi = finite.length === 0 ? 1 : Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const start = Number((Math.floor(lo / step) * step).toPrecision(12));
  const end = Number((Math.ceil(hi / step) * step).toPrecision(12));
  const ticks: number[] = [];
  for (let t = start; t <= end + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { domain: [start, end], ticks, at: (v) => (v - start) / (end - start), log: false };
}

/** A log10 scale (all values > 0) with ticks at powers of ten, or at 1-2-5 within one decade. */
export function logScale(values: readonly number[]): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return linearScale(values);
  const lo = Math.floor(Math.log10(Math.min(...finite)));
  let hi = Math.ceil(Math.log10(Math.max(...finite)));
  if (hi === lo) hi = lo + 1;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(Number((10 ** e).toPrecision(12)));
    if (hi - lo <= 2 && e < hi)
      ticks.push(Number((2 * 10 ** e).toPrecision(12)), Number((5 * 10 ** e).toPrecision(12)));
  }
  ticks.sort((a, b) => a - b);
  return {
    domain: [10 ** lo, 10 ** hi],
    ticks,
    at: (v) => (Math.log10(v) - lo) / (hi - lo),
    log: true,
  };
}

/**
 * The best value after each point, in order: the running minimum or maximum. Points without a
 * value (running, failed) keep the previous best.
 */
export function bestSoFar(
  values: readonly (number | null | undefined)[],
  direction: 'minimize' | 'maximize',
): (number | undefined)[] {
  let best: number | undefined;
  return values.map((v) => {
    if (v !== null && v !== undefined && Number.isFinite(v)) {
      if (best === undefined || (direction === 'minimize' ? v < best : v > best)) best = v;
    }
    return best;
  });
}

export type ParamAxis =
  | { readonly kind: 'numeric'; readonly scale: Scale }
  | { readonly kind: 'categorical'; readonly categories: readonly string[] };

/** An axis for a parameter's values: numeric (log when the values span > 2 decades) or categories. */
export function paramAxis(values: readonly unknown[], preferLog?: boolean): ParamAxis {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length > 0 && present.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const nums = present as number[];
    const positive = nums.every((v) => v > 0);
    const wide = positive && Math.max(...nums) / Math.min(...nums) > 100;
    return { kind: 'numeric', scale: positive && (preferLog ?? wide) ? logScale(nums) : linearScale(nums) };
  }
  const categories = [...new Set(present.map((v) => String(v)))].sort();
  return { kind: 'categorical', categories };
}

/** Position in [0, 1] of a value on a parameter axis (categories centred in their bands). */
export function paramPosition(axis: ParamAxis, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (axis.kind === 'numeric') return typeof value === 'number' ? axis.scale.at(value) : undefined;
  const i = axis.categories.indexOf(String(value));
  return i < 0 ? undefined : (i + 0.5) / axis.categories.length;
}

/** A short label for a tick value. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Parameter names ordered by importance (most first), then the rest by name. */
export function orderParams(
  names: readonly string[],
  importance: Readonly<Record<string, number>> | null,
): string[] {
  return [...names].sort((a, b) => (importance?.[b] ?? -1) - (importance?.[a] ?? -1) || a.localeCompare(b));
}
