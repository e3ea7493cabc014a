/**
 * The study's charts in plain SVG: objective per trial with the best so far, and one parameter
 * against the objective. The trials table on the same page holds every plotted number.
 */
import { useEffect, useId, useState } from 'react';
import type { StudyView, TrialView } from '../api/lifecycle';
import { Chart, LegendItem, type ChartPoint, type Marker } from '../components/charts/Chart';
import { linearScale, orderParams, paramAxis, paramPosition } from '../lib/charts';
import { formatNumber } from '../lib/format';
import { parallelCoordinates } from '../lib/parallel';
import { METRIC_LABELS, objectiveSeries, paramNames, plottedValue } from '../lib/studies';

const STYLE: Record<TrialView['state'], { marker: Marker; tone: string; label: string }> = {
  COMPLETE: { marker: 'circle', tone: 'mark-1', label: 'complete' },
  PRUNED: { marker: 'cross', tone: 'mark-3', label: 'pruned' },
  RUNNING: { marker: 'diamond', tone: 'mark-4', label: 'running (last epoch)' },
  FAIL: { marker: 'square', tone: 'mark-3', label: 'failed' },
  WAITING: { marker: 'square', tone: 'mark-4', label: 'waiting' },
};

function StateLegend({ states }: { readonly states: ReadonlySet<TrialView['state']> }) {
  return (
    <>
      {[...states].map((s) => (
        <LegendItem key={s} marker={STYLE[s].marker} tone={STYLE[s].tone}>
          {STYLE[s].label}
        </LegendItem>
      ))}
    </>
  );
}

export function ObjectiveChart({
  study,
  trials,
}: {
  readonly study: StudyView;
  readonly trials: readonly TrialView[];
}) {
  const metric = METRIC_LABELS[study.spec.metric] ?? study.spec.metric;
  const { points, best } = objectiveSeries(trials, study.spec.direction);
  const maxTrial = Math.max(study.spec.nTrials - 1, ...trials.map((t) => t.number), 1);
  const y = linearScale([...points.map((p) => p.value), ...best.map((b) => b[1])]);
  const x = (n: number) => n / maxTrial;
  const chartPoints: ChartPoint[] = points.map((p) => ({
    x: x(p.trial),
    y: y.at(p.value),
    marker: STYLE[p.state].marker,
    tone: STYLE[p.state].tone,
    label: `Trial ${p.trial} (${STYLE[p.state].label}): ${formatNumber(p.value, 4)}`,
  }));
  const bestValue = best.at(-1)?.[1];
  const states = new Set(points.map((p) => p.state));
  return (
    <Chart
      title={`${metric} by trial`}
      description={
        points.length === 0
          ? 'No trial has reported a value yet.'
          : `${points.length} trials plotted by number against ${metric}` +
            (bestValue === undefined
              ? '.'
              : `; the best so far line ends at ${formatNumber(bestValue, 4)}.`) +
            ' The trials table below lists every value.'
      }
      x={{ kind: 'integers', min: 0, max: maxTrial, label: 'Trial' }}
      y={{ kind: 'scale', scale: y, label: metric }}
      points={chartPoints}
      lines={
        best.length > 0
          ? [{ points: best.map(([t, v]) => [x(t), y.at(v)]), tone: 'mark-2', dash: '6 3', step: true }]
          : []
      }
      legend={
        <>
          <StateLegend states={states} />
          <LegendItem tone="mark-2" dash="6 3">
            best so far
          </LegendItem>
        </>
      }
    />
  );
}

export function ParamScatter({
  study,
  trials,
}: {
  readonly study: StudyView;
  readonly trials: readonly TrialView[];
}) {
  const names = orderParams(paramNames(trials), study.importance);
  const [picked, setPicked] = useState<string | undefined>();
  const id = useId();
  const param = picked !== undefined && names.includes(picked) ? picked : names[0];
  if (param === undefined) return <p className="muted">No trial has parameters yet.</p>;
  const metric = METRIC_LABELS[study.spec.metric] ?? study.spec.metric;
  const withValue = trials
    .map((t) => ({ t, v: plottedValue(t) }))
    .filter(
      (e): e is { t: TrialView; v: number } =>
        e.v !== undefined && e.t.state !== 'FAIL' && e.t.params[param] !== undefined,
    );
  const axis = paramAxis(withValue.map((e) => e.t.params[param]));
  const y = linearScale(withValue.map((e) => e.v));
  const points: ChartPoint[] = [];
  for (const { t, v } of withValue) {
    const px = paramPosition(axis, t.params[param]);
    if (px === undefined) continue;
    points.push({
      x: px,
      y: y.at(v),
      marker: STYLE[t.state].marker,
      tone: STYLE[t.state].tone,
      label: `Trial ${t.number}: ${param} = ${String(t.params[param])}, ${formatNumber(v, 4)}`,
    });
  }
  return (
    <div className="stack">
      <div className="row">
        <label htmlFor={id}>Parameter</label>
        <select id={id} value={param} onChange={(e) => setPicked(e.target.value)}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
              {study.importance?.[n] !== undefined
                ? ` (importance ${formatNumber(study.importance[n], 2)})`
                : ''}
            </option>
          ))}
        </select>
      </div>
      <Chart
        title={`${metric} against ${param}`}
        description={`${points.length} trials: ${param} (${axis.kind === 'numeric' ? (axis.scale.log ? 'log scale' : 'linear scale') : 'categories'}) against ${metric}. The trials table below lists every value.`}
        x={
          axis.kind === 'numeric'
            ? { kind: 'scale', scale: axis.scale, label: param }
            : { kind: 'categories', categories: axis.categories, label: param }
        }
        y={{ kind: 'scale', scale: y, label: metric }}
        points={points}
        legend={<StateLegend states={new Set(withValue.map((e) => e.t.state))} />}
      />
    </div>
  );
}

const PC_HEIGHT = 300;
const PC_M = { top: 28, right: 56, bottom: 44, left: 24 };
/** Where "n/a" (a parameter the trial did not use) sits, under the axis. */
const NA = -0.12;

/**
 * Parallel coordinates: every trial as a line across one axis per parameter (most important
 * first) and the objective, so settings that go together with good values stand out at once. The
 * best trial is drawn on top, thicker and in the "best" colour; pruned and running trials dashed.
 * The SVG's description says the same in words, and the trials table lists every value.
 */
export function ParallelCoordinatesChart({
  study,
  trials,
}: {
  readonly study: StudyView;
  readonly trials: readonly TrialView[];
}) {
  const [ref, setRef] = useState<HTMLElement | null>(null);
  const width = useElementWidth(ref);
  const id = useId();
  const metric = METRIC_LABELS[study.spec.metric] ?? study.spec.metric;
  const params = orderParams(paramNames(trials), study.importance);
  const pc = parallelCoordinates(trials, params, study.spec.direction, metric);
  const plotW = width - PC_M.left - PC_M.right;
  const plotH = PC_HEIGHT - PC_M.top - PC_M.bottom;
  const n = pc.axes.length;
  const ax = (i: number) => PC_M.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const ay = (v: number) => PC_M.top + (1 - v) * plotH;
  if (params.length === 0) return <p className="muted">No trial has parameters yet.</p>;
  return (
    <figure className="chart" ref={setRef}>
      <svg
        role="img"
        aria-labelledby={`${id}-t`}
        aria-describedby={`${id}-d`}
        width={width}
        height={PC_HEIGHT}
        viewBox={`0 0 ${width} ${PC_HEIGHT}`}
      >
        <title id={`${id}-t`}>{`Parallel coordinates: parameters and ${metric} of every trial`}</title>
        <desc id={`${id}-d`}>{`${pc.summary} The trials table below lists every value.`}</desc>
        {pc.lines.map((l) => {
          // A parameter the trial did not use is drawn at "n/a", under its axis.
          const d = l.at
            .map((v, i) => `${i === 0 ? 'M' : 'L'}${ax(i).toFixed(1)} ${ay(v ?? NA).toFixed(1)}`)
            .join('');
          return (
            <path
              key={l.trial}
              className={`chart-line pc-line ${l.best ? 'mark-2 best' : 'mark-1'}`}
              d={d}
              {...(l.state === 'COMPLETE' ? {} : { strokeDasharray: '5 3' })}
            >
              <title>{`Trial ${l.trial} (${l.state.toLowerCase()}): ${formatNumber(l.value, 4)}`}</title>
            </path>
          );
        })}
        {pc.axes.map((a, i) => (
          <g key={a.name}>
            <line className="chart-axis" x1={ax(i)} x2={ax(i)} y1={PC_M.top} y2={PC_M.top + plotH} />
            <text
              className="chart-label"
              x={ax(i)}
              y={PC_M.top - 10}
              textAnchor={n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle'}
            >
              {a.name.length > 24 ? `${a.name.slice(0, 23)}…` : a.name}
            </text>
            {a.ticks.map((t, j) => (
              <text
                key={j}
                className="chart-tick pc-tick"
                x={ax(i) + 5}
                y={ay(t.at)}
                dominantBaseline="middle"
              >
                {t.label}
              </text>
            ))}
            {a.missing && (
              <text className="chart-tick pc-tick" x={ax(i) + 5} y={ay(NA)} dominantBaseline="middle">
                n/a
              </text>
            )}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        <LegendItem tone="mark-2">best trial</LegendItem>
        <LegendItem tone="mark-1">complete</LegendItem>
        <LegendItem tone="mark-1" dash="5 3">
          pruned or running
        </LegendItem>
      </figcaption>
      <p className="small">{pc.summary}</p>
    </figure>
  );
}

/** The element's content width in pixels (at least 260), following resizes. */
function useElementWidth(el: HTMLElement | null): number {
  const [width, setWidth] = useState(640);
  useEffect(() => {
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined && w > 0) setWidth(Math.max(260, Math.floor(w)));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [el]);
  return width;
}
