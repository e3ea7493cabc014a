/**
 * Experiments and their runs (the MLflow tracking API): params, final metrics, status, timing;
 * pick two to four runs to compare them side by side with their metric histories.
 */
import { useState } from 'react';
import { searchExperiments, searchRuns, type Run } from '../api/mlflow';
import { Badge } from '../components/Badge';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { formatDate, formatMs, formatNumber } from '../lib/format';
import { Link } from '../router';
import { pathTo } from '../routes';
import { ScrollTable } from '../components/ScrollTable';
import { PageTitle } from '../components/PageTitle';
import { lastMetrics, MAX_COMPARE, runLabel, toggleSelection } from '../lib/runs';
import { RunCompare } from './RunCompare';

export function Experiments({ rest }: { readonly rest: readonly string[] }) {
  const experiments = useAsync((signal) => searchExperiments({ signal }), []);
  const list = experiments.state.data?.experiments ?? [];
  const selectedId = rest[0] ?? list[0]?.experiment_id;
  const selected = list.find((e) => e.experiment_id === selectedId);

  return (
    <>
      <div className="page-header">
        <PageTitle>Experiments &amp; runs</PageTitle>
        <p>
          Training runs tracked through the MLflow-compatible API (<code>/api/2.0/mlflow</code>): any MLflow
          client can log here.
        </p>
      </div>
      {experiments.state.status === 'loading' && !experiments.state.data && (
        <Loading label="Loading the experiments…" />
      )}
      {experiments.state.status === 'error' && (
        <ErrorState
          error={experiments.state.error}
          context="Loading the experiments failed."
          onRetry={experiments.reload}
        />
      )}
      {experiments.state.data &&
        (list.length === 0 ? (
          <EmptyState title="No experiments yet">
            <p>
              Point an MLflow client at this server (
              <code className="break">MLFLOW_TRACKING_URI={window.location.origin}</code>) and log a run, or
              create an experiment with <code>POST /api/2.0/mlflow/experiments/create</code>.
            </p>
          </EmptyState>
        ) : (
          <div className="split">
            <nav className="card" aria-label="Experiments">
              <h2>Experiments</h2>
              <ul className="plain-list">
                {list.map((e) => (
                  <li key={e.experiment_id}>
                    <Link
                      to={pathTo('experiments', e.experiment_id)}
                      aria-current={e.experiment_id === selectedId ? 'page' : undefined}
                    >
                      {e.name}
                    </Link>{' '}
                    <span className="small muted">#{e.experiment_id}</span>
                  </li>
                ))}
              </ul>
            </nav>
            {selected ? (
              <RunsOf experimentId={selected.experiment_id} name={selected.name} />
            ) : (
              <EmptyState title="No such experiment">
                <p>It may have been deleted. Pick one from the list.</p>
              </EmptyState>
            )}
          </div>
        ))}
    </>
  );
}

function RunsOf({ experimentId, name }: { readonly experimentId: string; readonly name: string }) {
  const runs = useAsync((signal) => searchRuns([experimentId], { signal }), [experimentId]);
  const list: Run[] = runs.state.data?.runs ?? [];
  const [selected, setSelected] = useState<{ experiment: string; ids: string[] }>({
    experiment: experimentId,
    ids: [],
  });
  const ids = selected.experiment === experimentId ? selected.ids : [];
  const compared = ids
    .map((id) => list.find((r) => r.info.run_id === id))
    .filter((r): r is Run => r !== undefined);
  const metricKeys = [...new Set(list.flatMap((r) => r.data.metrics.map((m) => m.key)))].slice(0, 6);
  const paramKeys = [...new Set(list.flatMap((r) => r.data.params.map((p) => p.key)))].slice(0, 4);
  return (
    <div className="stack">
      <section className="card" aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs of {name}</h2>
        {list.length > 1 && (
          <p className="small muted" role="status">
            {ids.length === 0
              ? `Tick two to ${MAX_COMPARE} runs to compare them.`
              : ids.length === 1
                ? 'One run picked: tick one more to compare.'
                : `${ids.length} runs compared below.`}
          </p>
        )}
        {runs.state.status === 'loading' && !runs.state.data && <Loading label="Loading the runs…" />}
        {runs.state.status === 'error' && (
          <ErrorState error={runs.state.error} context="Loading the runs failed." onRetry={runs.reload} />
        )}
        {runs.state.data &&
          (list.length === 0 ? (
            <p>No runs in this experiment yet.</p>
          ) : (
            <ScrollTable label={`Runs of ${name}`}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Compare</th>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Started</th>
                    <th scope="col" className="num">
                      Duration
                    </th>
                    {paramKeys.map((k) => (
                      <th key={`p-${k}`} scope="col">
                        {k}
                      </th>
                    ))}
                    {metricKeys.map((k) => (
                      <th key={`m-${k}`} scope="col" className="num">
                        {k}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {list.map((r) => {
                    // The metric's last value by step, as MLflow shows it.
                    const latest = lastMetrics(r);
                    const checked = ids.includes(r.info.run_id);
                    return (
                      <tr key={r.info.run_id} className={checked ? 'selected' : undefined}>
                        <td>
                          <input
                            type="checkbox"
                            checked={checked}
                            aria-label={`Compare ${runLabel(r)}`}
                            onChange={() =>
                              setSelected({
                                experiment: experimentId,
                                ids: toggleSelection(ids, r.info.run_id),
                              })
                            }
                          />
                        </td>
                        <th scope="row">
                          {r.info.run_name || r.info.run_id}
                          <div className="small muted mono">{r.info.run_id}</div>
                        </th>
                        <td>
                          <Badge
                            tone={
                              r.info.status === 'FINISHED'
                                ? 'ok'
                                : r.info.status === 'FAILED'
                                  ? 'failed'
                                  : 'neutral'
                            }
                          >
                            {r.info.status}
                          </Badge>
                        </td>
                        <td className="small">{formatDate(r.info.start_time)}</td>
                        <td className="num">
                          {r.info.end_time ? formatMs(r.info.end_time - r.info.start_time) : '—'}
                        </td>
                        {paramKeys.map((k) => (
                          <td key={`p-${k}`}>{r.data.params.find((p) => p.key === k)?.value ?? '—'}</td>
                        ))}
                        {metricKeys.map((k) => (
                          <td key={`m-${k}`} className="num">
                            {formatNumber(latest.get(k), 4)}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </ScrollTable>
          ))}
      </section>
      {compared.length >= 2 && (
        <RunCompare runs={compared} onClear={() => setSelected({ experiment: experimentId, ids: [] })} />
      )}
    </div>
  );
}
