/**
 * The lifecycle API (src/server/routes/lifecycle.ts, docs/lifecycle.md): data sets and studies.
 * camelCase JSON; errors in the `{"error": {code, message, details, requestId}}` shape.
 */
import { KaleidoApiError, parseErrorBody } from '@kaleido/client';
import { apiBase, requestJson } from './http';
import { csrfHeaders, reportUnauthenticated } from './session';

type Opt = { signal?: AbortSignal };
const sig = (o: Opt) => (o.signal ? { signal: o.signal } : {});

// ---- data sets ---------------------------------------------------------------------------------

export type DatasetFieldRole = 'label' | 'text' | 'file' | 'feature' | 'other';

export interface DatasetField {
  name: string;
  type: string;
  role: DatasetFieldRole;
  present: number;
  dimensions?: number;
}

export interface RowIssue {
  line?: number;
  path?: string;
  field?: string;
  message: string;
}

export type SplitName = 'train' | 'validation' | 'test';

export interface DatasetVersion {
  name: string;
  version: number;
  format: 'jsonl' | 'csv' | 'files';
  sha256: string;
  sizeBytes: number;
  rowCount: number;
  schema: {
    fields: DatasetField[];
    labelField: string;
    textField: string | null;
    fileField: string | null;
    featureFields: string[];
  };
  classes: string[];
  classBalance: Record<string, number>;
  split: {
    spec: { seed: number; validationFraction: number; testFraction: number };
    counts: Record<SplitName, Record<string, number>>;
  };
  rejectedRows: RowIssue[];
  description: string | null;
  createdAt: number;
}

export interface DatasetSummary {
  name: string;
  latestVersion: number;
  versions: number;
  format: string;
  rowCount: number;
  classes: string[];
  classBalance: Record<string, number>;
  rejectedRows: number;
  createdAt: number;
}

export const listDatasets = (o: Opt = {}) =>
  requestJson<{ datasets?: DatasetSummary[] }>('GET', '/v1/datasets', undefined, sig(o));

export const datasetVersions = (name: string, o: Opt = {}) =>
  requestJson<{ versions?: DatasetVersion[] }>(
    'GET',
    `/v1/datasets/${encodeURIComponent(name)}`,
    undefined,
    sig(o),
  );

export const datasetVersion = (name: string, version: number | 'latest', o: Opt = {}) =>
  requestJson<DatasetVersion>(
    'GET',
    `/v1/datasets/${encodeURIComponent(name)}/versions/${version}`,
    undefined,
    sig(o),
  );

/** Options of an upload, sent as form fields next to the file. */
export interface UploadOptions {
  name: string;
  labelField?: string;
  textField?: string;
  badRows?: 'reject' | 'skip';
  splitSeed?: number;
  validationFraction?: number;
  testFraction?: number;
  description?: string;
}

export interface UploadHandle {
  readonly done: Promise<{ version: DatasetVersion; created: boolean }>;
  readonly abort: () => void;
}

/**
 * POST /v1/datasets as multipart/form-data. XMLHttpRequest rather than fetch: only it reports
 * upload progress. The answer and errors take the same shapes as requestJson's.
 */
export function uploadDataset(
  file: File,
  options: UploadOptions,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const form = new FormData();
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && v !== '') form.append(k, String(v));
  }
  form.append('file', file, file.name);
  const xhr = new XMLHttpRequest();
  const url = new URL('/v1/datasets', apiBase()).href;
  const done = new Promise<{ version: DatasetVersion; created: boolean }>((resolve, reject) => {
    const fail = (kind: 'network' | 'aborted') =>
      reject(
        new KaleidoApiError(`POST /v1/datasets ${kind === 'aborted' ? 'was aborted' : 'got no answer'}`, {
          kind,
          status: 0,
          method: 'POST',
          url,
        }),
      );
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => fail('network');
    xhr.onabort = () => fail('aborted');
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status < 200 || xhr.status >= 300) {
        if (xhr.status === 401) reportUnauthenticated();
        const parsed = parseErrorBody(text);
        reject(
          new KaleidoApiError(parsed.message ?? `POST /v1/datasets failed (${xhr.status})`, {
            kind: 'http',
            status: xhr.status,
            method: 'POST',
            url,
            code: parsed.code,
            details: parsed.details,
            requestId: parsed.requestId ?? xhr.getResponseHeader('x-request-id') ?? undefined,
            body: parsed.body,
          }),
        );
        return;
      }
      try {
        resolve({ version: JSON.parse(text) as DatasetVersion, created: xhr.status === 201 });
      } catch (cause) {
        reject(
          new KaleidoApiError('POST /v1/datasets answered with a body that is not JSON', {
            kind: 'protocol',
            status: xhr.status,
            method: 'POST',
            url,
            cause,
          }),
        );
      }
    };
  });
  xhr.open('POST', url);
  xhr.setRequestHeader('accept', 'application/json');
  // The session cookie goes by itself (same origin); the CSRF token must be sent.
  for (const [k, v] of Object.entries(csrfHeaders('POST'))) xhr.setRequestHeader(k, v);
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}

// ---- studies -----------------------------------------------------------------------------------

/** A newer server may report more states (e.g. "featurizing"): pages show them as text. */
export type StudyState = 'featurizing' | 'running' | 'completed' | 'failed' | (string & {});

/** Media data sets: the files featurised so far, before the first trial starts. */
export interface StudyFeaturization {
  featurizer: string;
  done: number;
  total: number;
  startedAt: number;
  finishedAt: number | null;
}
export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL' | 'WAITING';
export type ParamValue = number | string | boolean | null;
export type Metric = 'valLoss' | 'valAccuracy' | 'valMacroF1';

export type Distribution =
  | { type: 'float'; low: number; high: number; log?: boolean; step?: number | null }
  | { type: 'int'; low: number; high: number; log?: boolean; step?: number }
  | { type: 'categorical'; choices: ParamValue[] };

export interface StudySpec {
  name: string;
  direction: 'minimize' | 'maximize';
  metric: Metric;
  sampler: { type: string; seed: number; [k: string]: unknown };
  pruner: { type: string; [k: string]: unknown };
  nTrials: number;
  concurrency: number;
  searchSpace: Record<string, Distribution>;
  dataset: { id: string; version: number };
  featurizer: { type: string; dimensions?: number; bigrams?: boolean };
  training: Record<string, unknown>;
  modelName: string;
  alias: string;
}

/** What POST /v1/studies accepts: the spec with its defaults still open. */
export type StudySpecInput = Omit<
  StudySpec,
  'dataset' | 'featurizer' | 'training' | 'sampler' | 'pruner' | 'concurrency' | 'modelName' | 'alias'
> & {
  dataset: { id: string; version?: number };
  featurizer?: StudySpec['featurizer'];
  training?: Record<string, unknown>;
  sampler?: StudySpec['sampler'];
  pruner?: StudySpec['pruner'];
  concurrency?: number;
  modelName?: string;
  alias?: string;
};

export interface TrialView {
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, ParamValue>;
  /** [step, value] pairs, by step. */
  intermediateValues: Array<[number, number]>;
  jobId: string | null;
  runId: string | null;
  failReason: string | null;
}

export interface StudyView {
  id: string;
  name: string;
  state: StudyState;
  spec: StudySpec;
  stopped: boolean;
  counts: Record<'running' | 'complete' | 'pruned' | 'fail', number>;
  bestTrial: TrialView | null;
  importance: Record<string, number> | null;
  runId: string | null;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  featurization?: StudyFeaturization | null;
  trials?: TrialView[];
}

export const listStudies = (o: Opt = {}) =>
  requestJson<{ studies?: StudyView[] }>('GET', '/v1/studies', undefined, sig(o));

export const getStudy = (idOrName: string, o: Opt = {}) =>
  requestJson<StudyView>('GET', `/v1/studies/${encodeURIComponent(idOrName)}`, undefined, sig(o));

export const createStudy = (spec: StudySpecInput) => requestJson<StudyView>('POST', '/v1/studies', spec);

export const stopStudy = (idOrName: string) =>
  requestJson<StudyView>('POST', `/v1/studies/${encodeURIComponent(idOrName)}/stop`);
