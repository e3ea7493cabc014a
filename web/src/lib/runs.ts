/** Comparing tracked runs: their parameters and last metric values side by side. */
import type { Run } from '../api/mlflow';

export const MAX_COMPARE = 4;

export const runLabel = (r: Run): string => r.info.run_name || r.info.run_id.slice(0, 8);

/** Each metric's value at its highest step (the latest logged, as MLflow shows it). */
export function lastMetrics(r: Run): Map<string, number> {
  const latest = new Map<string, number>();
  for (const m of [...r.data.metrics].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp))
    latest.set(m.key, m.value);
  return latest;
}

export interface CompareRow<T> {
  readonly key: string;
  readonly values: readonly (T | undefined)[];
  readonly differs: boolean;
  /** Index of the highest value (metrics with at least two values that are not all equal). */
  readonly best?: number;
}

export function compareRows(runs: readonly Run[]): {
  params: CompareRow<string>[];
  metrics: CompareRow<number>[];
} {
  const paramKeys = [...new Set(runs.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
  const params = paramKeys.map((key) => {
    const values = runs.map((r) => r.data.params.find((p) => p.key === key)?.value);
    return { key, values, differs: new Set(values).size > 1 };
  });
  const latest = runs.map(lastMetrics);
  const metricKeys = [...new Set(latest.flatMap((m) => [...m.keys()]))].sort();
  const metrics = metricKeys.map((key) => {
    const values = latest.map((m) => m.get(key));
    const present = values.filter((v): v is number => v !== undefined);
    const differs = new Set(values).size > 1;
    const max = Math.max(...present);
    const best = present.length >= 2 && differs ? values.indexOf(max) : undefined;
    return { key, values, differs, ...(best === undefined ? {} : { best }) };
  });
  return { params, metrics };
}

/** Toggles a run in the selection, keeping at most MAX_COMPARE (the oldest pick drops out). */
export function toggleSelection(selected: readonly string[], runId: string): string[] {
  if (selected.includes(runId)) return selected.filter((id) => id !== runId);
  const next = [...selected, runId];
  return next.length > MAX_COMPARE ? next.slice(next.length - MAX_COMPARE) : next;
}
