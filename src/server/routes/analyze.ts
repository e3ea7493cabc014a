/**
 * POST /v1/analyze and its companions (GET /v1/pipelines, /v1/analyzers, /v1/openapi.json).
 *
 * Three body forms, told apart by Content-Type:
 * - `application/json`: `{ text, tasks?, pipeline? }`;
 * - `multipart/form-data`: every part is analysed (file parts by their bytes, other fields as
 *   text; fields named `tasks` / `pipeline` are options) and the answer is `{ parts: [...] }`;
 * - anything else: the raw body, whose modality the magic bytes decide; the header must agree
 *   (analysis/content.ts).
 * The route only decodes HTTP; detection, pipelines and the verdict are the AnalysisService's.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AnalysisService } from '../../analysis/service.js';
import type { AnalysisContent, AnalysisResponse, AnalyzeRequest } from '../../analysis/types.js';
import { parseMediaType } from '../../analysis/content.js';
import { KaleidoError } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/index.js';
import { ANALYZE_OPENAPI } from './analyze-openapi.js';
// `classifiers`: the caller's registered heads on the same content (analysis/classifiers.ts).
import {
  parseClassifiers,
  resolveClassifiers,
  runClassifiers,
  withClassifiers,
} from '../../analysis/classifiers.js';
import type { ClassifyService } from '../../lifecycle/classify.js';
import { classifyTenant } from './classify.js';

export interface AnalyzeRouteOptions {
  readonly maxJsonDepth: number;
  /** Most parts in one multipart request (default 16). */
  readonly maxParts?: number;
}

export interface AnalyzeRouteDeps {
  readonly analysis: AnalysisService;
  readonly options: AnalyzeRouteOptions;
  /** Registered classifier heads for the `classifiers` option; absent: the option is refused (503). */
  readonly classify?: ClassifyService;
}

const DEFAULT_MAX_PARTS = 16;
const OPTION_FIELDS = new Set(['tasks', 'pipeline', 'options', 'classifiers']);
const JSON_KEYS = ['text', 'tasks', 'pipeline', 'options', 'classifiers'];
/** Largest `options` value (JSON text in a query or form field). */
const MAX_OPTIONS_CHARS = 65_536;

type RequestOptions = {
  tasks?: string[];
  pipeline?: string;
  options?: Record<string, unknown>;
  classifiers?: string[];
};

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

const bodyBytes = (request: FastifyRequest): Uint8Array =>
  request.body instanceof Uint8Array
    ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
    : new Uint8Array(0);

const invalid = (field: string, message: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details: { field, ...extra } });

/** `tasks` as a comma-separated string or a list of strings → trimmed, non-empty names. */
function parseTasks(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const v of list) {
    if (typeof v !== 'string') throw invalid(field, `${field} must be a string or a list of strings`);
    out.push(...v.split(',').map((t) => t.trim()));
  }
  const tasks = out.filter((t) => t !== '');
  if (tasks.length === 0) throw invalid(field, `${field} must name at least one task`);
  if (tasks.length > 64) throw invalid(field, `${field} names more than 64 tasks`);
  return tasks;
}

function parsePipeline(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(field, `${field} must be a pipeline name`);
  return value.trim();
}

/**
 * Per-step analyzer options: an object keyed by step id (e.g. `{"commands": {"words": [...]}}`),
 * given as JSON text in a query parameter or form field, or as an object in a JSON body. Each
 * analyzer validates its own entry.
 */
function parseStepOptions(value: unknown, field: string, maxDepth: number): Record<string, unknown> {
  let v = value;
  if (typeof v === 'string') {
    if (v.length > MAX_OPTIONS_CHARS)
      throw invalid(field, `${field} is over ${MAX_OPTIONS_CHARS} characters`);
    try {
      v = parseJsonLimited(new TextEncoder().encode(v), { maxDepth });
    } catch (e) {
      throw invalid(field, `${field} must be a JSON object: ${(e as Error).message}`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid(field, `${field} must be an object keyed by step id`);
  }
  return v as Record<string, unknown>;
}

/** Options from the query string; body/form options may add to them but never contradict them. */
function queryOptions(request: FastifyRequest, maxDepth: number): RequestOptions {
  const q = (request.query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (!OPTION_FIELDS.has(key)) {
      throw invalid(`query.${key}`, `unknown query parameter ${key}`, { allowed: [...OPTION_FIELDS] });
    }
  }
  return {
    ...(q['tasks'] === undefined ? {} : { tasks: parseTasks(q['tasks'], 'tasks') }),
    ...(q['pipeline'] === undefined ? {} : { pipeline: parsePipeline(q['pipeline'], 'pipeline') }),
    ...(q['options'] === undefined ? {} : { options: parseStepOptions(q['options'], 'options', maxDepth) }),
    ...(q['classifiers'] === undefined ? {} : { classifiers: parseClassifiers(q['classifiers']) }),
  };
}

function merge(query: RequestOptions, body: RequestOptions): RequestOptions {
  for (const key of ['tasks', 'pipeline', 'options', 'classifiers'] as const) {
    if (query[key] !== undefined && body[key] !== undefined) {
      throw invalid(key, `${key} is given both in the query and in the body`);
    }
  }
  return { ...query, ...body };
}

function jsonContent(
  request: FastifyRequest,
  maxDepth: number,
): RequestOptions & { content: AnalysisContent } {
  const bytes = bodyBytes(request);
  if (bytes.length === 0) throw invalid('body', 'the body is empty', { bytes: 0 });
  const parsed = parseJsonLimited(bytes, { maxDepth });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('(body)', 'the body must be a JSON object {"text": "..."}');
  }
  const body = parsed as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!JSON_KEYS.includes(key)) throw invalid(key, `unknown field ${key}`, { allowed: JSON_KEYS });
  }
  if (typeof body['text'] !== 'string') {
    throw invalid('text', body['text'] === undefined ? 'text is required' : 'text must be a string');
  }
  return {
    content: { kind: 'text', text: body['text'] },
    ...(body['tasks'] === undefined ? {} : { tasks: parseTasks(body['tasks'], 'tasks') }),
    ...(body['pipeline'] === undefined ? {} : { pipeline: parsePipeline(body['pipeline'], 'pipeline') }),
    ...(body['options'] === undefined
      ? {}
      : { options: parseStepOptions(body['options'], 'options', maxDepth) }),
    ...(body['classifiers'] === undefined ? {} : { classifiers: parseClassifiers(body['classifiers']) }),
  };
}

interface Part {
  readonly name: string;
  readonly filename?: string;
  readonly content: AnalysisContent;
}

/** Maps the multipart plugin's and busboy's errors into the catalog. */
function multipartError(e: unknown, limits: { maxBytes: number; maxParts: number }): KaleidoError {
  if (e instanceof KaleidoError) return e;
  const err = e as { code?: string; statusCode?: number; message?: string };
  if (err.statusCode === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_PARTS_LIMIT') {
    return new KaleidoError('ERR_PAYLOAD_TOO_LARGE', 'a part, or the number of parts, is over the limit', {
      details: { maxBytes: limits.maxBytes, maxParts: limits.maxParts },
      cause: e,
    });
  }
  return new KaleidoError('ERR_BAD_REQUEST', `malformed multipart body: ${err.message ?? 'unreadable'}`, {
    details: { field: 'body' },
    cause: e,
  });
}

async function multipartParts(
  request: FastifyRequest,
  limits: { maxBytes: number; maxParts: number; maxDepth: number },
): Promise<RequestOptions & { parts: Part[] }> {
  const parts: Part[] = [];
  let tasks: string[] | undefined;
  let pipeline: string | undefined;
  let options: Record<string, unknown> | undefined;
  let classifiers: string[] | undefined;
  let total = 0;
  try {
    for await (const part of request.parts({
      limits: {
        fileSize: limits.maxBytes,
        fieldSize: limits.maxBytes,
        files: limits.maxParts,
        fields: limits.maxParts + OPTION_FIELDS.size,
        parts: limits.maxParts + OPTION_FIELDS.size,
        headerPairs: 64,
      },
    })) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        total += bytes.length;
        if (total > limits.maxBytes) {
          throw new KaleidoError('ERR_PAYLOAD_TOO_LARGE', 'the parts together are over the body limit', {
            details: { maxBytes: limits.maxBytes },
          });
        }
        parts.push({
          name: part.fieldname,
          ...(part.filename === '' ? {} : { filename: part.filename }),
          content: {
            kind: 'bytes',
            bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
            ...(part.mimetype === '' ? {} : { declaredType: part.mimetype }),
          },
        });
        continue;
      }
      if (part.valueTruncated) {
        throw new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `form field ${part.fieldname} is over the limit`, {
          details: { field: part.fieldname, maxBytes: limits.maxBytes },
        });
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value);
      if (part.fieldname === 'tasks') tasks = parseTasks(value, 'tasks');
      else if (part.fieldname === 'pipeline') pipeline = parsePipeline(value, 'pipeline');
      else if (part.fieldname === 'options') options = parseStepOptions(value, 'options', limits.maxDepth);
      else if (part.fieldname === 'classifiers') classifiers = parseClassifiers(value);
      else {
        total += value.length;
        parts.push({ name: part.fieldname, content: { kind: 'text', text: value } });
      }
    }
  } catch (e) {
    throw multipartError(e, limits);
  }
  if (parts.length === 0) throw invalid('body', 'the multipart body has no part to analyse');
  return {
    parts,
    ...(tasks === undefined ? {} : { tasks }),
    ...(pipeline === undefined ? {} : { pipeline }),
    ...(options === undefined ? {} : { options }),
    ...(classifiers === undefined ? {} : { classifiers }),
  };
}

/** Names the failing part in a KaleidoError's details, so a client knows which one to fix. */
function inPart(e: unknown, part: Part, index: number): unknown {
  if (!(e instanceof KaleidoError) || e.status === 'INTERNAL') return e;
  return new KaleidoError(e.code, `part ${part.name}: ${e.message}`, {
    details: {
      ...e.details,
      part: part.name,
      partIndex: index,
      ...(part.filename ? { filename: part.filename } : {}),
    },
    cause: e,
    ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }),
  });
}

export async function registerAnalyzeRoutes(app: FastifyInstance, deps: AnalyzeRouteDeps): Promise<void> {
  const { analysis } = deps;
  const maxBytes = Math.max(1, analysis.maxBodyBytes());
  const maxParts = deps.options.maxParts ?? DEFAULT_MAX_PARTS;
  const maxDepth = deps.options.maxJsonDepth;

  // The multipart parser is registered only in this scope: every other route keeps reading its
  // body as bytes through the app's catch-all parser.
  await app.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: true });

    scope.post('/v1/analyze', { bodyLimit: maxBytes }, async (request, reply) => {
      const signal = request.kaleidoAbort?.signal;
      const query = queryOptions(request, maxDepth);
      const type = parseMediaType(request.headers['content-type']);
      const analyze = (content: AnalysisContent, { classifiers: _c, ...options }: RequestOptions) =>
        analysis.analyze(content, {
          ...options,
          ...(signal === undefined ? {} : { signal }),
          // The caller's tenant picks its moderation policies; anonymous (open-inference) and
          // auth-disabled requests get the service's default tenant.
          ...(request.principal == null ? {} : { tenant: request.principal.tenantId }),
        } satisfies AnalyzeRequest);
      // Registered heads named by `classifiers`, resolved once per request (404/409 before any work).
      let heads: Promise<Awaited<ReturnType<typeof resolveClassifiers>>> | undefined;
      const run = async (content: AnalysisContent, options: RequestOptions): Promise<AnalysisResponse> => {
        if (options.classifiers === undefined) return analyze(content, options);
        const classify = deps.classify;
        if (classify === undefined) {
          throw new KaleidoError('ERR_UNAVAILABLE', 'classifiers are not available on this server', {
            details: { field: 'classifiers' },
          });
        }
        heads ??= resolveClassifiers(classify, classifyTenant(request), options.classifiers);
        const resolved = await heads;
        const [response, outcome] = await Promise.all([
          analyze(content, options),
          runClassifiers(classify, resolved, content, signal),
        ]);
        return withClassifiers(response, outcome);
      };

      if (type?.essence === 'multipart/form-data') {
        const started = Date.now();
        const form = await multipartParts(request, { maxBytes, maxParts, maxDepth });
        const options = merge(query, {
          ...(form.tasks === undefined ? {} : { tasks: form.tasks }),
          ...(form.pipeline === undefined ? {} : { pipeline: form.pipeline }),
          ...(form.options === undefined ? {} : { options: form.options }),
          ...(form.classifiers === undefined ? {} : { classifiers: form.classifiers }),
        });
        const answers: Array<AnalysisResponse & { part: string; filename?: string }> = [];
        // One part after another: each part's analysers already run concurrently, and a request
        // of many large parts must not multiply its memory by running all of them at once.
        for (const [i, part] of form.parts.entries()) {
          try {
            const r = await run(part.content, options);
            answers.push({ part: part.name, ...(part.filename ? { filename: part.filename } : {}), ...r });
          } catch (e) {
            throw inPart(e, part, i);
          }
        }
        return json(reply, 200, { durationMs: Date.now() - started, parts: answers });
      }

      if (type !== undefined && (type.essence === 'application/json' || type.subtype.endsWith('+json'))) {
        const body = jsonContent(request, maxDepth);
        const options = merge(query, {
          ...(body.tasks === undefined ? {} : { tasks: body.tasks }),
          ...(body.pipeline === undefined ? {} : { pipeline: body.pipeline }),
          ...(body.options === undefined ? {} : { options: body.options }),
          ...(body.classifiers === undefined ? {} : { classifiers: body.classifiers }),
        });
        return json(reply, 200, await run(body.content, options));
      }

      const header = request.headers['content-type'];
      return json(
        reply,
        200,
        await run(
          {
            kind: 'bytes',
            bytes: bodyBytes(request),
            ...(header === undefined ? {} : { declaredType: header }),
          },
          query,
        ),
      );
    });
  });

  app.get('/v1/pipelines', async (_request, reply) => json(reply, 200, { pipelines: analysis.pipelines() }));

  app.get('/v1/analyzers', async (_request, reply) =>
    json(reply, 200, { modalities: analysis.modalities(), analyzers: analysis.analyzers() }),
  );

  app.get('/v1/openapi.json', async (_request, reply) => json(reply, 200, ANALYZE_OPENAPI));
}
