/**
 * Studies (the lifecycle API, /v1/studies): the list with progress, the new-study form, and one
 * study with its trials arriving live (polled while it runs and the tab is visible), charts,
 * parameter importance and the result (evaluation, registered version, alias).
 */
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  createStudy,
  datasetVersions,
  getStudy,
  listDatasets,
  listStudies,
  stopStudy,
  type StudyView,
  type TrialView,
} from '../api/lifecycle';
import { setAlias } from '../api/mlflow';
import { useAuth } from '../auth/AuthContext';
import { DeniedNote } from '../auth/TenantSwitcher';
import { ActionStatus } from '../components/ActionStatus';
import { Badge } from '../components/Badge';
import { ErrorSummary, Field } from '../components/Field';
import { PageTitle } from '../components/PageTitle';
import { ScrollTable } from '../components/ScrollTable';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useAction } from '../components/useAction';
import { useAsync } from '../components/useAsync';
import { usePoll } from '../components/usePoll';
import { fieldProblem } from '../lib/api-errors';
import { orderParams } from '../lib/charts';
import { formatDate, formatNumber, formatPercent } from '../lib/format';
import {
  checkStudy,
  defaultStudyForm,
  directionOf,
  MEDIA_FEATURIZERS,
  PARAM_INFO,
  SEARCHABLE,
  type FieldErrors,
  type MediaFeaturizer,
  type Searchable,
  type StudyForm,
} from '../lib/lifecycle-forms';
import {
  METRIC_LABELS,
  paramNames,
  progressOf,
  searchSummary,
  studyIsLive,
  studyStatusLine,
} from '../lib/studies';
import { Link, navigate } from '../router';
import { pathTo } from '../routes';
import { ObjectiveChart, ParallelCoordinatesChart, ParamScatter } from './StudyCharts';

const STATE_TONE: Record<string, string> = {
  featurizing: 'neutral',
  running: 'neutral',
  completed: 'ok',
  failed: 'failed',
};
const TRIAL_TONE: Record<string, string> = {
  COMPLETE: 'ok',
  PRUNED: 'flag',
  FAIL: 'failed',
  RUNNING: 'neutral',
  WAITING: 'neutral',
};

export function Studies({ rest }: { readonly rest: readonly string[] }) {
  const [first] = rest;
  return (
    <>
      <div className="page-header">
        <PageTitle>Studies</PageTitle>
        <p>
          Hyperparameter searches over a data set: each trial trains a head; the best is evaluated on the test
          split, registered with a model card and given an alias.
        </p>
      </div>
      {first === undefined ? <StudyList /> : first === 'new' ? <NewStudy /> : <StudyDetail id={first} />}
    </>
  );
}

// ---- list --------------------------------------------------------------------------------------

function StudyList() {
  const auth = useAuth();
  const poll = usePoll(
    (signal) => listStudies({ signal }),
    (d) => (d.studies ?? []).some((s) => studyIsLive(s.state)),
    3000,
    [],
  );
  const studies = poll.data?.studies ?? [];
  const deniedId = useId();
  const canCreate = auth.can('study', 'create');
  return (
    <>
      <div className="toolbar row">
        {canCreate ? (
          <Link to={pathTo('studies', 'new')} className="button primary">
            New study
          </Link>
        ) : (
          <>
            <button type="button" disabled aria-describedby={deniedId}>
              New study
            </button>
            <DeniedNote id={deniedId} reason={auth.reason('study', 'create')} />
          </>
        )}
        {poll.live && <span className="small muted">Updating every 3 seconds while studies run.</span>}
      </div>
      {poll.data === undefined && poll.error === undefined && <Loading label="Loading the studies…" />}
      {poll.error !== undefined && (
        <ErrorState error={poll.error} context="Loading the studies failed." onRetry={poll.reload} />
      )}
      {poll.data &&
        (studies.length === 0 ? (
          <EmptyState title="No studies yet">
            <p>
              {canCreate ? (
                <>
                  Start one with <Link to={pathTo('studies', 'new')}>New study</Link> (it needs a data set:
                  upload one on the <Link to={pathTo('datasets')}>Data sets</Link> page), or from a terminal
                  with <code>kaleido study create spec.json</code>.
                </>
              ) : (
                'A maintainer or admin can start one.'
              )}
            </p>
          </EmptyState>
        ) : (
          <section className="card" aria-labelledby="studies-heading">
            <h2 id="studies-heading">Studies</h2>
            <ScrollTable label="Studies">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Study</th>
                    <th scope="col">State</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Objective</th>
                    <th scope="col" className="num">
                      Best
                    </th>
                    <th scope="col">Data set</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {[...studies].reverse().map((s) => {
                    const { done, total } = progressOf(s);
                    return (
                      <tr key={s.id}>
                        <th scope="row">
                          <Link to={pathTo('studies', s.name)}>{s.name}</Link>
                        </th>
                        <td>
                          <Badge tone={STATE_TONE[s.state] ?? 'neutral'}>{s.state}</Badge>
                        </td>
                        <td>
                          <span className="row nowrap">
                            <progress
                              max={total}
                              value={done}
                              aria-label={`${s.name}: ${done} of ${total} trials`}
                            />
                            <span className="small">
                              {done}/{total}
                            </span>
                          </span>
                        </td>
                        <td className="small">
                          {s.spec.direction} {METRIC_LABELS[s.spec.metric] ?? s.spec.metric}
                        </td>
                        <td className="num">{formatNumber(s.bestTrial?.value ?? undefined, 4)}</td>
                        <td className="small">
                          {s.spec.dataset.id} v{s.spec.dataset.version}
                        </td>
                        <td className="small">{formatDate(s.createdAt)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </ScrollTable>
          </section>
        ))}
    </>
  );
}

// ---- new study ---------------------------------------------------------------------------------

const STUDY_FIELDS = [
  'name',
  'dataset',
  'datasetVersion',
  'metric',
  'direction',
  'nTrials',
  'concurrency',
  'sampler',
  'seed',
  'pruner',
  'epochs',
  'dimensions',
  'modelName',
  'alias',
  'searchSpace',
  ...SEARCHABLE.map((p) => `param.${p}`),
];
const STUDY_LABELS: Record<string, string> = {
  name: 'Study name',
  dataset: 'Data set',
  datasetVersion: 'Version',
  metric: 'Objective metric',
  direction: 'Direction',
  nTrials: 'Trials',
  concurrency: 'Concurrency',
  sampler: 'Sampler',
  seed: 'Seed',
  pruner: 'Pruner',
  epochs: 'Epochs per trial',
  dimensions: 'Feature dimensions',
  modelName: 'Model name',
  alias: 'Alias',
  searchSpace: 'Search space',
  ...Object.fromEntries(SEARCHABLE.map((p) => [`param.${p}`, PARAM_INFO[p].label])),
};

const err = (errors: FieldErrors, field: string) => (errors[field] ? { error: errors[field] } : {});

function NewStudy() {
  const auth = useAuth();
  const deniedId = useId();
  const datasets = useAsync((signal) => listDatasets({ signal }), []);
  const preset = new URLSearchParams(window.location.search).get('dataset') ?? '';
  const [form, setForm] = useState<StudyForm>(() => ({ ...defaultStudyForm(), dataset: preset }));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitError, setSubmitError] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const versions = useAsync(
    (signal) =>
      form.dataset === '' ? Promise.resolve({ versions: [] }) : datasetVersions(form.dataset, { signal }),
    [form.dataset],
  );
  const list = datasets.state.data?.datasets ?? [];
  const versionList = versions.state.data?.versions ?? [];
  const chosen =
    form.datasetVersion === 'latest'
      ? versionList.at(-1)
      : versionList.find((v) => String(v.version) === form.datasetVersion);
  const textData = chosen?.schema.textField != null;
  const fileData = chosen?.schema.fileField != null;
  // Data sets of files train on frozen-encoder features (computed by the server in the background).
  const mediaFeatures = fileData ? form.mediaFeatures || 'image-embedding' : '';

  const set = <K extends keyof StudyForm>(key: K, value: StudyForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const setParam = (p: Searchable, patch: Partial<StudyForm['params'][Searchable]>) =>
    setForm((f) => ({ ...f, params: { ...f.params, [p]: { ...f.params[p], ...patch } } }));

  if (!auth.can('study', 'create')) {
    return (
      <section className="card">
        <h2>New study</h2>
        <DeniedNote id={deniedId} reason={auth.reason('study', 'create')} />
        <p>
          <Link to={pathTo('studies')}>Back to the studies</Link>
        </p>
      </section>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitError(undefined);
    const checked = checkStudy({ ...form, mediaFeatures });
    setErrors(checked.errors);
    if (!checked.spec) {
      queueMicrotask(() => summaryRef.current?.querySelector<HTMLElement>('[role="alert"]')?.focus());
      return;
    }
    setPending(true);
    try {
      const study = await createStudy(checked.spec);
      navigate(pathTo('studies', study.name));
    } catch (error) {
      const problem = fieldProblem(error, STUDY_FIELDS);
      if (problem) setErrors({ [problem.field]: problem.message });
      setSubmitError(error);
      queueMicrotask(() => summaryRef.current?.querySelector<HTMLElement>('[role="alert"]')?.focus());
    } finally {
      setPending(false);
    }
  };

  return (
    <section className="card" aria-labelledby="new-study-heading">
      <h2 id="new-study-heading">New study</h2>
      <p className="small">
        <Link to={pathTo('studies')}>← All studies</Link>
      </p>
      {datasets.state.status === 'error' && (
        <ErrorState
          error={datasets.state.error}
          context="Loading the data sets failed."
          onRetry={datasets.reload}
        />
      )}
      {datasets.state.data && list.length === 0 && (
        <EmptyState title="No data set to train on" headingLevel={3}>
          <p>
            A study trains on a data set version. <Link to={pathTo('datasets')}>Upload a data set</Link>{' '}
            first.
          </p>
        </EmptyState>
      )}
      <form onSubmit={submit} noValidate>
        <div ref={summaryRef}>
          <ErrorSummary errors={errors} labels={STUDY_LABELS} />
          {submitError !== undefined && !fieldProblem(submitError, STUDY_FIELDS) && (
            <ErrorState error={submitError} context="The server did not start the study." />
          )}
        </div>
        <fieldset>
          <legend>Study</legend>
          <div className="form-grid">
            <Field label="Study name" hint="Also the model name unless you set one." {...err(errors, 'name')}>
              <input
                value={form.name}
                onChange={(e) => set('name', e.target.value)}
                autoComplete="off"
                required
              />
            </Field>
            <Field label="Data set" {...err(errors, 'dataset')}>
              <select
                value={form.dataset}
                onChange={(e) =>
                  setForm((f) => ({ ...f, dataset: e.target.value, datasetVersion: 'latest' }))
                }
              >
                <option value="">Choose a data set…</option>
                {list.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name} ({d.rowCount} rows, {d.classes.length} classes)
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Version" {...err(errors, 'datasetVersion')}>
              <select value={form.datasetVersion} onChange={(e) => set('datasetVersion', e.target.value)}>
                <option value="latest">
                  Latest{versionList.length > 0 ? ` (version ${versionList.at(-1)?.version})` : ''}
                </option>
                {[...versionList].reverse().map((v) => (
                  <option key={v.version} value={String(v.version)}>
                    Version {v.version} ({v.rowCount} rows)
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Objective metric" {...err(errors, 'metric')}>
              <select
                value={form.metric}
                onChange={(e) => {
                  const metric = e.target.value as StudyForm['metric'];
                  setForm((f) => ({ ...f, metric, direction: directionOf(metric) }));
                }}
              >
                <option value="valAccuracy">Validation accuracy</option>
                <option value="valMacroF1">Validation macro F1</option>
                <option value="valLoss">Validation loss</option>
              </select>
            </Field>
            <Field label="Direction" {...err(errors, 'direction')}>
              <select
                value={form.direction}
                onChange={(e) => set('direction', e.target.value as StudyForm['direction'])}
              >
                <option value="maximize">Maximize</option>
                <option value="minimize">Minimize</option>
              </select>
            </Field>
            <Field label="Trials" hint="How many trials to train (1–10,000)." {...err(errors, 'nTrials')}>
              <input
                inputMode="numeric"
                value={form.nTrials}
                onChange={(e) => set('nTrials', e.target.value)}
              />
            </Field>
            <Field label="Concurrency" hint="Trials training at once (1–64)." {...err(errors, 'concurrency')}>
              <input
                inputMode="numeric"
                value={form.concurrency}
                onChange={(e) => set('concurrency', e.target.value)}
              />
            </Field>
            <Field
              label="Epochs per trial"
              hint={form.params.epochs.enabled ? 'Searched: see the search space.' : 'Fixed for every trial.'}
              {...err(errors, 'epochs')}
            >
              <input
                inputMode="numeric"
                value={form.epochs}
                disabled={form.params.epochs.enabled}
                onChange={(e) => set('epochs', e.target.value)}
              />
            </Field>
            {fileData && (
              <Field
                label="Features"
                hint="Computed once per data set version before the first trial (the study shows the progress)."
                {...err(errors, 'featurizer')}
              >
                <select
                  value={mediaFeatures}
                  onChange={(e) => set('mediaFeatures', e.target.value as MediaFeaturizer)}
                >
                  {Object.entries(MEDIA_FEATURIZERS).map(([type, label]) => (
                    <option key={type} value={type}>
                      {label}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            {textData && (
              <Field
                label="Feature dimensions"
                hint="Hashed bag of words; empty = the server’s default (1024)."
                {...err(errors, 'dimensions')}
              >
                <input
                  inputMode="numeric"
                  value={form.dimensions}
                  onChange={(e) => set('dimensions', e.target.value)}
                />
              </Field>
            )}
          </div>
        </fieldset>
        <fieldset>
          <legend>Search</legend>
          <div className="form-grid">
            <Field
              label="Sampler"
              hint="TPE learns from earlier trials; grid tries every combination of choices."
              {...err(errors, 'sampler')}
            >
              <select
                value={form.sampler}
                onChange={(e) => set('sampler', e.target.value as StudyForm['sampler'])}
              >
                <option value="tpe">TPE</option>
                <option value="random">Random</option>
                <option value="grid">Grid</option>
              </select>
            </Field>
            <Field label="Seed" hint="Same seed, same trials (with concurrency 1)." {...err(errors, 'seed')}>
              <input inputMode="numeric" value={form.seed} onChange={(e) => set('seed', e.target.value)} />
            </Field>
            <Field label="Pruner" hint="Stops unpromising trials early." {...err(errors, 'pruner')}>
              <select
                value={form.pruner}
                onChange={(e) => set('pruner', e.target.value as StudyForm['pruner'])}
              >
                <option value="median">Median</option>
                <option value="successive-halving">Successive halving</option>
                <option value="nop">None</option>
              </select>
            </Field>
          </div>
          <SearchSpaceEditor form={form} errors={errors} setParam={setParam} />
        </fieldset>
        <fieldset>
          <legend>Result</legend>
          <div className="form-grid">
            <Field
              label="Model name"
              hint="Registered model the best trial becomes; empty = the study name."
              {...err(errors, 'modelName')}
            >
              <input
                value={form.modelName}
                onChange={(e) => set('modelName', e.target.value)}
                autoComplete="off"
              />
            </Field>
            <Field
              label="Alias"
              hint="Pointed at the new version when the study ends."
              {...err(errors, 'alias')}
            >
              <input value={form.alias} onChange={(e) => set('alias', e.target.value)} autoComplete="off" />
            </Field>
          </div>
        </fieldset>
        <div className="row">
          <button type="submit" className="primary" disabled={pending}>
            Start the study
          </button>
          <span role="status" className="small">
            {pending && (
              <>
                <span className="spinner" aria-hidden="true" /> Starting…
              </>
            )}
          </span>
        </div>
      </form>
    </section>
  );
}

function SearchSpaceEditor({
  form,
  errors,
  setParam,
}: {
  readonly form: StudyForm;
  readonly errors: FieldErrors;
  readonly setParam: (p: Searchable, patch: Partial<StudyForm['params'][Searchable]>) => void;
}) {
  const base = useId();
  return (
    <div className="stack">
      <h3 className="section-heading">Search space</h3>
      {errors['searchSpace'] && <p className="field-error">{errors['searchSpace']}</p>}
      <ul className="param-list">
        {SEARCHABLE.map((p) => {
          const r = form.params[p];
          const info = PARAM_INFO[p];
          const id = `${base}-${p}`;
          const error = errors[`param.${p}`];
          const errorId = error ? `${id}-error` : undefined;
          const choicesOnly = info.kind === 'model';
          return (
            <li key={p} className="param-row">
              <label className="check">
                <input
                  type="checkbox"
                  checked={r.enabled}
                  onChange={(e) => setParam(p, { enabled: e.target.checked })}
                />
                <span>
                  {info.label} <code>{p}</code>
                </span>
              </label>
              {r.enabled && (
                <div className="row param-controls" role="group" aria-label={`${p} values`}>
                  {!choicesOnly && (
                    <>
                      <label htmlFor={`${id}-mode`} className="sr-only">
                        {p}: range or choices
                      </label>
                      <select
                        id={`${id}-mode`}
                        value={r.mode}
                        onChange={(e) => setParam(p, { mode: e.target.value as 'range' | 'choices' })}
                      >
                        <option value="range">Range</option>
                        <option value="choices">Choices</option>
                      </select>
                    </>
                  )}
                  {r.mode === 'range' && !choicesOnly ? (
                    <>
                      <label htmlFor={`${id}-low`}>Low</label>
                      <input
                        id={`${id}-low`}
                        className="narrow"
                        inputMode="decimal"
                        value={r.low}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={errorId}
                        onChange={(e) => setParam(p, { low: e.target.value })}
                      />
                      <label htmlFor={`${id}-high`}>High</label>
                      <input
                        id={`${id}-high`}
                        className="narrow"
                        inputMode="decimal"
                        value={r.high}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={errorId}
                        onChange={(e) => setParam(p, { high: e.target.value })}
                      />
                      <label className="check">
                        <input
                          type="checkbox"
                          checked={r.log}
                          onChange={(e) => setParam(p, { log: e.target.checked })}
                        />{' '}
                        Log scale
                      </label>
                    </>
                  ) : (
                    <>
                      <label htmlFor={`${id}-choices`}>Choices</label>
                      <input
                        id={`${id}-choices`}
                        value={r.choices}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={errorId}
                        onChange={(e) => setParam(p, { choices: e.target.value })}
                        placeholder={choicesOnly ? 'logistic, mlp' : 'comma-separated'}
                      />
                    </>
                  )}
                </div>
              )}
              {error && (
                <p id={errorId} className="field-error">
                  {error}
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

// ---- detail ------------------------------------------------------------------------------------

function StudyDetail({ id }: { readonly id: string }) {
  const auth = useAuth();
  const poll = usePoll(
    (signal) => getStudy(id, { signal }),
    (s) => studyIsLive(s.state),
    1500,
    [id],
  );
  const stop = useAction();
  const stopDenied = useId();
  const study = poll.data;
  const trials = useMemo(() => [...(study?.trials ?? [])].sort((a, b) => a.number - b.number), [study]);

  if (!study) {
    return poll.error !== undefined ? (
      <>
        <p>
          <Link to={pathTo('studies')}>← All studies</Link>
        </p>
        <ErrorState error={poll.error} context={`Loading the study ${id} failed.`} onRetry={poll.reload} />
      </>
    ) : (
      <Loading label={`Loading the study ${id}…`} />
    );
  }
  const { done, total } = progressOf(study);
  const canStop = auth.can('study', 'operate');
  return (
    <div className="stack">
      <p>
        <Link to={pathTo('studies')}>← All studies</Link>
      </p>
      <section className="card stack" aria-labelledby="study-heading">
        <div className="row spread">
          <h2 id="study-heading">{study.name}</h2>
          <Badge tone={STATE_TONE[study.state] ?? 'neutral'}>{study.state}</Badge>
        </div>
        {study.featurization && (
          <div className="row">
            <progress
              max={Math.max(1, study.featurization.total)}
              value={study.featurization.done}
              aria-label={`Files featurised: ${study.featurization.done} of ${study.featurization.total}`}
            />
            <span>
              {study.featurization.done} of {study.featurization.total} files featurised (
              <code>{study.featurization.featurizer}</code>)
              {study.featurization.finishedAt !== null && ', done'}
            </span>
          </div>
        )}
        <div className="row">
          <progress max={total} value={done} aria-label={`Trials finished: ${done} of ${total}`} />
          <span>
            {done} of {total} trials finished · {study.counts.complete} complete, {study.counts.pruned}{' '}
            pruned, {study.counts.fail} failed, {study.counts.running} running
          </span>
        </div>
        <p className="small muted" role="status" aria-live="polite">
          {studyStatusLine(study, poll.live, formatDate)}
          {poll.error !== undefined && ' The last update failed; retrying.'}
        </p>
        <dl className="props">
          <dt>Objective</dt>
          <dd>
            {study.spec.direction} {METRIC_LABELS[study.spec.metric] ?? study.spec.metric}
          </dd>
          <dt>Data set</dt>
          <dd>
            <Link to={pathTo('datasets', study.spec.dataset.id, String(study.spec.dataset.version))}>
              {study.spec.dataset.id} version {study.spec.dataset.version}
            </Link>
          </dd>
          <dt>Sampler</dt>
          <dd>
            {study.spec.sampler.type}, seed {study.spec.sampler.seed}; pruner {study.spec.pruner.type};
            concurrency {study.spec.concurrency}
          </dd>
          <dt>Model</dt>
          <dd>
            {study.spec.modelName} @ {study.spec.alias}
          </dd>
        </dl>
        {study.error && (
          <div className="state error" role="alert">
            <p className="title">The study failed.</p>
            <p>{study.error.message}</p>
            <p className="small muted">
              Code <code>{study.error.code}</code>.
            </p>
          </div>
        )}
        {(study.state === 'running' || study.state === 'featurizing') && (
          <div className="row">
            <button
              type="button"
              disabled={!canStop || study.stopped || stop.state.status === 'pending'}
              aria-describedby={canStop ? undefined : stopDenied}
              onClick={() =>
                void stop.run(
                  'Asking the study to stop…',
                  async () => {
                    await stopStudy(study.id);
                    poll.reload();
                    return 'No more trials will start; running ones finish and the best is registered.';
                  },
                  'Stopping the study failed.',
                )
              }
            >
              {study.stopped
                ? 'Stopping…'
                : study.state === 'featurizing'
                  ? 'Stop (the study ends before any trial)'
                  : 'Stop after running trials'}
            </button>
            <DeniedNote id={stopDenied} reason={auth.reason('study', 'operate')} />
          </div>
        )}
        <ActionStatus state={stop.state} />
      </section>

      <section className="card stack" aria-labelledby="search-heading">
        <h2 id="search-heading">Search</h2>
        <p className="small">{searchSummary(study, trials)}</p>
        <div className="grid">
          <div>
            <h3>Objective by trial</h3>
            <ObjectiveChart study={study} trials={trials} />
          </div>
          <div>
            <h3>Parameter against objective</h3>
            <ParamScatter study={study} trials={trials} />
          </div>
        </div>
        <div>
          <h3>All parameters at once</h3>
          <ParallelCoordinatesChart study={study} trials={trials} />
        </div>
        {study.importance && <Importance importance={study.importance} />}
      </section>

      <TrialsTable study={study} trials={trials} />
      {study.result && <Result study={study} />}
    </div>
  );
}

function Importance({ importance }: { readonly importance: Record<string, number> }) {
  const names = orderParams(Object.keys(importance), importance);
  const max = Math.max(1e-9, ...Object.values(importance));
  return (
    <div>
      <h3>Parameter importance</h3>
      <ScrollTable label="Parameter importance">
        <table className="balance">
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              <th scope="col" className="num">
                Importance
              </th>
              <th scope="col">
                <span className="sr-only">Bar</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {names.map((n) => (
              <tr key={n}>
                <th scope="row" className="mono">
                  {n}
                </th>
                <td className="num">{formatNumber(importance[n], 3)}</td>
                <td className="bar-cell">
                  <span className="bar" aria-hidden="true">
                    <span style={{ width: `${((importance[n] ?? 0) / max) * 100}%` }} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </div>
  );
}

function TrialsTable({
  study,
  trials,
}: {
  readonly study: StudyView;
  readonly trials: readonly TrialView[];
}) {
  const params = orderParams(paramNames(trials), study.importance);
  const best = study.bestTrial?.number;
  return (
    <section className="card" aria-labelledby="trials-heading">
      <h2 id="trials-heading">Trials</h2>
      {trials.length === 0 ? (
        <p>No trial has started yet; the first appears within seconds.</p>
      ) : (
        <ScrollTable label="Trials">
          <table>
            <thead>
              <tr>
                <th scope="col">Trial</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Value
                </th>
                <th scope="col" className="num">
                  Epochs
                </th>
                {params.map((p) => (
                  <th key={p} scope="col">
                    {p}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...trials].reverse().map((t) => (
                <tr key={t.number} className={t.number === best ? 'selected' : undefined}>
                  <th scope="row">
                    {t.number}
                    {t.number === best && <span className="small"> (best)</span>}
                  </th>
                  <td>
                    <Badge tone={TRIAL_TONE[t.state] ?? 'neutral'}>{t.state.toLowerCase()}</Badge>
                    {t.failReason && <div className="small">{t.failReason}</div>}
                  </td>
                  <td className="num">{formatNumber(t.value ?? t.intermediateValues.at(-1)?.[1], 4)}</td>
                  <td className="num">{t.intermediateValues.length}</td>
                  {params.map((p) => (
                    <td key={p} className="small">
                      {t.params[p] === undefined
                        ? '—'
                        : typeof t.params[p] === 'number'
                          ? formatNumber(t.params[p] as number, 5)
                          : String(t.params[p])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}

interface EvaluationView {
  split?: string;
  rows?: number;
  accuracy?: number;
  macroF1?: number;
  rocAuc?: number | null;
  logLoss?: number;
  ece?: number;
  perClass?: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>;
}

interface ModelView {
  modelName?: string;
  version?: number;
  registeredVersion?: string | number | null;
  alias?: string | null;
  served?: boolean;
  sha256?: string;
}

function Result({ study }: { readonly study: StudyView }) {
  const auth = useAuth();
  const result = study.result ?? {};
  const evaluation = (result['evaluation'] ?? undefined) as EvaluationView | undefined;
  const model = (result['model'] ?? undefined) as ModelView | undefined;
  const best = study.bestTrial;
  return (
    <section className="card stack" aria-labelledby="result-heading">
      <h2 id="result-heading">Result</h2>
      {best && (
        <p>
          Best trial <strong>{best.number}</strong>: {METRIC_LABELS[study.spec.metric] ?? study.spec.metric}{' '}
          {formatNumber(best.value ?? undefined, 4)} with{' '}
          {Object.entries(best.params)
            .map(([k, v]) => `${k} = ${typeof v === 'number' ? formatNumber(v, 5) : String(v)}`)
            .join(', ')}
          .
        </p>
      )}
      {evaluation && (
        <>
          <h3>
            Evaluation on the {evaluation.split ?? 'test'} split ({evaluation.rows ?? '—'} rows)
          </h3>
          <dl className="kpis">
            <div className="kpi">
              <dt>Accuracy</dt>
              <dd>{formatPercent(evaluation.accuracy, 1)}</dd>
            </div>
            <div className="kpi">
              <dt>Macro F1</dt>
              <dd>{formatNumber(evaluation.macroF1, 3)}</dd>
            </div>
            <div className="kpi">
              <dt>ROC AUC</dt>
              <dd>{formatNumber(evaluation.rocAuc ?? undefined, 3)}</dd>
            </div>
            <div className="kpi">
              <dt>Log loss</dt>
              <dd>{formatNumber(evaluation.logLoss, 3)}</dd>
            </div>
            <div className="kpi">
              <dt>Calibration error</dt>
              <dd>{formatNumber(evaluation.ece, 3)}</dd>
            </div>
          </dl>
          {evaluation.perClass && evaluation.perClass.length > 0 && (
            <ScrollTable label="Per-class metrics">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Class</th>
                    <th scope="col" className="num">
                      Precision
                    </th>
                    <th scope="col" className="num">
                      Recall
                    </th>
                    <th scope="col" className="num">
                      F1
                    </th>
                    <th scope="col" className="num">
                      Support
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {evaluation.perClass.map((c) => (
                    <tr key={c.label}>
                      <th scope="row">{c.label}</th>
                      <td className="num">{formatNumber(c.precision, 3)}</td>
                      <td className="num">{formatNumber(c.recall, 3)}</td>
                      <td className="num">{formatNumber(c.f1, 3)}</td>
                      <td className="num">{c.support}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          )}
        </>
      )}
      {model ? (
        <>
          <h3>Registered model</h3>
          <dl className="props">
            <dt>Model</dt>
            <dd>
              <Link to={pathTo('models', model.modelName ?? study.spec.modelName)}>
                {model.modelName ?? study.spec.modelName}
              </Link>
            </dd>
            <dt>Registered version</dt>
            <dd>{model.registeredVersion ?? 'not registered yet'}</dd>
            <dt>Alias</dt>
            <dd>{model.alias ?? 'not set yet'}</dd>
            <dt>Served</dt>
            <dd>{model.served ? 'yes' : 'not yet'}</dd>
            {model.sha256 && (
              <>
                <dt>SHA-256</dt>
                <dd className="mono small break">{model.sha256}</dd>
              </>
            )}
          </dl>
          {model.registeredVersion !== null &&
            model.registeredVersion !== undefined &&
            study.state !== 'running' && (
              <AliasForm
                modelName={model.modelName ?? study.spec.modelName}
                version={String(model.registeredVersion)}
                suggested={model.alias ?? study.spec.alias}
                allowed={auth.can('model', 'update')}
                reason={auth.reason('model', 'update')}
              />
            )}
        </>
      ) : (
        study.state === 'running' && <p>The best trial is exported and registered when the search ends.</p>
      )}
    </section>
  );
}

/** Points an alias (e.g. "production") at the study's registered version. */
function AliasForm({
  modelName,
  version,
  suggested,
  allowed,
  reason,
}: {
  readonly modelName: string;
  readonly version: string;
  readonly suggested: string;
  readonly allowed: boolean;
  readonly reason: string | undefined;
}) {
  const [alias, setAliasName] = useState(suggested);
  const action = useAction();
  const deniedId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const name = alias.trim();
    void action.run(
      `Pointing ${name} at version ${version}…`,
      async () => {
        await setAlias(modelName, name, version);
        return `${modelName}@${name} now serves version ${version}.`;
      },
      `Setting the alias ${name} failed.`,
    );
  };
  return (
    <form onSubmit={submit} className="stack">
      <div className="row">
        <Field
          label={`Set an alias on version ${version}`}
          hint="e.g. production; moves the alias if it points elsewhere."
        >
          <input
            value={alias}
            onChange={(e) => setAliasName(e.target.value)}
            autoComplete="off"
            disabled={!allowed}
          />
        </Field>
        <button
          type="submit"
          disabled={!allowed || alias.trim() === ''}
          aria-describedby={allowed ? undefined : deniedId}
        >
          Set alias
        </button>
      </div>
      <DeniedNote id={deniedId} reason={allowed ? undefined : reason} />
      <ActionStatus state={action.state} />
    </form>
  );
}
