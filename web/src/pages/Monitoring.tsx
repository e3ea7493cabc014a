/**
 * Monitoring: /metrics scraped from the browser every few seconds and turned into per-model
 * throughput, latency percentiles, error rates, queue depth and batch sizes, and per-route HTTP
 * traffic. Updates can be paused (WCAG 2.2.2) and stop while the tab is hidden.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { kaleido } from '../api/client';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { formatNumber, formatPercent, formatRate, formatSeconds } from '../lib/format';
import { summarize, type Basis, type Snapshot, type Summary } from '../lib/monitoring';
import { parsePrometheus } from '../lib/prometheus';
import { ScrollTable } from '../components/ScrollTable';
import { PageTitle } from '../components/PageTitle';

const HISTORY = 30;
const INTERVALS = [2, 5, 15, 60] as const;

export function Monitoring() {
  const [intervalS, setIntervalS] = useState<number>(5);
  const [paused, setPaused] = useState(false);
  const [summary, setSummary] = useState<Summary | undefined>();
  const [error, setError] = useState<unknown>();
  const [updatedAt, setUpdatedAt] = useState<number | undefined>();
  const [history, setHistory] = useState<Record<string, number[]>>({});
  const previous = useRef<Snapshot | undefined>(undefined);
  const intervalId = useId();

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const text = await kaleido().metrics({ signal: controller.signal });
          const snapshot: Snapshot = { at: Date.now(), exposition: parsePrometheus(text) };
          const next = summarize(snapshot, previous.current);
          previous.current = snapshot;
          if (stopped) return;
          setSummary(next);
          setError(undefined);
          setUpdatedAt(snapshot.at);
          setHistory((h) => {
            const out: Record<string, number[]> = {};
            for (const m of next.models) {
              if (m.throughput === undefined) continue;
              const key = `${m.model} v${m.version}`;
              out[key] = [...(h[key] ?? []), m.throughput].slice(-HISTORY);
            }
            return { ...h, ...out };
          });
        } catch (e) {
          if (!stopped) setError(e);
        }
      }
      if (!stopped) timer = setTimeout(() => void tick(), intervalS * 1000);
    };
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [intervalS, paused]);

  const models = summary?.models ?? [];
  const totalRate = models.reduce((s, m) => s + (m.throughput ?? 0), 0);
  const totalQueue = models.reduce((s, m) => s + (m.queueDepth ?? 0), 0);
  const totalRequests = models.reduce((s, m) => s + m.requests, 0);
  const totalErrors = models.reduce((s, m) => s + (m.errorRate ?? 0) * m.requests, 0);

  return (
    <>
      <div className="page-header">
        <PageTitle>Monitoring</PageTitle>
        <p>
          Live serving metrics from this server’s <code>/metrics</code>. Rates and percentiles cover the time
          between two updates.
        </p>
      </div>
      <div className="row toolbar">
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume updates' : 'Pause updates'}
        </button>
        <label htmlFor={intervalId}>Update every</label>
        <select id={intervalId} value={intervalS} onChange={(e) => setIntervalS(Number(e.target.value))}>
          {INTERVALS.map((s) => (
            <option key={s} value={s}>
              {s} seconds
            </option>
          ))}
        </select>
        <span className="small muted">
          {paused ? 'Paused. ' : ''}
          {updatedAt ? `Last updated ${new Date(updatedAt).toLocaleTimeString()}.` : ''}
        </span>
      </div>
      {error !== undefined && (
        <ErrorState error={error} context="Reading the metrics failed; the page keeps trying." />
      )}
      {!summary && error === undefined && <Loading label="Reading the metrics…" />}
      {summary && (
        <>
          <dl className="kpis">
            <div className="kpi">
              <dt>Inference throughput</dt>
              <dd>{summary.windowSeconds === undefined ? '—' : formatRate(totalRate)}</dd>
            </div>
            <div className="kpi">
              <dt>Requests since start</dt>
              <dd>{formatNumber(totalRequests)}</dd>
            </div>
            <div className="kpi">
              <dt>Failed since start</dt>
              <dd>{totalRequests > 0 ? formatPercent(totalErrors / totalRequests, 1) : '—'}</dd>
            </div>
            <div className="kpi">
              <dt>Queued now</dt>
              <dd>{formatNumber(totalQueue)}</dd>
            </div>
          </dl>
          <section className="card" aria-labelledby="models-heading">
            <h2 id="models-heading">Per model</h2>
            {models.length === 0 ? (
              <EmptyState title="No model has been served yet" headingLevel={3}>
                <p>
                  Load a model on the Models page and send it requests (or analyse something in the
                  Playground); its numbers appear here.
                </p>
              </EmptyState>
            ) : (
              <ScrollTable label="Per model">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col">State</th>
                      <th scope="col" className="num">
                        Throughput
                      </th>
                      <th scope="col">Trend</th>
                      <th scope="col" className="num">
                        p50
                      </th>
                      <th scope="col" className="num">
                        p95
                      </th>
                      <th scope="col" className="num">
                        p99
                      </th>
                      <th scope="col" className="num">
                        Errors
                      </th>
                      <th scope="col" className="num">
                        Queue
                      </th>
                      <th scope="col" className="num">
                        Mean batch
                      </th>
                      <th scope="col" className="num">
                        Queue / infer (mean)
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {models.map((m) => {
                      const key = `${m.model} v${m.version}`;
                      return (
                        <tr key={key}>
                          <th scope="row">{key}</th>
                          <td>{m.state ?? '—'}</td>
                          <td className="num">{formatRate(m.throughput)}</td>
                          <td>
                            <Sparkline
                              values={history[key] ?? []}
                              label={`Throughput of ${key} over the last updates`}
                            />
                          </td>
                          <td className="num">{formatSeconds(m.latency.p50)}</td>
                          <td className="num">{formatSeconds(m.latency.p95)}</td>
                          <td className="num">
                            {formatSeconds(m.latency.p99)}
                            <BasisNote basis={m.latency.basis} />
                          </td>
                          <td className="num">
                            {formatPercent(m.errorRate, 1)}
                            <BasisNote basis={m.errorBasis} />
                          </td>
                          <td className="num">{formatNumber(m.queueDepth)}</td>
                          <td className="num">{formatNumber(m.meanBatchSize, 1)}</td>
                          <td className="num">
                            {formatSeconds(m.stages.queue)} / {formatSeconds(m.stages.computeInfer)}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </ScrollTable>
            )}
            <p className="small muted">* since the server started (no requests in the last interval).</p>
          </section>
          <section className="card" aria-labelledby="http-heading">
            <h2 id="http-heading">HTTP routes</h2>
            {summary.routes.length === 0 ? (
              <p>No HTTP requests recorded yet.</p>
            ) : (
              <ScrollTable label="HTTP routes">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Route</th>
                      <th scope="col" className="num">
                        Requests
                      </th>
                      <th scope="col" className="num">
                        Rate
                      </th>
                      <th scope="col" className="num">
                        p95
                      </th>
                      <th scope="col" className="num">
                        4xx
                      </th>
                      <th scope="col" className="num">
                        5xx
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {summary.routes.map((r) => (
                      <tr key={`${r.method} ${r.route}`}>
                        <th scope="row" className="mono">
                          {r.method} {r.route}
                        </th>
                        <td className="num">{formatNumber(r.requests)}</td>
                        <td className="num">{formatRate(r.throughput)}</td>
                        <td className="num">{formatSeconds(r.p95)}</td>
                        <td className="num">{formatPercent(r.clientErrorRate, 1)}</td>
                        <td className="num">{formatPercent(r.serverErrorRate, 1)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollTable>
            )}
          </section>
        </>
      )}
    </>
  );
}

function BasisNote({ basis }: { readonly basis: Basis }) {
  if (basis !== 'since-start') return null;
  return (
    <span title="since the server started">
      *<span className="sr-only"> since the server started</span>
    </span>
  );
}

/** A small line of the last values; the accessible name carries the latest value. */
export function Sparkline({ values, label }: { readonly values: readonly number[]; readonly label: string }) {
  if (values.length < 2) return <span className="small muted">collecting…</span>;
  const max = Math.max(...values, 1e-9);
  const points = values
    .map((v, i) => `${(i / (values.length - 1)) * 100},${30 - (v / max) * 28 - 1}`)
    .join(' ');
  return (
    <svg
      className="sparkline"
      viewBox="0 0 100 30"
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}: latest ${formatRate(values[values.length - 1])}, peak ${formatRate(max)}`}
    >
      <polyline points={points} />
    </svg>
  );
}
