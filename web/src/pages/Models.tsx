/**
 * Models: the serving repository (Triton's index: every model, its state, load/unload) and the
 * registry (MLflow-shaped: registered models, versions, aliases). /models/<name> shows one model:
 * signature, configuration, statistics, registered versions and their metrics, and alias moves.
 */
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { ModelStatistics, RepositoryIndexEntry } from '@kaleido/client';
import { kaleido } from '../api/client';
import {
  aliasHistory,
  deleteAlias,
  searchModelVersions,
  searchRegisteredModels,
  setAlias,
  type ModelVersion,
  type RegisteredModel,
} from '../api/mlflow';
import { ActionStatus } from '../components/ActionStatus';
import { Badge } from '../components/Badge';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useAction } from '../components/useAction';
import { useAsync } from '../components/useAsync';
import { formatDate, formatMs, formatNumber } from '../lib/format';
import { Link } from '../router';
import { pathTo } from '../routes';
import { ScrollTable } from '../components/ScrollTable';
import { PageTitle } from '../components/PageTitle';
import { ModelCardPanel } from './ModelCard';

export function Models({ rest }: { readonly rest: readonly string[] }) {
  const name = rest[0];
  return name === undefined ? <ModelList /> : <ModelDetail name={name} />;
}

/** One row per model: the repository's entries merged per name (an entry per loaded version). */
interface ModelRow {
  name: string;
  versions: RepositoryIndexEntry[];
  registered?: RegisteredModel;
}

function ModelList() {
  const data = useAsync(async (signal) => {
    const [index, registry] = await Promise.all([
      kaleido().repositoryIndex({ signal }),
      searchRegisteredModels({ signal }).catch(() => ({ registered_models: undefined })),
    ]);
    return { index, registered: registry.registered_models };
  }, []);
  const action = useAction();
  const [filter, setFilter] = useState('');
  const filterId = useId();

  const rows = useMemo(() => {
    if (data.state.status === 'loading' && data.state.data === undefined) return [];
    const d = data.state.data;
    if (!d) return [];
    const byName = new Map<string, ModelRow>();
    for (const e of d.index) {
      const row = byName.get(e.name) ?? { name: e.name, versions: [] };
      row.versions.push(e);
      byName.set(e.name, row);
    }
    for (const m of d.registered ?? []) {
      const row = byName.get(m.name) ?? { name: m.name, versions: [] };
      row.registered = m;
      byName.set(m.name, row);
    }
    const f = filter.trim().toLowerCase();
    return [...byName.values()]
      .filter((r) => f === '' || r.name.toLowerCase().includes(f))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [data.state, filter]);

  const load = (name: string) =>
    action.run(
      `Loading ${name}…`,
      async () => {
        await kaleido().loadModel(name);
        data.reload();
        return `${name} is loaded.`;
      },
      `Loading ${name} failed.`,
    );
  const unload = (name: string) =>
    action.run(
      `Unloading ${name}…`,
      async () => {
        await kaleido().unloadModel(name);
        data.reload();
        return `${name} is unloaded.`;
      },
      `Unloading ${name} failed.`,
    );

  return (
    <>
      <div className="page-header">
        <PageTitle>Models</PageTitle>
        <p>
          Every model in the server’s repositories and the registry, with its state. Load a model to serve it;
          select a name for its signature, configuration, versions and aliases.
        </p>
      </div>
      <div className="row toolbar">
        <label htmlFor={filterId}>Filter</label>
        <input
          id={filterId}
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="Model name"
        />
        <button type="button" onClick={data.reload}>
          Refresh
        </button>
      </div>
      <ActionStatus state={action.state} />
      {data.state.status === 'loading' && data.state.data === undefined && (
        <Loading label="Loading the models…" />
      )}
      {data.state.status === 'error' && (
        <ErrorState error={data.state.error} context="Loading the models failed." onRetry={data.reload} />
      )}
      {data.state.data !== undefined &&
        (rows.length === 0 ? (
          <EmptyState title={filter ? 'No model matches the filter' : 'No models yet'}>
            {filter ? (
              <p>Clear the filter to see every model.</p>
            ) : (
              <p>
                Put a model directory (<code>config.json</code> and numbered version folders) into a
                repository the server reads (<code>--model-repository</code>), or register one through the
                MLflow API.
              </p>
            )}
          </EmptyState>
        ) : (
          <ScrollTable label="Models" className="card">
            <table>
              <caption>Models ({rows.length})</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Serving state</th>
                  <th scope="col">Loaded versions</th>
                  <th scope="col">Registry aliases</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const ready = r.versions.some((v) => v.state === 'READY');
                  const inRepository = r.versions.length > 0;
                  const state = ready
                    ? 'READY'
                    : (r.versions.find((v) => v.state)?.state ??
                      (inRepository ? 'UNAVAILABLE' : 'not in repository'));
                  const reason = r.versions.find((v) => v.reason)?.reason;
                  const busy = action.state.status === 'pending';
                  return (
                    <tr key={r.name}>
                      <th scope="row">
                        <Link to={pathTo('models', r.name)}>{r.name}</Link>
                      </th>
                      <td>
                        <Badge tone={inRepository ? state : 'neutral'}>{state}</Badge>
                        {reason && !ready && <span className="small muted"> {reason}</span>}
                      </td>
                      <td>
                        {r.versions
                          .filter((v) => v.version)
                          .map((v) => v.version)
                          .join(', ') || '—'}
                      </td>
                      <td>
                        {r.registered?.aliases.map((a) => `${a.alias} → v${a.version}`).join(', ') || '—'}
                      </td>
                      <td>
                        {inRepository && (
                          <div className="row">
                            <button
                              type="button"
                              onClick={() => void load(r.name)}
                              disabled={busy}
                              aria-label={`${ready ? 'Reload' : 'Load'} ${r.name}`}
                            >
                              {ready ? 'Reload' : 'Load'}
                            </button>
                            {ready && (
                              <button
                                type="button"
                                className="danger"
                                onClick={() => void unload(r.name)}
                                disabled={busy}
                                aria-label={`Unload ${r.name}`}
                              >
                                Unload
                              </button>
                            )}
                          </div>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollTable>
        ))}
    </>
  );
}

function ModelDetail({ name }: { readonly name: string }) {
  const serving = useAsync(
    async (signal) => {
      const index = await kaleido().repositoryIndex({ signal });
      const entries = index.filter((e) => e.name === name);
      const ready = entries.some((e) => e.state === 'READY');
      if (!ready) return { entries, ready };
      const [metadata, config, stats] = await Promise.all([
        kaleido().modelMetadata(name, undefined, { signal }),
        kaleido().modelConfig(name, undefined, { signal }),
        kaleido().modelStatistics(name, undefined, { signal }),
      ]);
      return { entries, ready, metadata, config, stats };
    },
    [name],
  );
  const registry = useAsync(
    async (signal) => {
      const models = await searchRegisteredModels({ signal });
      const model = models.registered_models?.find((m) => m.name === name);
      // A repository model that was never registered has no versions or alias history: asking
      // anyway would answer 404, which the browser logs as an error on every visit.
      if (model === undefined) return { model, versions: [], history: [] };
      const [versions, history] = await Promise.all([
        searchModelVersions(name, { signal }),
        aliasHistory(name, { signal }).catch(() => ({ alias_history: [] })),
      ]);
      return {
        model,
        versions: versions.model_versions ?? [],
        history: history.alias_history ?? [],
      };
    },
    [name],
  );
  const action = useAction();
  const busy = action.state.status === 'pending';

  const act = (verb: 'Load' | 'Unload') =>
    action.run(
      `${verb === 'Load' ? 'Loading' : 'Unloading'} ${name}…`,
      async () => {
        if (verb === 'Load') await kaleido().loadModel(name);
        else await kaleido().unloadModel(name);
        serving.reload();
        return `${name} is ${verb === 'Load' ? 'loaded' : 'unloaded'}.`;
      },
      `${verb === 'Load' ? 'Loading' : 'Unloading'} ${name} failed.`,
    );

  const s = serving.state.data;
  return (
    <>
      <p className="small">
        <Link to={pathTo('models')}>← All models</Link>
      </p>
      <div className="page-header">
        <PageTitle>{name}</PageTitle>
        {s && (
          <>
            <Badge tone={s.ready ? 'READY' : s.entries.length > 0 ? 'UNAVAILABLE' : 'neutral'}>
              {s.ready ? 'READY' : s.entries.length > 0 ? 'not loaded' : 'not in repository'}
            </Badge>
            {s.entries.length > 0 && (
              <span className="row">
                <button type="button" onClick={() => void act('Load')} disabled={busy}>
                  {s.ready ? 'Reload' : 'Load'}
                </button>
                {s.ready && (
                  <button type="button" className="danger" onClick={() => void act('Unload')} disabled={busy}>
                    Unload
                  </button>
                )}
              </span>
            )}
          </>
        )}
      </div>
      <ActionStatus state={action.state} />
      {serving.state.status === 'loading' && !s && <Loading label="Loading the model…" />}
      {serving.state.status === 'error' && (
        <ErrorState
          error={serving.state.error}
          context="Loading the model’s serving details failed."
          onRetry={serving.reload}
        />
      )}
      {s && !s.ready && (
        <EmptyState title="Not being served" headingLevel={2}>
          <p>
            {s.entries.length > 0
              ? `The model is in the repository but not loaded${s.entries[0]?.reason ? ` (${s.entries[0].reason})` : ''}. Load it to see its signature, configuration and statistics.`
              : 'No repository the server reads holds this model; only its registry entry exists.'}
          </p>
        </EmptyState>
      )}
      {s?.ready && s.metadata && (
        <div className="grid">
          <section className="card">
            <h2>Signature</h2>
            <p className="small muted">
              Platform {s.metadata.platform || '—'}; versions {s.metadata.versions?.join(', ') ?? '—'}.
            </p>
            <TensorTable caption="Inputs" tensors={s.metadata.inputs} />
            <TensorTable caption="Outputs" tensors={s.metadata.outputs} />
          </section>
          <section className="card">
            <h2>Statistics</h2>
            {s.stats && s.stats.length > 0 ? <StatsTable stats={s.stats} /> : <p>No statistics yet.</p>}
          </section>
          <section className="card">
            <h2>Configuration</h2>
            <details>
              <summary>Model configuration (JSON)</summary>
              <pre>{JSON.stringify(s.config, null, 2)}</pre>
            </details>
          </section>
        </div>
      )}
      <h2 className="section-heading">Registry</h2>
      {registry.state.status === 'loading' && !registry.state.data && (
        <Loading label="Loading the registry…" />
      )}
      {registry.state.status === 'error' && (
        <ErrorState
          error={registry.state.error}
          context="Loading the registry failed."
          onRetry={registry.reload}
        />
      )}
      {registry.state.data &&
        (registry.state.data.model === undefined ? (
          <EmptyState title="Not registered" headingLevel={3}>
            <p>
              This model has no registry entry. Register it with{' '}
              <code>POST /api/2.0/mlflow/registered-models/create</code> and add versions with{' '}
              <code>model-versions/create</code>; they then appear here with their aliases.
            </p>
          </EmptyState>
        ) : (
          <Registry
            model={registry.state.data.model}
            versions={registry.state.data.versions}
            history={registry.state.data.history}
            onChanged={registry.reload}
          />
        ))}
    </>
  );
}

function TensorTable({
  caption,
  tensors,
}: {
  readonly caption: string;
  readonly tensors: ReadonlyArray<{ name: string; datatype: string; shape: number[] }>;
}) {
  return (
    <ScrollTable label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Shape</th>
          </tr>
        </thead>
        <tbody>
          {tensors.map((t) => (
            <tr key={t.name}>
              <td className="mono">{t.name}</td>
              <td>{t.datatype}</td>
              <td className="mono">[{t.shape.map((d) => (d === -1 ? 'any' : d)).join(', ')}]</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

const meanMs = (d: { count: number; ns: number }) => (d.count > 0 ? d.ns / d.count / 1e6 : undefined);

function StatsTable({ stats }: { readonly stats: readonly ModelStatistics[] }) {
  return (
    <ScrollTable label="Statistics">
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col" className="num">
              Inferences
            </th>
            <th scope="col" className="num">
              Failed
            </th>
            <th scope="col" className="num">
              Mean queue
            </th>
            <th scope="col" className="num">
              Mean compute
            </th>
            <th scope="col">Last</th>
          </tr>
        </thead>
        <tbody>
          {stats.map((s) => (
            <tr key={s.version}>
              <td>{s.version}</td>
              <td className="num">{formatNumber(s.inferenceCount)}</td>
              <td className="num">{formatNumber(s.inferenceStats.fail.count)}</td>
              <td className="num">{formatMs(meanMs(s.inferenceStats.queue))}</td>
              <td className="num">{formatMs(meanMs(s.inferenceStats.computeInfer))}</td>
              <td className="small">{formatDate(s.lastInference)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

function Registry({
  model,
  versions,
  history,
  onChanged,
}: {
  readonly model: RegisteredModel;
  readonly versions: readonly ModelVersion[];
  readonly history: ReadonlyArray<{
    alias: string;
    from_version?: string;
    to_version?: string;
    actor: string;
    timestamp: number;
    id: string;
  }>;
  readonly onChanged: () => void;
}) {
  const action = useAction();
  const aliasId = useId();
  const versionId = useId();
  const [alias, setAliasName] = useState(model.aliases[0]?.alias ?? 'champion');
  const sorted = [...versions].sort((a, b) => Number(b.version) - Number(a.version));
  const [version, setVersion] = useState(sorted[0]?.version ?? '');
  const busy = action.state.status === 'pending';
  const [cardVersion, setCardVersion] = useState<string | undefined>();
  const cardId = useId();

  const move = (e: FormEvent) => {
    e.preventDefault();
    const name = alias.trim();
    if (name === '' || version === '') return;
    void action.run(
      `Moving ${name} to version ${version}…`,
      async () => {
        await setAlias(model.name, name, version);
        onChanged();
        return `${name} now points to version ${version}.`;
      },
      `Moving the alias ${name} failed.`,
    );
  };
  const remove = (name: string) =>
    void action.run(
      `Deleting ${name}…`,
      async () => {
        await deleteAlias(model.name, name);
        onChanged();
        return `Alias ${name} deleted.`;
      },
      `Deleting the alias ${name} failed.`,
    );

  return (
    <div className="stack">
      {model.description && <p>{model.description}</p>}
      <section className="card">
        <h3>Versions</h3>
        {sorted.length === 0 ? (
          <p>No versions registered yet.</p>
        ) : (
          <ScrollTable label="Registered versions">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Metrics</th>
                  <th scope="col">Source</th>
                  <th scope="col">Created</th>
                  <th scope="col">Model card</th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((v) => (
                  <tr key={v.version}>
                    <td>{v.version}</td>
                    <td>
                      <Badge tone={v.status === 'READY' ? 'READY' : 'neutral'}>{v.status}</Badge>
                    </td>
                    <td>{v.aliases.join(', ') || '—'}</td>
                    <td className="small">{metricsText(v.metrics_snapshot)}</td>
                    <td className="small mono">{v.source}</td>
                    <td className="small">{formatDate(v.creation_timestamp)}</td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-expanded={cardVersion === v.version}
                        aria-controls={cardVersion === v.version ? cardId : undefined}
                        aria-label={`Model card of version ${v.version}`}
                        id={`${cardId}-open-${v.version}`}
                        onClick={() => setCardVersion(cardVersion === v.version ? undefined : v.version)}
                      >
                        Model card
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
        {cardVersion !== undefined && (
          <ModelCardPanel
            name={model.name}
            version={cardVersion}
            id={cardId}
            onClose={() => {
              const opener = document.getElementById(`${cardId}-open-${cardVersion}`);
              setCardVersion(undefined);
              opener?.focus();
            }}
          />
        )}
        {sorted.some((v) => v.signature !== undefined) && (
          <details>
            <summary>Registered signatures</summary>
            {sorted
              .filter((v) => v.signature !== undefined)
              .map((v) => (
                <div key={v.version}>
                  <h4>Version {v.version}</h4>
                  <pre>{JSON.stringify(v.signature, null, 2)}</pre>
                </div>
              ))}
          </details>
        )}
      </section>
      <section className="card">
        <h3>Aliases</h3>
        {model.aliases.length === 0 ? (
          <p>
            No aliases yet: serving by alias (<code>{model.name}@champion</code>) needs one.
          </p>
        ) : (
          <ul>
            {model.aliases.map((a) => (
              <li key={a.alias} className="row">
                <span>
                  <strong>{a.alias}</strong> → version {a.version}
                </span>
                <button
                  type="button"
                  className="link"
                  onClick={() => remove(a.alias)}
                  disabled={busy}
                  aria-label={`Delete alias ${a.alias}`}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        {sorted.length > 0 && (
          <form className="row" onSubmit={move} aria-label="Move an alias">
            <span className="field">
              <label htmlFor={aliasId}>Alias</label>
              <input
                id={aliasId}
                type="text"
                value={alias}
                onChange={(e) => setAliasName(e.target.value)}
                required
              />
            </span>
            <span className="field">
              <label htmlFor={versionId}>Version</label>
              <select id={versionId} value={version} onChange={(e) => setVersion(e.target.value)}>
                {sorted.map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
              </select>
            </span>
            <button type="submit" className="primary" disabled={busy}>
              Move alias
            </button>
          </form>
        )}
        <ActionStatus state={action.state} />
        {history.length > 0 && (
          <details>
            <summary>Alias history ({history.length})</summary>
            <ul className="small">
              {history.map((h) => (
                <li key={h.id}>
                  {formatDate(h.timestamp)}: <strong>{h.alias}</strong>{' '}
                  {h.from_version ? `v${h.from_version}` : '(new)'} →{' '}
                  {h.to_version ? `v${h.to_version}` : '(deleted)'} by {h.actor}
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    </div>
  );
}

function metricsText(snapshot: unknown): string {
  if (typeof snapshot !== 'object' || snapshot === null) return '—';
  const entries = Object.entries(snapshot as Record<string, unknown>).filter(
    ([, v]) => typeof v === 'number',
  );
  if (entries.length === 0) return '—';
  return entries.map(([k, v]) => `${k} ${formatNumber(v as number, 3)}`).join(', ');
}
