/**
 * Scores as bars: each row is a label, a bar (decoration, hidden from screen readers) and the value
 * as text, so the number is what assistive technology reads and colour is never the only carrier.
 */
import { formatPercent } from '../lib/format';

export interface Score {
  readonly label: string;
  /** In [0, 1]; values outside are clamped for the bar, shown as they are in the text. */
  readonly value: number;
  /** A threshold drawn as a tick on the bar. */
  readonly threshold?: number;
  readonly emphasis?: boolean;
}

const clamp = (v: number) => Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));

export function ScoreList({ scores, label }: { readonly scores: readonly Score[]; readonly label: string }) {
  if (scores.length === 0) return <p className="muted">No scores.</p>;
  return (
    <dl className="scores" aria-label={label}>
      {scores.map((s) => (
        <ScoreRow key={s.label} score={s} />
      ))}
    </dl>
  );
}

function ScoreRow({ score }: { readonly score: Score }) {
  const width = `${(clamp(score.value) * 100).toFixed(1)}%`;
  return (
    <>
      <dt>{score.label}</dt>
      <dd>
        <span className={score.emphasis ? 'bar block' : 'bar'} aria-hidden="true">
          <span style={{ width }} />
          {score.threshold !== undefined && (
            <i style={{ left: `${(clamp(score.threshold) * 100).toFixed(1)}%` }} />
          )}
        </span>
        <span className="score-value">
          {formatPercent(score.value, score.value < 0.1 && score.value > 0 ? 1 : 0)}
          {score.threshold !== undefined && (
            <span className="sr-only"> (threshold {formatPercent(score.threshold)})</span>
          )}
        </span>
      </dd>
    </>
  );
}
