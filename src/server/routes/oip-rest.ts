/**
 * Open Inference Protocol v2 over REST, with the Triton extensions tools rely on
 * (binary_tensor_data, model_repository, statistics, model_configuration, schedule_policy,
 * classification). Facts: shared/reference/oip-v2.md. JSON on the wire is snake_case.
 */
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import { tenantViews, type TenantAliasResolver } from '../../serving/tenant-view.js';
import { requestTenant } from '../request-tenant.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import {
  assembleBinaryBody,
  decodeInferRequest,
  decodeRawInput,
  encodeInferResponse,
  parseJsonLimited,
  splitBinaryBody,
} from '../../core/oip/index.js';
import type {
  InferenceService,
  InferRequest,
  ModelStatistics,
  StatDuration,
} from '../../core/ports/inference.js';
import type { AppDeps } from '../app.js';

type ModelParams = { model: string; version?: string };

const HEADER_LENGTH = 'inference-header-content-length';

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

/** The body as a plain Uint8Array view (not a Buffer, whose slice() semantics differ). */
const bodyBytes = (request: FastifyRequest): Uint8Array =>
  request.body instanceof Uint8Array
    ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
    : new Uint8Array(0);

const dur = (d: StatDuration) => ({ count: d.count, ns: d.ns });

/** Triton's JSON shape of the statistics extension. */
export function statsToJson(s: ModelStatistics): Record<string, unknown> {
  const i = s.inferenceStats;
  return {
    name: s.name,
    version: s.version,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: dur(i.success),
      fail: dur(i.fail),
      queue: dur(i.queue),
      compute_input: dur(i.computeInput),
      compute_infer: dur(i.computeInfer),
      compute_output: dur(i.computeOutput),
      cache_hit: dur(i.cacheHit),
      cache_miss: dur(i.cacheMiss),
    },
    batch_stats: s.batchStats.map((b) => ({
      batch_size: b.batchSize,
      compute_input: dur(b.computeInput),
      compute_infer: dur(b.computeInfer),
      compute_output: dur(b.computeOutput),
    })),
  };
}

/** Parses an optional small JSON body of a control route (repository index/load/unload). */
function controlBody(request: FastifyRequest, maxDepth: number): Record<string, unknown> {
  const bytes = bodyBytes(request);
  if (bytes.length === 0) return {};
  const parsed = parseJsonLimited(bytes, { maxDepth });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KaleidoError('ERR_VALIDATION', 'the body must be a JSON object', {
      details: { field: '(body)' },
    });
  }
  return parsed as Record<string, unknown>;
}

export async function registerOipRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { service, options } = deps;
  // Model routes see the caller's tenant's view: another tenant's trained models answer exactly
  // like missing ones, and `model@alias` resolves in the caller's own registry.
  const registry = deps.lifecycle?.registry;
  const resolveAlias: TenantAliasResolver | undefined =
    registry === undefined
      ? undefined
      : (t, model, alias) => registry.forTenant(t).resolveVersion(model, alias);
  const viewOf = tenantViews(service, resolveAlias);
  const tenantService = (request: FastifyRequest): InferenceService => {
    // A route the operator opened (no principal although the edge is on) sees platform-wide models.
    const principal = (request as { principal?: unknown }).principal;
    return viewOf(principal === null ? SYSTEM_TENANT : requestTenant(request));
  };

  app.get('/v2/health/live', async (_req, reply) =>
    json(reply, service.isLive() ? 200 : 503, { live: service.isLive() }),
  );
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = service.isReady();
    return json(reply, ready ? 200 : 503, { ready });
  });
  app.get('/v2', async (_req, reply) => json(reply, 200, service.serverMetadata()));

  // KServe's non-standard list of models: every model in the repositories with its state.
  app.get('/v2/models', async (request, reply) => {
    const index = await tenantService(request).repositoryIndex(false);
    return json(reply, 200, { models: [...new Set(index.map((e) => e.name))] });
  });

  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const m = tenantService(request).modelMetadata(request.params.model, request.params.version);
    return json(reply, 200, { ...m, ...(m.properties ? {} : {}) });
  };
  app.get('/v2/models/:model', metadata);
  app.get('/v2/models/:model/versions/:version', metadata);

  const ready = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const r = tenantService(request).modelReady(model, version);
    return json(reply, r ? 200 : 400, { name: model, ...(version ? { version } : {}), ready: r });
  };
  app.get('/v2/models/:model/ready', ready);
  app.get('/v2/models/:model/versions/:version/ready', ready);

  const config = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) =>
    json(reply, 200, tenantService(request).modelConfig(request.params.model, request.params.version));
  app.get('/v2/models/:model/config', config);
  app.get('/v2/models/:model/versions/:version/config', config);

  const stats = async (request: FastifyRequest<{ Params: Partial<ModelParams> }>, reply: FastifyReply) =>
    json(reply, 200, {
      model_stats: tenantService(request)
        .modelStatistics(request.params.model, request.params.version)
        .map(statsToJson),
    });
  app.get('/v2/models/stats', stats);
  app.get('/v2/models/:model/stats', stats);
  app.get('/v2/models/:model/versions/:version/stats', stats);

  const infer = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const { model, version } = request.params;
    const body = bodyBytes(request);
    const rawHeader = request.headers[HEADER_LENGTH];
    let decoded: ReturnType<typeof decodeInferRequest>;
    let rawMode = false;
    if (rawHeader === undefined) {
      if (body.length === 0) throw new KaleidoError('ERR_BAD_REQUEST', 'the request body is empty');
      decoded = decodeInferRequest(parseJsonLimited(body, { maxDepth: options.maxJsonDepth }));
    } else {
      const text = Array.isArray(rawHeader) ? '' : rawHeader.trim();
      if (!/^[0-9]{1,15}$/.test(text)) {
        throw new KaleidoError(
          'ERR_BINARY_HEADER',
          `Inference-Header-Content-Length must be a non-negative integer, got "${String(rawHeader)}"`,
        );
      }
      const headerLength = Number(text);
      if (headerLength === 0) {
        // Raw binary request: the whole body is the single input of a batch-1 request.
        rawMode = true;
        const meta = tenantService(request).modelMetadata(model, version);
        if (meta.inputs.length !== 1) {
          throw new KaleidoError(
            'ERR_BAD_REQUEST',
            `a raw binary request needs a model with exactly one input; "${model}" has ${meta.inputs.length}`,
          );
        }
        // Triton's batch-1 rule: for a batching model the batch dimension is 1, not a variable
        // dimension, so `dims: [-1]` (full shape [-1, -1]) still has one variable dimension.
        const input = meta.inputs[0]!;
        const maxBatchSize = tenantService(request).modelConfig(model, version).max_batch_size;
        const batched = typeof maxBatchSize === 'number' && maxBatchSize > 0 && input.shape.length > 0;
        const shape = batched ? [1, ...input.shape.slice(1)] : input.shape;
        decoded = { parameters: {}, inputs: [decodeRawInput(body, { ...input, shape })] };
      } else {
        const { json: header, binary } = splitBinaryBody(body, headerLength, {
          maxDepth: options.maxJsonDepth,
        });
        decoded = decodeInferRequest(header, binary);
      }
    }
    const req: InferRequest = {
      modelName: model,
      ...(version !== undefined ? { modelVersion: version } : {}),
      ...(decoded.id !== undefined ? { id: decoded.id } : {}),
      parameters: decoded.parameters,
      inputs: decoded.inputs,
      ...(decoded.outputs ? { outputs: decoded.outputs } : {}),
      ...(request.kaleidoAbort ? { signal: request.kaleidoAbort.signal } : {}),
    };
    const response = await tenantService(request).infer(req);
    const perOutput = new Map((decoded.outputs ?? []).map((o) => [o.name, o.parameters?.binary_data]));
    const binaryDefault = rawMode || decoded.binaryDataOutput === true;
    const { json: out, chunks } = encodeInferResponse(response, {
      binaryOutputs: (name) => {
        const b = perOutput.get(name);
        return typeof b === 'boolean' ? b : binaryDefault;
      },
    });
    if (chunks.length === 0) return json(reply, 200, out);
    const { body: bytes, headerLength } = assembleBinaryBody(out, chunks);
    return reply
      .code(200)
      .header(HEADER_LENGTH, String(headerLength))
      .type('application/octet-stream')
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };
  const inferRoute = { bodyLimit: options.maxBodyBytes, config: { inference: true } };
  app.post('/v2/models/:model/infer', inferRoute, infer);
  app.post('/v2/models/:model/versions/:version/infer', inferRoute, infer);

  // model_repository extension
  app.post('/v2/repository/index', async (request, reply) => {
    const body = controlBody(request, options.maxJsonDepth);
    if (body.ready !== undefined && typeof body.ready !== 'boolean') {
      throw new KaleidoError('ERR_VALIDATION', '"ready" must be a boolean', { details: { field: 'ready' } });
    }
    const index = await tenantService(request).repositoryIndex(body.ready === true);
    return json(
      reply,
      200,
      index.map((e) => ({
        name: e.name,
        ...(e.version ? { version: e.version } : {}),
        state: e.state,
        reason: e.reason,
      })),
    );
  });
  app.post<{ Params: { model: string } }>('/v2/repository/models/:model/load', async (request, reply) => {
    const body = controlBody(request, options.maxJsonDepth);
    const params = body.parameters;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      throw new KaleidoError('ERR_VALIDATION', '"parameters" must be an object', {
        details: { field: 'parameters' },
      });
    }
    const p = (params ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(p)) {
      if (key.startsWith('file:')) {
        throw new KaleidoError(
          'ERR_UNIMPLEMENTED',
          'loading model files through the request ("file:" parameters) is not supported; place the files in the repository',
        );
      }
      if (key !== 'config')
        throw new KaleidoError('ERR_VALIDATION', `unknown load parameter "${key}"`, {
          details: { field: `parameters.${key}` },
        });
    }
    if (p.config !== undefined && typeof p.config !== 'string') {
      throw new KaleidoError('ERR_VALIDATION', '"parameters.config" must be a JSON string', {
        details: { field: 'parameters.config' },
      });
    }
    await tenantService(request).loadModel(
      request.params.model,
      p.config !== undefined ? { config: p.config as string } : {},
    );
    return json(reply, 200, {});
  });
  app.post<{ Params: { model: string } }>('/v2/repository/models/:model/unload', async (request, reply) => {
    controlBody(request, options.maxJsonDepth);
    await tenantService(request).unloadModel(request.params.model);
    return json(reply, 200, {});
  });
}
