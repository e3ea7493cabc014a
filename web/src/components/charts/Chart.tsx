/**
 * A small SVG chart frame: axes with ticks, gridlines, points and lines, drawn at the container's
 * pixel width (so labels keep their size from 360 px phones to wide screens). Marks use the theme's
 * colours and differ in shape or dash as well as colour. Every chart carries a text alternative:
 * the SVG is role="img" with a title and description, and the pages show the same data as a table.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { tickLabel, type Scale } from '../../lib/charts';

export type Marker = 'circle' | 'square' | 'cross' | 'diamond';

export interface ChartPoint {
  /** Position along the axes, each in [0, 1]. */
  readonly x: number;
  readonly y: number;
  readonly marker?: Marker;
  /** CSS class of the mark (colour), e.g. "mark-1". */
  readonly tone?: string;
  /** Shown as the mark's tooltip (<title>). */
  readonly label?: string;
}

export interface ChartLine {
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly tone?: string;
  readonly dash?: string;
  /** Draw as steps (hold the value until the next point). */
  readonly step?: boolean;
}

export type Axis =
  | { readonly kind: 'scale'; readonly scale: Scale; readonly label: string }
  | { readonly kind: 'categories'; readonly categories: readonly string[]; readonly label: string }
  | { readonly kind: 'integers'; readonly min: number; readonly max: number; readonly label: string };

const HEIGHT = 260;
const M = { top: 12, right: 16, bottom: 44, left: 56 };

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined && w > 0) setWidth(Math.max(260, Math.floor(w)));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function ticksOf(axis: Axis, maxTicks: number): Array<{ at: number; label: string }> {
  if (axis.kind === 'scale') {
    const every = Math.max(1, Math.ceil(axis.scale.ticks.length / maxTicks));
    return axis.scale.ticks
      .filter((_, i) => i % every === 0)
      .map((t) => ({ at: axis.scale.at(t), label: tickLabel(t) }));
  }
  if (axis.kind === 'categories') {
    const n = axis.categories.length;
    return axis.categories.map((c, i) => ({
      at: (i + 0.5) / n,
      label: c.length > 12 ? `${c.slice(0, 11)}…` : c,
    }));
  }
  const span = Math.max(1, axis.max - axis.min);
  const step = Math.max(1, Math.ceil(span / maxTicks));
  const out: Array<{ at: number; label: string }> = [];
  for (let v = axis.min; v <= axis.max; v += step) out.push({ at: (v - axis.min) / span, label: String(v) });
  return out;
}

export function mark(p: ChartPoint, x: number, y: number, key: string | number): ReactNode {
  const cls = `chart-mark ${p.tone ?? 'mark-1'}`;
  const title = p.label ? <title>{p.label}</title> : null;
  switch (p.marker ?? 'circle') {
    case 'square':
      return (
        <rect key={key} className={cls} x={x - 4} y={y - 4} width={8} height={8}>
          {title}
        </rect>
      );
    case 'diamond':
      return (
        <path
          key={key}
          className={cls}
          d={`M${x} ${y - 5.5}L${x + 5.5} ${y}L${x} ${y + 5.5}L${x - 5.5} ${y}Z`}
        >
          {title}
        </path>
      );
    case 'cross':
      return (
        <path
          key={key}
          className={`${cls} cross`}
          d={`M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}`}
        >
          {title}
        </path>
      );
    default:
      return (
        <circle key={key} className={cls} cx={x} cy={y} r={4.5}>
          {title}
        </circle>
      );
  }
}

export function Chart({
  title,
  description,
  x,
  y,
  points = [],
  lines = [],
  legend,
}: {
  readonly title: string;
  /** What the chart shows, in words (its aria description). */
  readonly description: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly points?: readonly ChartPoint[];
  readonly lines?: readonly ChartLine[];
  readonly legend?: ReactNode;
}) {
  const [ref, width] = useWidth();
  const id = useId();
  const plotW = width - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const px = (v: number) => M.left + v * plotW;
  const py = (v: number) => M.top + (1 - v) * plotH;
  const xTicks = ticksOf(x, Math.max(2, Math.floor(plotW / 70)));
  const yTicks = ticksOf(y, 6);
  return (
    <figure className="chart" ref={ref}>
      <svg
        role="img"
        aria-labelledby={`${id}-t`}
        aria-describedby={`${id}-d`}
        width={width}
        height={HEIGHT}
        viewBox={`0 0 ${width} ${HEIGHT}`}
      >
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{description}</desc>
        {yTicks.map((t, i) => (
          <g key={`y${i}`}>
            <line className="chart-grid" x1={M.left} x2={M.left + plotW} y1={py(t.at)} y2={py(t.at)} />
            <text
              className="chart-tick"
              x={M.left - 6}
              y={py(t.at)}
              textAnchor="end"
              dominantBaseline="middle"
            >
              {t.label}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text key={`x${i}`} className="chart-tick" x={px(t.at)} y={M.top + plotH + 16} textAnchor="middle">
            {t.label}
          </text>
        ))}
        <line className="chart-axis" x1={M.left} x2={M.left + plotW} y1={M.top + plotH} y2={M.top + plotH} />
        <line className="chart-axis" x1={M.left} x2={M.left} y1={M.top} y2={M.top + plotH} />
        <text className="chart-label" x={M.left + plotW / 2} y={HEIGHT - 6} textAnchor="middle">
          {x.label}
        </text>
        <text
          className="chart-label"
          transform={`translate(12 ${M.top + plotH / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {y.label}
        </text>
        {lines.map((l, i) => {
          if (l.points.length === 0) return null;
          let d = '';
          l.points.forEach(([lx, ly], j) => {
            const X = px(lx);
            const Y = py(ly);
            if (j === 0) d += `M${X} ${Y}`;
            else if (l.step) d += `H${X}V${Y}`;
            else d += `L${X} ${Y}`;
          });
          return (
            <path
              key={`l${i}`}
              className={`chart-line ${l.tone ?? 'mark-1'}`}
              d={d}
              {...(l.dash ? { strokeDasharray: l.dash } : {})}
            />
          );
        })}
        {points.map((p, i) => mark(p, px(p.x), py(p.y), i))}
      </svg>
      {legend && <figcaption className="legend">{legend}</figcaption>}
    </figure>
  );
}

/** A legend entry: a small mark drawn like the chart's, then the words. */
export function LegendItem({
  marker,
  tone,
  dash,
  children,
}: {
  readonly marker?: Marker;
  readonly tone?: string;
  readonly dash?: string;
  readonly children: ReactNode;
}) {
  return (
    <span className="legend-item">
      <svg width="22" height="12" aria-hidden="true">
        {marker ? (
          mark({ x: 0, y: 0, marker, ...(tone ? { tone } : {}) }, 11, 6, 0)
        ) : (
          <path
            className={`chart-line ${tone ?? 'mark-1'}`}
            d="M1 6H21"
            {...(dash ? { strokeDasharray: dash } : {})}
          />
        )}
      </svg>
      {children}
    </span>
  );
}
