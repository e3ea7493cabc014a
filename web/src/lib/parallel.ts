/**
 * Parallel coordinates of a study's trials: one vertical axis per parameter (ordered by
 * importance) and a last one for the objective; each trial is a polyline across them (a
 * parameter a trial did not use, e.g. a conditional one, sits at "n/a" under its axis). Pure: the
 * component (pages/StudyCharts.tsx) only draws what this computes, and its text summary too.
 */
import type { TrialView } from '../api/lifecycle';
import { linearScale, paramAxis, paramPosition, tickLabel, type ParamAxis } from './charts';
import { plottedValue } from './studies';

export interface PcAxis {
  readonly name: string;
  /** Tick positions in [0, 1] (0 = bottom) with their labels. */
  readonly ticks: ReadonlyArray<{ readonly at: number; readonly label: string }>;
  readonly objective: boolean;
  /** Some trial has no value for it (a conditional parameter): drawn at "n/a" under the axis. */
  readonly missing: boolean;
}

export interface PcLine {
  readonly trial: number;
  readonly state: TrialView['state'];
  readonly value: number;
  /** One position in [0, 1] per axis; undefined where the trial has no value for it. */
  readonly at: ReadonlyArray<number | undefined>;
  readonly best: boolean;
}

export interface ParallelCoordinates {
  readonly axes: readonly PcAxis[];
  /** The best trial last, so it is drawn on top. */
  readonly lines: readonly PcLine[];
  readonly summary: string;
}

function ticksOf(axis: ParamAxis): PcAxis['ticks'] {
  if (axis.kind === 'categorical') {
    const n = axis.categories.length;
    return axis.categories.map((c, i) => ({
      at: (i + 0.5) / n,
      label: c.length > 10 ? `${c.slice(0, 9)}…` : c,
    }));
  }
  const t = axis.scale.ticks;
  // Ends and middle are enough on a narrow vertical axis.
  const picked = t.length <= 3 ? t : [t[0]!, t[Math.floor(t.length / 2)]!, t[t.length - 1]!];
  return picked.map((v) => ({ at: axis.scale.at(v), label: tickLabel(v) }));
}

const show = (v: unknown): string => (typeof v === 'number' ? tickLabel(v) : String(v));

export function parallelCoordinates(
  trials: readonly TrialView[],
  params: readonly string[],
  direction: 'minimize' | 'maximize',
  metric: string,
): ParallelCoordinates {
  const plotted = trials
    .map((t) => ({ t, v: plottedValue(t) }))
    .filter((e): e is { t: TrialView; v: number } => e.v !== undefined && e.t.state !== 'FAIL');
  const paramAxes = params.map((p) => paramAxis(plotted.map((e) => e.t.params[p])));
  const objective = linearScale(plotted.map((e) => e.v));
  const axes: PcAxis[] = [
    ...params.map((name, i) => ({
      name,
      ticks: ticksOf(paramAxes[i]!),
      objective: false,
      missing: plotted.some((e) => e.t.params[name] === undefined || e.t.params[name] === null),
    })),
    { name: metric, ticks: ticksOf({ kind: 'numeric', scale: objective }), objective: true, missing: false },
  ];
  const complete = plotted.filter((e) => e.t.state === 'COMPLETE');
  const bestEntry = (complete.length > 0 ? complete : plotted).reduce<
    { t: TrialView; v: number } | undefined
  >((b, e) => (b === undefined || (direction === 'minimize' ? e.v < b.v : e.v > b.v) ? e : b), undefined);
  const lines: PcLine[] = plotted.map(({ t, v }) => ({
    trial: t.number,
    state: t.state,
    value: v,
    at: [...params.map((p, i) => paramPosition(paramAxes[i]!, t.params[p])), objective.at(v)],
    best: t === bestEntry?.t,
  }));
  lines.sort((a, b) => Number(a.best) - Number(b.best) || a.trial - b.trial);

  let summary: string;
  if (plotted.length === 0) summary = 'No trial has reported a value yet.';
  else {
    const b = bestEntry!;
    const setting = params
      .filter((p) => b.t.params[p] !== undefined)
      .map((p) => `${p} = ${show(b.t.params[p])}`)
      .join(', ');
    summary =
      `${plotted.length} trial${plotted.length === 1 ? '' : 's'} drawn across ${params.length} parameter` +
      `${params.length === 1 ? '' : 's'} and ${metric}. Best: trial ${b.t.number} with ${metric} ` +
      `${tickLabel(b.v)}${setting === '' ? '' : ` (${setting})`}.`;
  }
  return { axes, lines, summary };
}
