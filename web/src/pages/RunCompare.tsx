/**
 * Two to four runs side by side: parameters and final metrics in one table (rows that differ
 * are marked), and one metric's history per run in a chart (steps on x).
 */
import { useId, useState } from 'react';
import type { Run } from '../api/mlflow';
import { metricHistory } from '../api/runs';
import { Chart, LegendItem } from '../components/charts/Chart';
import { ScrollTable } from '../components/ScrollTable';
import { ErrorState, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { linearScale } from '../lib/charts';
import { formatNumber } from '../lib/format';
import { compareRows, runLabel } from '../lib/runs';

const TONES = ['mark-1', 'mark-2', 'mark-3', 'mark-4'];
const DASHES = ['', '6 3', '2 3', '10 3 2 3'];

export function RunCompare({
  runs,
  onClear,
}: {
  readonly runs: readonly Run[];
  readonly onClear: () => void;
}) {
  const { params, metrics } = compareRows(runs);
  const metricKeys = metrics.map((m) => m.key);
  const [picked, setPicked] = useState<string | undefined>();
  const metric = picked !== undefined && metricKeys.includes(picked) ? picked : metricKeys[0];
  const selectId = useId();
  return (
    <section className="card stack" aria-labelledby="compare-heading">
      <div className="row spread">
        <h2 id="compare-heading">Comparing {runs.length} runs</h2>
        <button type="button" onClick={onClear}>
          Clear the selection
        </button>
      </div>
      <ScrollTable label="Parameters and metrics of the compared runs">
        <table>
          <caption className="sr-only">
            Parameters and final metrics, one column per run; rows that differ are marked.
          </caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((r) => (
                <th key={r.info.run_id} scope="col">
                  {runLabel(r)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {params.length > 0 && (
              <tr>
                <th scope="rowgroup" colSpan={runs.length + 1} className="group">
                  Parameters
                </th>
              </tr>
            )}
            {params.map((row) => (
              <tr key={`p-${row.key}`} className={row.differs ? 'differs' : undefined}>
                <th scope="row" className="mono">
                  {row.key}
                  {row.differs && <span className="small"> (differs)</span>}
                </th>
                {row.values.map((v, i) => (
                  <td key={i}>{v ?? '—'}</td>
                ))}
              </tr>
            ))}
            {metrics.length > 0 && (
              <tr>
                <th scope="rowgroup" colSpan={runs.length + 1} className="group">
                  Metrics (last value)
                </th>
              </tr>
            )}
            {metrics.map((row) => (
              <tr key={`m-${row.key}`}>
                <th scope="row" className="mono">
                  {row.key}
                </th>
                {row.values.map((v, i) => (
                  <td key={i} className={`num${row.best === i ? ' best' : ''}`}>
                    {formatNumber(v, 4)}
                    {row.best === i && <span className="small"> (highest)</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
      {metric === undefined ? (
        <p>These runs logged no metrics.</p>
      ) : (
        <>
          <div className="row">
            <label htmlFor={selectId}>Metric history</label>
            <select id={selectId} value={metric} onChange={(e) => setPicked(e.target.value)}>
              {metricKeys.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <HistoryChart runs={runs} metric={metric} />
        </>
      )}
    </section>
  );
}

function HistoryChart({ runs, metric }: { readonly runs: readonly Run[]; readonly metric: string }) {
  const ids = runs.map((r) => r.info.run_id);
  const history = useAsync(
    (signal) => Promise.all(ids.map((id) => metricHistory(id, metric, signal))),
    [ids.join(','), metric],
  );
  if (history.state.status === 'error')
    return (
      <ErrorState
        error={history.state.error}
        context={`Loading the history of ${metric} failed.`}
        onRetry={history.reload}
      />
    );
  const series = history.state.data;
  if (!series) return <Loading label={`Loading the history of ${metric}…`} />;
  const all = series.flat();
  const steps = all.map((m) => m.step);
  const minStep = steps.length > 0 ? Math.min(...steps) : 0;
  const maxStep = Math.max(...steps, minStep + 1);
  const y = linearScale(all.map((m) => m.value));
  const x = (s: number) => (s - minStep) / (maxStep - minStep);
  return (
    <>
      <Chart
        title={`${metric} by step`}
        description={`${metric} of ${runs.length} runs by step, one line per run. ${series
          .map(
            (s, i) => `${runLabel(runs[i]!)}: ${s.length} points, last ${formatNumber(s.at(-1)?.value, 4)}`,
          )
          .join('; ')}.`}
        x={{ kind: 'integers', min: minStep, max: maxStep, label: 'Step' }}
        y={{ kind: 'scale', scale: y, label: metric }}
        lines={series.map((s, i) => ({
          points: s.map((m) => [x(m.step), y.at(m.value)] as const),
          tone: TONES[i % TONES.length]!,
          dash: DASHES[i % DASHES.length]!,
        }))}
        points={series.flatMap((s, i) =>
          s.length === 1 ? [{ x: x(s[0]!.step), y: y.at(s[0]!.value), tone: TONES[i % TONES.length]! }] : [],
        )}
        legend={runs.map((r, i) => (
          <LegendItem key={r.info.run_id} tone={TONES[i % TONES.length]!} dash={DASHES[i % DASHES.length]!}>
            {runLabel(r)}
          </LegendItem>
        ))}
      />
      {all.length === 0 && <p className="muted">No history was logged for {metric}.</p>}
    </>
  );
}
