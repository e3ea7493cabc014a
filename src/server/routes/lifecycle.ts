/**
 * The model lifecycle over REST (Kaleido's /v1 API, camelCase JSON; errors in the admin shape
 * `{"error": {code, message, details, requestId}}` through the app's one error handler):
 *
 *   POST /v1/datasets                              upload a data set version: multipart/form-data
 *                                                  (a `file` part + option fields) or the raw file
 *                                                  (JSONL, CSV/TSV or a zip of one folder per class)
 *                                                  with the options in the query string
 *   GET  /v1/datasets                              data sets with their latest version
 *   GET  /v1/datasets/{name}                       every version of one data set
 *   GET  /v1/datasets/{name}/versions/{version}    one version ("latest" allowed): schema, class
 *                                                  balance, split counts, rejected rows
 *   POST /v1/training-jobs                         train a head on a data set version (media
 *                                                  featurisers: `featurizing` first, in the background)
 *   GET  /v1/training-jobs[?state=a,b]             jobs, oldest first
 *   GET  /v1/training-jobs/{id}                    one job with its per-epoch history
 *   POST /v1/training-jobs/{id}/cancel             cancel a queued or running job
 *   GET  /v1/training-jobs/{id}/events             Server-Sent Events: `snapshot`, then job events
 *   POST /v1/studies                               create and start a hyperparameter study (201 at
 *                                                  once; media features are computed in the
 *                                                  background: state `featurizing`, `featurization`)
 *   GET  /v1/studies[?state=a,b]                   studies (without their trials)
 *   GET  /v1/studies/{id|name}                     one study: trials, best trial, importance, result
 *   POST /v1/studies/{id|name}/stop                ask no more trials; finish with the best so far
 *   GET  /v1/studies/{id|name}/events              Server-Sent Events: `snapshot`, then study events
 *
 * Routes only decode HTTP and call the services (DatasetStore, TrainingJobs, StudyRunner).
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/json-limits.js';
import type {
  DatasetSource,
  DatasetStore,
  DatasetVersion,
  RegisterDatasetRequest,
} from '../../core/ports/dataset-store.js';
import { StudyState, isFinishedStudyState } from '../../core/ports/study-store.js';
import {
  isFinishedJobState,
  TrainingJobState,
  type TrainingJobRecord,
} from '../../core/ports/training-jobs.js';
import { readZip } from '../../lifecycle/datasets/zip.js';
import type { StudyEvent, StudyRunner, StudyView } from '../../lifecycle/studies/study-runner.js';
import type { MediaFeatures } from '../../lifecycle/datasets/media-features.js';
import { parseDatasetJobRequest, submitDatasetJob } from '../../lifecycle/studies/training-set.js';
import type { TrainingJobEvent, TrainingJobs } from '../../lifecycle/training/training-jobs.js';
import { requestTenant } from '../request-tenant.js';

/** The lifecycle services the routes call. */
export interface LifecycleApi {
  readonly datasets: DatasetStore;
  readonly jobs: TrainingJobs;
  readonly studies: StudyRunner;
  /** Image/audio featurisers; without them media featurizers answer 503 (ERR_UNAVAILABLE). */
  readonly media?: MediaFeatures;
}

export interface LifecycleRouteDeps extends LifecycleApi {
  /** Largest data set upload (after decompression). */
  readonly maxUploadBytes: number;
  readonly maxJsonDepth: number;
  /** Interval of SSE keep-alive comments (default 15 s; proxies drop silent streams). */
  readonly heartbeatMs?: number;
}

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

const invalid = (field: string, message: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details: { field, ...extra } });

const bodyBytes = (request: FastifyRequest): Uint8Array =>
  request.body instanceof Uint8Array
    ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
    : new Uint8Array(0);

function jsonBody(request: FastifyRequest, maxDepth: number): unknown {
  const type = mediaType(request.headers['content-type']);
  if (type !== 'application/json' && !type?.endsWith('+json')) {
    throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', {
      details: { contentType: request.headers['content-type'] ?? null },
    });
  }
  const bytes = bodyBytes(request);
  if (bytes.length === 0) throw invalid('body', 'the body is empty');
  return parseJsonLimited(bytes, { maxDepth });
}

/** The lowercase `type/subtype` of a Content-Type header. */
function mediaType(header: string | undefined): string | undefined {
  const essence = header?.split(';')[0]?.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

// ---- data sets ----------------------------------------------------------------------------------

type UploadFormat = 'jsonl' | 'csv' | 'tsv' | 'zip';

const FORMAT_BY_TYPE: Record<string, UploadFormat> = {
  'application/x-ndjson': 'jsonl',
  'application/ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'text/jsonl': 'jsonl',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
};

const FORMAT_BY_EXTENSION: Record<string, UploadFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  csv: 'csv',
  tsv: 'tsv',
  zip: 'zip',
};

const UPLOAD_OPTIONS = [
  'name',
  'format',
  'labelField',
  'textField',
  'fileField',
  'featureFields',
  'sensitiveAttributes',
  'badRows',
  'splitSeed',
  'validationFraction',
  'testFraction',
  'description',
  'delimiter',
] as const;

/** Picks the format: an explicit option, else the media type, else the file name's extension. */
function uploadFormat(
  explicit: string | undefined,
  type: string | undefined,
  filename?: string,
): UploadFormat {
  if (explicit !== undefined) {
    if (!['jsonl', 'csv', 'tsv', 'zip'].includes(explicit)) {
      throw invalid('format', "format must be 'jsonl', 'csv', 'tsv' or 'zip'", { value: explicit });
    }
    return explicit as UploadFormat;
  }
  const byType = type === undefined ? undefined : FORMAT_BY_TYPE[type];
  if (byType !== undefined) return byType;
  const ext = filename?.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  const byExtension = ext === undefined ? undefined : FORMAT_BY_EXTENSION[ext];
  if (byExtension !== undefined) return byExtension;
  throw new KaleidoError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    'cannot tell the data set format: send application/x-ndjson, text/csv, text/tab-separated-values or application/zip, name the file *.jsonl|*.csv|*.tsv|*.zip, or pass format=',
    { details: { contentType: type ?? null, filename: filename ?? null } },
  );
}

function fraction(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x))
    throw invalid(field, `${field} must be a number`, { value });
  return x;
}

/** Options (from the query string or form fields) → the store's registration request. */
function registration(
  options: Readonly<Record<string, string>>,
  content: Uint8Array,
  type: string | undefined,
  filename?: string,
): RegisterDatasetRequest {
  const name = options['name'];
  if (name === undefined || name === '') throw invalid('name', 'the data set name is required (name=)');
  const format = uploadFormat(options['format'], type, filename);
  const badRows = options['badRows'];
  if (badRows !== undefined && badRows !== 'reject' && badRows !== 'skip') {
    throw invalid('badRows', "badRows must be 'reject' or 'skip'", { value: badRows });
  }
  let source: DatasetSource;
  if (format === 'jsonl') source = { format: 'jsonl', content };
  else if (format === 'zip') source = { format: 'files', files: readZip(content) };
  else {
    const delimiter = options['delimiter'] ?? (format === 'tsv' ? '\t' : undefined);
    source = { format: 'csv', content, ...(delimiter === undefined ? {} : { delimiter }) };
  }
  const seed = fraction('splitSeed', options['splitSeed']);
  const validationFraction = fraction('validationFraction', options['validationFraction']);
  const testFraction = fraction('testFraction', options['testFraction']);
  const split = {
    ...(seed === undefined ? {} : { seed }),
    ...(validationFraction === undefined ? {} : { validationFraction }),
    ...(testFraction === undefined ? {} : { testFraction }),
  };
  const featureFields = options['featureFields']
    ?.split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const sensitiveAttributes = options['sensitiveAttributes']
    ?.split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  return {
    name,
    source,
    ...(options['labelField'] === undefined ? {} : { labelField: options['labelField'] }),
    ...(options['textField'] === undefined ? {} : { textField: options['textField'] }),
    ...(options['fileField'] === undefined ? {} : { fileField: options['fileField'] }),
    ...(featureFields === undefined ? {} : { featureFields }),
    ...(sensitiveAttributes === undefined ? {} : { sensitiveAttributes }),
    ...(badRows === undefined ? {} : { badRows }),
    ...(Object.keys(split).length === 0 ? {} : { split }),
    ...(options['description'] === undefined ? {} : { description: options['description'] }),
  };
}

function stringOptions(source: Record<string, unknown>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (!(UPLOAD_OPTIONS as readonly string[]).includes(k)) {
      throw invalid(`${where}.${k}`, `unknown ${where === 'query' ? 'query parameter' : 'form field'} ${k}`, {
        allowed: [...UPLOAD_OPTIONS],
      });
    }
    if (typeof v !== 'string') throw invalid(`${where}.${k}`, `${k} must be given once, as text`);
    out[k] = v;
  }
  return out;
}

async function multipartUpload(
  request: FastifyRequest,
  maxBytes: number,
): Promise<{ options: Record<string, string>; content: Uint8Array; type?: string; filename?: string }> {
  const fields: Record<string, unknown> = {};
  let file: { content: Uint8Array; type?: string; filename?: string } | undefined;
  try {
    for await (const part of request.parts({
      limits: {
        fileSize: maxBytes,
        fieldSize: 64 * 1024,
        files: 1,
        fields: UPLOAD_OPTIONS.length,
        headerPairs: 64,
      },
    })) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        file = {
          content: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          ...(part.mimetype === '' || part.mimetype === 'application/octet-stream'
            ? {}
            : { type: mediaType(part.mimetype) as string }),
          ...(part.filename === '' ? {} : { filename: part.filename }),
        };
        continue;
      }
      if (part.valueTruncated) throw invalid(part.fieldname, `form field ${part.fieldname} is too long`);
      // A repeated field is ambiguous: kept as a list, which stringOptions refuses.
      const previous = fields[part.fieldname];
      fields[part.fieldname] = previous === undefined ? String(part.value) : [previous, part.value];
    }
  } catch (e) {
    if (e instanceof KaleidoError) throw e;
    const err = e as { code?: string; statusCode?: number; message?: string };
    if (err.statusCode === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code?.endsWith('_LIMIT')) {
      throw new KaleidoError(
        'ERR_PAYLOAD_TOO_LARGE',
        'the upload (or the number of parts) is over the limit',
        {
          details: { maxBytes },
          cause: e,
        },
      );
    }
    throw new KaleidoError('ERR_BAD_REQUEST', `malformed multipart body: ${err.message ?? 'unreadable'}`, {
      details: { field: 'body' },
      cause: e,
    });
  }
  if (file === undefined) throw invalid('file', 'the form has no file part');
  return { options: stringOptions(fields, 'form'), ...file };
}

/** Data sets grouped by name, with their latest version's summary. */
function datasetSummaries(versions: readonly DatasetVersion[]): Array<Record<string, unknown>> {
  const latest = new Map<string, { v: DatasetVersion; count: number }>();
  for (const v of versions) {
    const seen = latest.get(v.name);
    latest.set(v.name, {
      v: seen === undefined || v.version > seen.v.version ? v : seen.v,
      count: (seen?.count ?? 0) + 1,
    });
  }
  return [...latest.values()].map(({ v, count }) => ({
    name: v.name,
    latestVersion: v.version,
    versions: count,
    format: v.format,
    rowCount: v.rowCount,
    classes: v.classes,
    classBalance: v.classBalance,
    rejectedRows: v.rejectedRows.length,
    createdAt: v.createdAt,
  }));
}

function versionParam(raw: string): number | undefined {
  if (raw === 'latest') return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(raw))
    throw invalid('version', 'the version must be a positive integer or "latest"', { value: raw });
  return Number(raw);
}

// ---- training jobs ------------------------------------------------------------------------------

function jobJson(job: TrainingJobRecord): Record<string, unknown> {
  const last = job.history.at(-1);
  return {
    ...job,
    progress: { epoch: last?.epoch ?? 0, maxEpochs: job.spec.config.epochs },
  };
}

function statesParam<T extends string>(raw: unknown, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalid('state', 'state must be given once, comma-separated');
  const states = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of states) {
    if (!(allowed as readonly string[]).includes(s))
      throw invalid('state', `unknown state ${s}`, { allowed: [...allowed] });
  }
  return states as T[];
}

function checkQuery(request: FastifyRequest, allowed: readonly string[]): Record<string, unknown> {
  const q = (request.query ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(q)) {
    if (!allowed.includes(k))
      throw invalid(`query.${k}`, `unknown query parameter ${k}`, { allowed: [...allowed] });
  }
  return q;
}

// ---- Server-Sent Events ------------------------------------------------------------------------

interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

/**
 * Opens an SSE response. The stream subscribes first and takes the snapshot second, so nothing
 * that happens in between is lost: events that arrive before the snapshot is written are queued
 * and sent right after it (one may repeat what the snapshot shows; clients treat events as state
 * updates). `subscribe` returns its unsubscribe function.
 */
async function openEventStream(
  reply: FastifyReply,
  streams: Set<EventStream>,
  heartbeatMs: number,
  subscribe: (stream: EventStream) => () => void,
  snapshot: () => Promise<{ data: unknown; done: boolean }>,
): Promise<void> {
  const raw = reply.raw;
  let started = false;
  let open = true;
  let endRequested = false;
  const queued: Array<[string, unknown]> = [];
  // Keep-alive comments while the stream is open (proxies drop silent connections).
  const timer = setInterval(() => {
    if (started && open) raw.write(': keep-alive\n\n');
  }, heartbeatMs);
  timer.unref();
  const write = (event: string, data: unknown): void => {
    raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const stream: EventStream = {
    send(event, data) {
      if (!open) return;
      if (started) write(event, data);
      else queued.push([event, data]);
    },
    end() {
      if (!open) return;
      if (!started) {
        endRequested = true;
        return;
      }
      open = false;
      clearInterval(timer);
      unsubscribe();
      streams.delete(stream);
      raw.end();
    },
  };
  const unsubscribe = subscribe(stream);
  let first: { data: unknown; done: boolean };
  try {
    first = await snapshot();
  } catch (e) {
    open = false;
    clearInterval(timer);
    unsubscribe();
    throw e;
  }
  reply.hijack();
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  started = true;
  streams.add(stream);
  raw.on('close', () => stream.end());
  write('snapshot', first.data);
  for (const [event, data] of queued.splice(0)) write(event, data);
  if (first.done || endRequested) stream.end();
}

// ---- registration -------------------------------------------------------------------------------

export async function registerLifecycleRoutes(app: FastifyInstance, deps: LifecycleRouteDeps): Promise<void> {
  const { datasets, jobs, studies, media } = deps;
  const maxDepth = deps.maxJsonDepth;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const streams = new Set<EventStream>();
  // Open event streams would keep the server from closing: end them when it starts to.
  app.addHook('preClose', async () => {
    for (const s of [...streams]) s.end();
  });

  await app.register(async (scope) => {
    // Multipart parsing only for the upload route's scope (everything else reads bytes).
    await scope.register(multipart, { throwFileSizeLimit: true });
    scope.post('/v1/datasets', { bodyLimit: deps.maxUploadBytes }, async (request, reply) => {
      const type = mediaType(request.headers['content-type']);
      let req: RegisterDatasetRequest;
      if (type === 'multipart/form-data') {
        checkQuery(request, []);
        const upload = await multipartUpload(request, deps.maxUploadBytes);
        req = registration(upload.options, upload.content, upload.type, upload.filename);
      } else {
        const options = stringOptions(checkQuery(request, UPLOAD_OPTIONS), 'query');
        const content = bodyBytes(request);
        if (content.length === 0) throw invalid('body', 'the upload is empty');
        req = registration(options, content, type);
      }
      const own = datasets.forTenant(requestTenant(request));
      const existing = new Set((await own.list(req.name).catch(() => [])).map((v) => v.version));
      const version = await own.register(req);
      // 201 for a new version; 200 when identical content returned the existing one.
      return json(reply, existing.has(version.version) ? 200 : 201, version);
    });
  });

  app.get('/v1/datasets', async (request, reply) => {
    checkQuery(request, []);
    return json(reply, 200, {
      datasets: datasetSummaries(await datasets.forTenant(requestTenant(request)).list()),
    });
  });

  app.get<{ Params: { name: string } }>('/v1/datasets/:name', async (request, reply) => {
    checkQuery(request, []);
    const versions = await datasets.forTenant(requestTenant(request)).list(request.params.name);
    if (versions.length === 0) {
      throw new KaleidoError('ERR_NOT_FOUND', `no data set ${request.params.name}`, {
        details: { resource: 'dataset', name: request.params.name },
      });
    }
    return json(reply, 200, { name: request.params.name, versions });
  });

  app.get<{ Params: { name: string; version: string } }>(
    '/v1/datasets/:name/versions/:version',
    async (request, reply) => {
      checkQuery(request, []);
      const own = datasets.forTenant(requestTenant(request));
      return json(reply, 200, await own.get(request.params.name, versionParam(request.params.version)));
    },
  );

  // ---- training jobs ----

  app.post('/v1/training-jobs', async (request, reply) => {
    checkQuery(request, []);
    const job = await submitDatasetJob(
      {
        datasets: datasets.forTenant(requestTenant(request)),
        jobs,
        ...(media === undefined ? {} : { media }),
      },
      parseDatasetJobRequest(jsonBody(request, maxDepth)),
    );
    return json(reply.header('location', `/v1/training-jobs/${job.id}`), 201, jobJson(job));
  });

  app.get('/v1/training-jobs', async (request, reply) => {
    const q = checkQuery(request, ['state']);
    const states = statesParam(q['state'], Object.values(TrainingJobState));
    return json(reply, 200, {
      jobs: (
        await jobs.list({ tenantId: requestTenant(request), ...(states === undefined ? {} : { states }) })
      ).map(jobJson),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/training-jobs/:id', async (request, reply) => {
    checkQuery(request, []);
    return json(reply, 200, jobJson(await jobs.get(request.params.id, requestTenant(request))));
  });

  app.post<{ Params: { id: string } }>('/v1/training-jobs/:id/cancel', async (request, reply) => {
    checkQuery(request, []);
    return json(reply, 200, jobJson(await jobs.cancel(request.params.id, requestTenant(request))));
  });

  app.get<{ Params: { id: string } }>('/v1/training-jobs/:id/events', async (request, reply) => {
    checkQuery(request, []);
    const id = request.params.id;
    const tenantId = requestTenant(request);
    // Another tenant's job is not found before the stream opens.
    await jobs.get(id, tenantId);
    await openEventStream(
      reply,
      streams,
      heartbeatMs,
      (stream) =>
        jobs.on((e: TrainingJobEvent) => {
          if (e.jobId !== id) return;
          stream.send(e.type, e);
          if (e.type === 'job-succeeded' || e.type === 'job-failed' || e.type === 'job-cancelled')
            stream.end();
        }),
      async () => {
        const job = await jobs.get(id, tenantId);
        return { data: jobJson(job), done: isFinishedJobState(job.state) };
      },
    );
  });

  // ---- studies ----

  app.post('/v1/studies', async (request, reply) => {
    checkQuery(request, []);
    const view = await studies.create(jsonBody(request, maxDepth), requestTenant(request));
    return json(reply.header('location', `/v1/studies/${view.id}`), 201, view);
  });

  app.get('/v1/studies', async (request, reply) => {
    const q = checkQuery(request, ['state']);
    const states = statesParam(q['state'], Object.values(StudyState));
    const tenantId = requestTenant(request);
    return json(reply, 200, {
      studies: await studies.list({ tenantId, ...(states === undefined ? {} : { states }) }),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/studies/:id', async (request, reply) => {
    checkQuery(request, []);
    return json(reply, 200, await studies.get(request.params.id, requestTenant(request)));
  });

  app.post<{ Params: { id: string } }>('/v1/studies/:id/stop', async (request, reply) => {
    checkQuery(request, []);
    return json(reply, 200, await studies.stop(request.params.id, requestTenant(request)));
  });

  app.get<{ Params: { id: string } }>('/v1/studies/:id/events', async (request, reply) => {
    checkQuery(request, []);
    // The path may be a name: resolve the id first (404 before the stream opens).
    const tenantId = requestTenant(request);
    const studyId = (await studies.get(request.params.id, tenantId)).id;
    await openEventStream(
      reply,
      streams,
      heartbeatMs,
      (stream) =>
        studies.on((e: StudyEvent) => {
          if (e.studyId !== studyId) return;
          stream.send(e.type, e);
          if (e.type === 'study-completed' || e.type === 'study-failed') stream.end();
        }),
      async () => {
        const view: StudyView = await studies.get(studyId, tenantId);
        return { data: view, done: isFinishedStudyState(view.state) };
      },
    );
  });
}
