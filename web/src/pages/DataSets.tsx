/**
 * Data sets (the lifecycle API, /v1/datasets): the list, one version's schema, class balance,
 * splits and rejected rows, and the upload form (file picker or drag and drop, with progress).
 */
import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import {
  datasetVersions,
  listDatasets,
  uploadDataset,
  type DatasetSummary,
  type DatasetVersion,
  type RowIssue,
  type UploadHandle,
} from '../api/lifecycle';
import { useAuth } from '../auth/AuthContext';
import { DeniedNote } from '../auth/TenantSwitcher';
import { ErrorSummary, Field } from '../components/Field';
import { PageTitle } from '../components/PageTitle';
import { ScrollTable } from '../components/ScrollTable';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useAsync } from '../components/useAsync';
import { fieldProblem, rejectedRows } from '../lib/api-errors';
import { formatBytes, formatDate, formatPercent } from '../lib/format';
import {
  checkUpload,
  nameFromFile,
  UPLOAD_DEFAULTS,
  type FieldErrors,
  type UploadForm,
} from '../lib/lifecycle-forms';
import { Link } from '../router';
import { pathTo } from '../routes';

export function DataSets({ rest }: { readonly rest: readonly string[] }) {
  const list = useAsync((signal) => listDatasets({ signal }), []);
  const auth = useAuth();
  const datasets = list.state.data?.datasets ?? [];
  const [name, versionRaw] = rest;
  const version = versionRaw === undefined ? undefined : Number(versionRaw);
  const canUpload = auth.can('dataset', 'create');
  const deniedId = useId();

  return (
    <>
      <div className="page-header">
        <PageTitle>Data sets</PageTitle>
        <p>
          Labelled training and evaluation data as immutable versions: validated line by line, with a seeded
          stratified train/validation/test split. Studies train on them.
        </p>
      </div>
      {name !== undefined ? (
        <DatasetDetail name={name} version={version} />
      ) : (
        <>
          {list.state.status === 'loading' && !list.state.data && <Loading label="Loading the data sets…" />}
          {list.state.status === 'error' && (
            <ErrorState
              error={list.state.error}
              context="Loading the data sets failed."
              onRetry={list.reload}
            />
          )}
          {list.state.data &&
            (datasets.length === 0 ? (
              <EmptyState title="No data sets yet">
                <p>
                  {canUpload
                    ? 'Upload one below: a JSONL or CSV file with a label column (and a text column for text), or a zip with one folder per class.'
                    : 'Someone with the maintainer or admin role can upload one.'}{' '}
                  From a terminal: <code>kaleido dataset upload reviews.csv --name reviews</code>.
                </p>
              </EmptyState>
            ) : (
              <DatasetTable datasets={datasets} />
            ))}
          <section className="card" aria-labelledby="upload-heading">
            <h2 id="upload-heading">Upload a data set</h2>
            {canUpload ? (
              <UploadPanel onUploaded={list.reload} />
            ) : (
              <DeniedNote id={deniedId} reason={auth.reason('dataset', 'create')} />
            )}
          </section>
        </>
      )}
    </>
  );
}

/** "negative 52% · positive 48%" for the balance of a few classes; the class count for many. */
function balanceText(balance: Record<string, number>, rows: number): string {
  const entries = Object.entries(balance);
  if (entries.length > 4) return `${entries.length} classes`;
  return entries.map(([c, n]) => `${c} ${formatPercent(rows === 0 ? 0 : n / rows)}`).join(' · ');
}

function DatasetTable({ datasets }: { readonly datasets: readonly DatasetSummary[] }) {
  return (
    <section className="card" aria-labelledby="datasets-heading">
      <h2 id="datasets-heading">Data sets</h2>
      <ScrollTable label="Data sets">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">
                Versions
              </th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col">Classes and balance</th>
              <th scope="col" className="num">
                Rejected rows
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.name}>
                <th scope="row">
                  <Link to={pathTo('datasets', d.name)}>{d.name}</Link>
                </th>
                <td className="num">{d.versions}</td>
                <td className="num">{d.rowCount}</td>
                <td>{balanceText(d.classBalance, d.rowCount)}</td>
                <td className="num">{d.rejectedRows}</td>
                <td className="small">{formatDate(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </section>
  );
}

function DatasetDetail({ name, version }: { readonly name: string; readonly version: number | undefined }) {
  const versions = useAsync((signal) => datasetVersions(name, { signal }), [name]);
  const auth = useAuth();
  const list = versions.state.data?.versions ?? [];
  const selected = version === undefined ? list.at(-1) : list.find((v) => v.version === version);
  return (
    <>
      <p>
        <Link to={pathTo('datasets')}>← All data sets</Link>
      </p>
      {versions.state.status === 'loading' && !versions.state.data && <Loading label={`Loading ${name}…`} />}
      {versions.state.status === 'error' && (
        <ErrorState
          error={versions.state.error}
          context={`Loading the data set ${name} failed.`}
          onRetry={versions.reload}
        />
      )}
      {versions.state.data && (
        <div className="split">
          <nav className="card" aria-label={`Versions of ${name}`}>
            <h2>{name}</h2>
            <ul className="plain-list">
              {[...list].reverse().map((v) => (
                <li key={v.version}>
                  <Link
                    to={pathTo('datasets', name, String(v.version))}
                    aria-current={v.version === selected?.version ? 'page' : undefined}
                  >
                    Version {v.version}
                  </Link>{' '}
                  <span className="small muted">
                    {v.rowCount} rows · {formatDate(v.createdAt)}
                  </span>
                </li>
              ))}
            </ul>
            {auth.can('study', 'create') && (
              <p className="small">
                <Link to={`${pathTo('studies', 'new')}?dataset=${encodeURIComponent(name)}`}>
                  Start a study on {name}
                </Link>
              </p>
            )}
          </nav>
          {selected ? (
            <VersionDetail v={selected} />
          ) : (
            <EmptyState title="No such version">
              <p>Pick a version from the list.</p>
            </EmptyState>
          )}
        </div>
      )}
    </>
  );
}

const SPLITS = ['train', 'validation', 'test'] as const;

export function VersionDetail({ v }: { readonly v: DatasetVersion }) {
  const max = Math.max(1, ...Object.values(v.classBalance));
  return (
    <section className="card stack" aria-labelledby="version-heading">
      <h2 id="version-heading">
        {v.name} version {v.version}
      </h2>
      <dl className="props">
        <dt>Format</dt>
        <dd>{v.format}</dd>
        <dt>Rows</dt>
        <dd>{v.rowCount}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(v.sizeBytes)}</dd>
        <dt>Created</dt>
        <dd>{formatDate(v.createdAt)}</dd>
        <dt>SHA-256</dt>
        <dd className="mono small break">{v.sha256}</dd>
        {v.description && (
          <>
            <dt>Description</dt>
            <dd>{v.description}</dd>
          </>
        )}
      </dl>

      <h3>Class balance</h3>
      <ScrollTable label="Class balance">
        <table className="balance">
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" className="num">
                Rows
              </th>
              <th scope="col" className="num">
                Share
              </th>
              <th scope="col">
                <span className="sr-only">Bar</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(v.classBalance).map(([c, n]) => (
              <tr key={c}>
                <th scope="row">{c}</th>
                <td className="num">{n}</td>
                <td className="num">{formatPercent(v.rowCount === 0 ? 0 : n / v.rowCount, 1)}</td>
                <td className="bar-cell">
                  <span className="bar" aria-hidden="true">
                    <span style={{ width: `${(n / max) * 100}%` }} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>

      <h3>Splits</h3>
      <p className="small muted">
        Seed {v.split.spec.seed}, validation {formatPercent(v.split.spec.validationFraction)}, test{' '}
        {formatPercent(v.split.spec.testFraction)}, stratified by class.
      </p>
      <ScrollTable label="Rows per split and class">
        <table>
          <thead>
            <tr>
              <th scope="col">Class</th>
              {SPLITS.map((s) => (
                <th key={s} scope="col" className="num">
                  {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {v.classes.map((c) => (
              <tr key={c}>
                <th scope="row">{c}</th>
                {SPLITS.map((s) => (
                  <td key={s} className="num">
                    {v.split.counts[s]?.[c] ?? 0}
                  </td>
                ))}
              </tr>
            ))}
            <tr>
              <th scope="row">All</th>
              {SPLITS.map((s) => (
                <td key={s} className="num">
                  {Object.values(v.split.counts[s] ?? {}).reduce((a, b) => a + b, 0)}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      </ScrollTable>

      <h3>Schema</h3>
      <ScrollTable label="Schema">
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Type</th>
              <th scope="col">Role</th>
              <th scope="col" className="num">
                Present in rows
              </th>
            </tr>
          </thead>
          <tbody>
            {v.schema.fields.map((f) => (
              <tr key={f.name}>
                <th scope="row" className="mono">
                  {f.name}
                </th>
                <td>
                  {f.type}
                  {f.dimensions !== undefined ? ` [${f.dimensions}]` : ''}
                </td>
                <td>{f.role}</td>
                <td className="num">{f.present}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>

      <h3>Rejected rows</h3>
      {v.rejectedRows.length === 0 ? (
        <p>None: every row of the upload was accepted.</p>
      ) : (
        <IssueTable issues={v.rejectedRows} label="Rejected rows" />
      )}
    </section>
  );
}

function IssueTable({ issues, label }: { readonly issues: readonly RowIssue[]; readonly label: string }) {
  return (
    <ScrollTable label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Where</th>
            <th scope="col">Field</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {issues.map((i, n) => (
            <tr key={n}>
              <th scope="row">{i.line !== undefined ? `line ${i.line}` : (i.path ?? '—')}</th>
              <td className="mono">{i.field ?? '—'}</td>
              <td>{i.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

const UPLOAD_FIELDS = [
  'file',
  'name',
  'labelField',
  'textField',
  'badRows',
  'splitSeed',
  'validationFraction',
  'testFraction',
  'description',
];
const UPLOAD_LABELS: Record<string, string> = {
  file: 'File',
  name: 'Name',
  labelField: 'Label column',
  textField: 'Text column',
  badRows: 'Bad rows',
  splitSeed: 'Split seed',
  validationFraction: 'Validation fraction',
  testFraction: 'Test fraction',
  description: 'Description',
};

type UploadState =
  | { readonly status: 'idle' }
  | { readonly status: 'uploading'; readonly loaded: number; readonly total: number }
  | { readonly status: 'processing' }
  | { readonly status: 'error'; readonly error: unknown }
  | { readonly status: 'done'; readonly version: DatasetVersion; readonly created: boolean };

function UploadPanel({ onUploaded }: { readonly onUploaded: () => void }) {
  const [file, setFile] = useState<File | undefined>();
  const [form, setForm] = useState<UploadForm>(UPLOAD_DEFAULTS);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [state, setState] = useState<UploadState>({ status: 'idle' });
  const [over, setOver] = useState(false);
  // The name follows the chosen file until the person types one.
  const [nameTyped, setNameTyped] = useState(false);
  const handle = useRef<UploadHandle | undefined>(undefined);
  const fileId = useId();
  const fileHint = useId();
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => () => handle.current?.abort(), []);

  const set = <K extends keyof UploadForm>(key: K, value: UploadForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const take = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    setErrors((e) => {
      const { file: _drop, ...restErrors } = e;
      return restErrors;
    });
    if (!nameTyped) setForm((current) => ({ ...current, name: nameFromFile(f.name) }));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    take(e.dataTransfer.files[0]);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const checked = checkUpload(form, file);
    setErrors(checked.errors);
    if (!checked.options || !file) {
      queueMicrotask(() => summaryRef.current?.querySelector<HTMLElement>('[role="alert"]')?.focus());
      return;
    }
    setState({ status: 'uploading', loaded: 0, total: file.size });
    const h = uploadDataset(file, checked.options, (loaded, total) =>
      setState(loaded >= total ? { status: 'processing' } : { status: 'uploading', loaded, total }),
    );
    handle.current = h;
    try {
      const { version, created } = await h.done;
      setState({ status: 'done', version, created });
      onUploaded();
    } catch (error) {
      const problem = fieldProblem(error, UPLOAD_FIELDS);
      if (problem) setErrors({ [problem.field]: problem.message });
      setState({ status: 'error', error });
    } finally {
      handle.current = undefined;
    }
  };

  const busy = state.status === 'uploading' || state.status === 'processing';
  const bad = state.status === 'error' ? rejectedRows(state.error) : undefined;
  const fieldError = state.status === 'error' ? fieldProblem(state.error, UPLOAD_FIELDS) : undefined;

  return (
    <form onSubmit={submit} noValidate aria-describedby={fileHint}>
      <div ref={summaryRef}>
        <ErrorSummary errors={state.status === 'error' ? {} : errors} labels={UPLOAD_LABELS} />
      </div>
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <label htmlFor={fileId}>Data file</label>
        <p id={fileHint} className="small muted">
          Drop a file here or choose one: JSONL or CSV/TSV with a header (a label column, plus a text column
          for text data), or a zip with one folder per class.
        </p>
        <input
          id={fileId}
          type="file"
          accept=".jsonl,.ndjson,.csv,.tsv,.zip,application/x-ndjson,text/csv,text/tab-separated-values,application/zip"
          aria-invalid={errors['file'] ? true : undefined}
          aria-describedby={errors['file'] ? `${fileId}-error` : undefined}
          onChange={(e) => take(e.target.files?.[0])}
        />
        {file && (
          <p className="small">
            {file.name} · {formatBytes(file.size)}
          </p>
        )}
        {errors['file'] && (
          <p id={`${fileId}-error`} className="field-error">
            {errors['file']}
          </p>
        )}
      </div>
      <div className="form-grid">
        <Field
          label="Name"
          hint="Letters, digits, “_”, “.” or “-”. Uploading to an existing name adds a version."
          {...(errors['name'] ? { error: errors['name'] } : {})}
        >
          <input
            value={form.name}
            onChange={(e) => {
              setNameTyped(e.target.value !== '');
              set('name', e.target.value);
            }}
            autoComplete="off"
            required
          />
        </Field>
        <Field
          label="Label column"
          hint="Default: label, class or y."
          {...(errors['labelField'] ? { error: errors['labelField'] } : {})}
        >
          <input
            value={form.labelField}
            onChange={(e) => set('labelField', e.target.value)}
            autoComplete="off"
          />
        </Field>
        <Field
          label="Text column"
          hint="Default: text, when present."
          {...(errors['textField'] ? { error: errors['textField'] } : {})}
        >
          <input
            value={form.textField}
            onChange={(e) => set('textField', e.target.value)}
            autoComplete="off"
          />
        </Field>
        <Field
          label="Bad rows"
          hint="Reject: any bad row fails the upload, listed by line."
          {...(errors['badRows'] ? { error: errors['badRows'] } : {})}
        >
          <select
            value={form.badRows}
            onChange={(e) => set('badRows', e.target.value as UploadForm['badRows'])}
          >
            <option value="reject">Reject the upload</option>
            <option value="skip">Skip and report them</option>
          </select>
        </Field>
        <Field label="Split seed" {...(errors['splitSeed'] ? { error: errors['splitSeed'] } : {})}>
          <input
            inputMode="numeric"
            value={form.splitSeed}
            onChange={(e) => set('splitSeed', e.target.value)}
          />
        </Field>
        <Field
          label="Validation fraction"
          hint="e.g. 0.1"
          {...(errors['validationFraction'] ? { error: errors['validationFraction'] } : {})}
        >
          <input
            inputMode="decimal"
            value={form.validationFraction}
            onChange={(e) => set('validationFraction', e.target.value)}
          />
        </Field>
        <Field
          label="Test fraction"
          hint="e.g. 0.1"
          {...(errors['testFraction'] ? { error: errors['testFraction'] } : {})}
        >
          <input
            inputMode="decimal"
            value={form.testFraction}
            onChange={(e) => set('testFraction', e.target.value)}
          />
        </Field>
        <Field label="Description" hint="Optional.">
          <input value={form.description} onChange={(e) => set('description', e.target.value)} />
        </Field>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          Upload
        </button>
        {busy && (
          <button type="button" onClick={() => handle.current?.abort()}>
            Cancel
          </button>
        )}
      </div>
      <div role="status" aria-live="polite" className="small upload-status">
        {state.status === 'uploading' && (
          <>
            <label htmlFor={`${fileId}-progress`}>
              Uploading {formatBytes(state.loaded)} of {formatBytes(state.total)}
            </label>{' '}
            <progress id={`${fileId}-progress`} max={state.total} value={state.loaded} />
          </>
        )}
        {state.status === 'processing' && (
          <>
            <span className="spinner" aria-hidden="true" /> Uploaded; the server is validating and splitting
            the rows…
          </>
        )}
        {state.status === 'done' && (
          <>
            {state.created ? 'Uploaded' : 'Identical to an existing version:'} {state.version.name} version{' '}
            {state.version.version} ({state.version.rowCount} rows, {state.version.rejectedRows.length}{' '}
            rejected).{' '}
            <Link to={pathTo('datasets', state.version.name, String(state.version.version))}>Open it</Link>
          </>
        )}
      </div>
      {state.status === 'error' && (
        <>
          {fieldError ? (
            <div className="state error" role="alert">
              <p className="title">The server refused the upload.</p>
              <p>
                {UPLOAD_LABELS[fieldError.field] ?? fieldError.field}: {fieldError.message}
              </p>
            </div>
          ) : (
            <ErrorState error={state.error} context="The upload failed." />
          )}
          {bad && bad.issues.length > 0 && (
            <div className="stack">
              <p>
                {bad.count} row{bad.count === 1 ? '' : 's'} could not be read
                {bad.issues.length < bad.count ? ` (the first ${bad.issues.length} are listed)` : ''}. Fix
                them in the file, or choose “Skip and report them” under Bad rows to leave them out.
              </p>
              <IssueTable issues={bad.issues} label="Rows the server refused" />
              {form.badRows === 'reject' && (
                <button
                  type="button"
                  onClick={() => {
                    set('badRows', 'skip');
                  }}
                >
                  Skip bad rows
                </button>
              )}
            </div>
          )}
        </>
      )}
    </form>
  );
}
