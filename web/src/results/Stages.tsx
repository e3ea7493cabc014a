/** Latency per stage as bars, with each stage's status, model and version. */
import type { Stage } from '../api/analyze';
import { Badge } from '../components/Badge';
import { formatMs } from '../lib/format';

export function Stages({ stages, totalMs }: { readonly stages: readonly Stage[]; readonly totalMs: number }) {
  const longest = Math.max(1e-9, ...stages.map((s) => s.ms));
  return (
    <section className="card" aria-labelledby="stages-heading">
      <h2 id="stages-heading">Latency per stage</h2>
      <p className="small muted">
        {formatMs(totalMs)} in all; steps without dependencies run concurrently, so the stages overlap.
      </p>
      <ul className="stages">
        {stages.map((s) => (
          <li key={s.name}>
            <span>
              {s.name} {s.status !== 'ok' && <Badge tone={s.status}>{s.status}</Badge>}
              <span className="sr-only">
                {' '}
                ({s.model} {s.version})
              </span>
            </span>
            <span className="bar" aria-hidden="true">
              <span style={{ width: `${((s.ms / longest) * 100).toFixed(1)}%` }} />
            </span>
            <span className="score-value" title={`${s.model} ${s.version}`}>
              {formatMs(s.ms)}
            </span>
          </li>
        ))}
      </ul>
      {stages.some((s) => s.error) && (
        <ul className="small">
          {stages
            .filter((s) => s.error)
            .map((s) => (
              <li key={s.name}>
                {s.name}: {s.error}
                {s.code ? ` (${s.code})` : ''}
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}
