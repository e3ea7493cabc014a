/**
 * MLflow-compatible REST under /api/2.0/mlflow/: experiments, runs, metrics, registered models,
 * model versions and aliases, with MLflow's request and response JSON (snake_case, ids and
 * versions as strings, times in ms), so MLflow clients (`MLFLOW_TRACKING_URI=http://kaleido…`)
 * work for the tracking and registry calls this server implements.
 *
 * GET endpoints read the query string (repeated keys for lists), the others a JSON body; DELETE
 * accepts either, as MLflow's own clients send a body. Errors carry both MLflow's
 * `{"error_code", "message"}` and Kaleido's `{"error": {code, message, details, requestId}}`, in
 * one object; the HTTP status comes from Kaleido's one status table.
 *
 * Kaleido extensions (ignored by MLflow clients, which skip unknown fields): model versions carry
 * `signature`, `metrics_snapshot`, `sha256` and `model_card`; `registered-models/alias` GET takes
 * an optional `at` (ms since the epoch) to answer which version held the alias then; and
 * `registered-models/alias/history` lists alias moves (who, when, from, to).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf, KaleidoError, type Status } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/json-limits.js';
import type { AliasMove, ModelVersion, RegisteredModel } from '../../core/ports/registry-store.js';
import type { Experiment, Run, RunInfo, Tag } from '../../core/ports/tracking-store.js';
import type { RegistryService } from '../../lifecycle/registry.js';
import type { TrackingService } from '../../lifecycle/tracking.js';
import { fromFastifyError } from '../errors.js';
import { requestTenant } from '../request-tenant.js';

export const MLFLOW_PREFIX = '/api/2.0/mlflow';

export interface MlflowRouteDeps {
  readonly tracking: TrackingService;
  readonly registry: RegistryService;
  /**
   * Who is acting, recorded in the alias history. The auth layer supplies the principal; until
   * then every move is recorded as "anonymous".
   */
  readonly actorOf?: (request: FastifyRequest) => string | undefined;
  /** Deepest JSON nesting accepted in a body (default 32). */
  readonly maxJsonDepth?: number;
}

/** Kaleido status → MLflow's error_code (databricks ErrorCode names, as MLflow clients expect). */
const MLFLOW_CODES: Record<Status, string> = {
  INVALID_ARGUMENT: 'INVALID_PARAMETER_VALUE',
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  FAILED_PRECONDITION: 'INVALID_STATE',
  PAYLOAD_TOO_LARGE: 'INVALID_PARAMETER_VALUE',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_PARAMETER_VALUE',
  RESOURCE_EXHAUSTED: 'REQUEST_LIMIT_EXCEEDED',
  UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  CANCELLED: 'CANCELLED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNIMPLEMENTED: 'NOT_IMPLEMENTED',
  INTERNAL: 'INTERNAL_ERROR',
};

/** The MLflow error_code for a Kaleido error. */
export function mlflowErrorCode(e: KaleidoError): string {
  // MLflow reports a changed param as a bad value, not as an existing resource.
  if (e.details?.['reason'] === 'param-already-logged') return 'INVALID_PARAMETER_VALUE';
  if (e.code === 'ERR_INVALID_JSON' || e.code === 'ERR_BAD_REQUEST') return 'MALFORMED_REQUEST';
  return MLFLOW_CODES[e.status];
}

function sendMlflowError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  errorCode?: string,
): FastifyReply {
  const k = fromFastifyError(err);
  if (k.status === 'INTERNAL') request.log.error({ err: k.cause ?? k, code: k.code }, 'internal error');
  else request.log.debug({ code: k.code, msg: k.message }, 'request failed');
  if (k.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(k.retryAfterSeconds))));
  const message = k.status === 'INTERNAL' ? 'internal server error' : k.message;
  const body = {
    error_code: errorCode ?? mlflowErrorCode(k),
    message,
    error: {
      code: k.code,
      message,
      ...(k.details && k.status !== 'INTERNAL' ? { details: k.details } : {}),
      requestId: request.id,
    },
  };
  return reply
    .code(httpStatusOf[k.status])
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

// ---- JSON shapes ------------------------------------------------------------------------------

const tagsJson = (tags: readonly Tag[]): { key: string; value: string }[] =>
  tags.map((t) => ({ key: t.key, value: t.value }));

export function experimentJson(e: Experiment): Record<string, unknown> {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: tagsJson(e.tags),
  };
}

export function runInfoJson(i: RunInfo): Record<string, unknown> {
  return {
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    ...(i.endTime === undefined ? {} : { end_time: i.endTime }),
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  };
}

export function runJson(r: Run): Record<string, unknown> {
  return {
    info: runInfoJson(r.info),
    data: {
      metrics: r.data.metrics.map((m) => ({
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        step: m.step,
      })),
      params: tagsJson(r.data.params),
      tags: tagsJson(r.data.tags),
    },
    inputs: {},
  };
}

export function registeredModelJson(m: RegisteredModel): Record<string, unknown> {
  return {
    name: m.name,
    creation_timestamp: m.creationTime,
    last_updated_timestamp: m.lastUpdatedTime,
    description: m.description,
    tags: tagsJson(m.tags),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: a.version })),
  };
}

export function modelVersionJson(v: ModelVersion): Record<string, unknown> {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTime,
    last_updated_timestamp: v.lastUpdatedTime,
    user_id: v.userId,
    // Stages are deprecated in MLflow in favour of aliases; Kaleido has aliases only.
    current_stage: 'None',
    description: v.description,
    source: v.source,
    ...(v.runId === undefined ? {} : { run_id: v.runId }),
    ...(v.runLink === undefined ? {} : { run_link: v.runLink }),
    status: v.status,
    status_message: v.statusMessage,
    tags: tagsJson(v.tags),
    aliases: [...v.aliases],
    ...(v.signature === undefined ? {} : { signature: v.signature }),
    metrics_snapshot: v.metrics,
    ...(v.sha256 === undefined ? {} : { sha256: v.sha256 }),
    ...(v.modelCard === undefined ? {} : { model_card: v.modelCard }),
  };
}

export function aliasMoveJson(m: AliasMove): Record<string, unknown> {
  return {
    id: String(m.id),
    name: m.name,
    alias: m.alias,
    ...(m.fromVersion === undefined ? {} : { from_version: m.fromVersion }),
    ...(m.toVersion === undefined ? {} : { to_version: m.toVersion }),
    actor: m.actor,
    timestamp: m.at,
  };
}

// ---- request arguments ------------------------------------------------------------------------

/** The fields of one request: the query string for GET, the JSON body otherwise (DELETE: both). */
class Args {
  constructor(private readonly fields: Record<string, unknown>) {}

  get(name: string): unknown {
    const v = this.fields[name];
    return v === '' ? undefined : v;
  }

  /** The first present of several names (MLflow's run_id / run_uuid). */
  first(...names: string[]): unknown {
    for (const n of names) {
      const v = this.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** A list field; a query string gives a single value as a string. */
  list(name: string): unknown {
    const v = this.get(name);
    return typeof v === 'string' ? [v] : v;
  }
}

function bodyObject(request: FastifyRequest, maxDepth: number): Record<string, unknown> {
  const raw = request.body;
  let parsed: unknown = raw;
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    if (raw.length === 0) return {};
    parsed = parseJsonLimited(raw, { maxDepth });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KaleidoError('ERR_BAD_REQUEST', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** The services of the caller's tenant: every handler reads and writes only through these. */
interface TenantServices {
  readonly tracking: TrackingService;
  readonly registry: RegistryService;
}
type Handler = (args: Args, s: TenantServices, request: FastifyRequest) => Promise<Record<string, unknown>>;

/** Registers the MLflow routes (call once; the lead wires it into buildApp). */
export async function registerMlflowRoutes(app: FastifyInstance, deps: MlflowRouteDeps): Promise<void> {
  const { tracking, registry } = deps;
  const maxDepth = deps.maxJsonDepth ?? 32;
  const actor = (request: FastifyRequest): string | undefined => deps.actorOf?.(request);

  await app.register(
    async (scope) => {
      scope.setErrorHandler((err, request, reply) => sendMlflowError(request, reply, err));
      scope.setNotFoundHandler((request, reply) =>
        sendMlflowError(
          request,
          reply,
          new KaleidoError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
          'ENDPOINT_NOT_FOUND',
        ),
      );

      const route = (methods: Method[], path: string, handler: Handler): void => {
        scope.route({
          method: methods,
          url: path,
          handler: async (request, reply) => {
            const query = (request.query ?? {}) as Record<string, unknown>;
            const fields =
              request.method === 'GET'
                ? query
                : request.method === 'DELETE'
                  ? { ...query, ...bodyObject(request, maxDepth) }
                  : bodyObject(request, maxDepth);
            // Every experiment, run and registered model belongs to a tenant: the handler gets the
            // caller's tenant's services, so another tenant's ids and names answer "not found"
            // and searches are restricted in the query (before paging), not filtered after.
            const tenantId = requestTenant(request);
            const services: TenantServices = {
              tracking: tracking.forTenant(tenantId),
              registry: registry.forTenant(tenantId),
            };
            const result = await handler(new Args(fields), services, request);
            return reply.type('application/json; charset=utf-8').send(JSON.stringify(result));
          },
        });
      };
      const runIdOf = (a: Args): unknown => a.first('run_id', 'run_uuid');

      // ---- experiments ----
      route(['POST'], '/experiments/create', async (a, s) => {
        const e = await s.tracking.createExperiment({
          name: a.get('name'),
          artifactLocation: a.get('artifact_location'),
          tags: a.get('tags'),
        });
        return { experiment_id: e.experimentId };
      });
      route(['GET'], '/experiments/get', async (a, s) => ({
        experiment: experimentJson(await s.tracking.getExperiment(a.get('experiment_id'))),
      }));
      route(['GET'], '/experiments/get-by-name', async (a, s) => ({
        experiment: experimentJson(await s.tracking.getExperimentByName(a.get('experiment_name'))),
      }));
      route(['POST', 'GET'], '/experiments/search', async (a, s) => {
        const page = await s.tracking.searchExperiments({
          filter: a.get('filter'),
          orderBy: a.list('order_by'),
          viewType: a.get('view_type'),
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          experiments: page.experiments.map(experimentJson),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });
      route(['POST'], '/experiments/delete', async (a, s) => {
        await s.tracking.deleteExperiment(a.get('experiment_id'));
        return {};
      });
      route(['POST'], '/experiments/restore', async (a, s) => {
        await s.tracking.restoreExperiment(a.get('experiment_id'));
        return {};
      });
      route(['POST'], '/experiments/update', async (a, s) => {
        await s.tracking.renameExperiment(a.get('experiment_id'), a.get('new_name'));
        return {};
      });
      route(['POST'], '/experiments/set-experiment-tag', async (a, s) => {
        await s.tracking.setExperimentTag(a.get('experiment_id'), a.get('key'), a.get('value'));
        return {};
      });

      // ---- runs ----
      route(['POST'], '/runs/create', async (a, s) => {
        const run = await s.tracking.createRun({
          experimentId: a.get('experiment_id'),
          runName: a.get('run_name'),
          userId: a.get('user_id'),
          startTime: a.get('start_time'),
          tags: a.get('tags'),
        });
        return { run: runJson(run) };
      });
      route(['GET'], '/runs/get', async (a, s) => ({ run: runJson(await s.tracking.getRun(runIdOf(a))) }));
      route(['POST'], '/runs/update', async (a, s) => {
        const info = await s.tracking.updateRun(runIdOf(a), {
          status: a.get('status'),
          endTime: a.get('end_time'),
          runName: a.get('run_name'),
        });
        return { run_info: runInfoJson(info) };
      });
      route(['POST'], '/runs/delete', async (a, s) => {
        await s.tracking.deleteRun(runIdOf(a));
        return {};
      });
      route(['POST'], '/runs/restore', async (a, s) => {
        await s.tracking.restoreRun(runIdOf(a));
        return {};
      });
      route(['POST', 'GET'], '/runs/search', async (a, s) => {
        const page = await s.tracking.searchRuns({
          experimentIds: a.list('experiment_ids'),
          filter: a.get('filter'),
          orderBy: a.list('order_by'),
          runViewType: a.get('run_view_type'),
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          runs: page.runs.map(runJson),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });
      route(['POST'], '/runs/log-metric', async (a, s) => {
        await s.tracking.logMetric(runIdOf(a), {
          key: a.get('key'),
          value: a.get('value'),
          timestamp: a.get('timestamp'),
          step: a.get('step'),
        });
        return {};
      });
      route(['POST'], '/runs/log-parameter', async (a, s) => {
        await s.tracking.logParam(runIdOf(a), a.get('key'), a.get('value'));
        return {};
      });
      route(['POST'], '/runs/log-batch', async (a, s) => {
        await s.tracking.logBatch(runIdOf(a), {
          metrics: a.get('metrics'),
          params: a.get('params'),
          tags: a.get('tags'),
        });
        return {};
      });
      route(['POST'], '/runs/set-tag', async (a, s) => {
        await s.tracking.setTag(runIdOf(a), a.get('key'), a.get('value'));
        return {};
      });
      route(['POST'], '/runs/delete-tag', async (a, s) => {
        await s.tracking.deleteTag(runIdOf(a), a.get('key'));
        return {};
      });
      route(['GET'], '/metrics/get-history', async (a, s) => {
        const page = await s.tracking.getMetricHistory(runIdOf(a), a.get('metric_key'), {
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          metrics: page.metrics.map((m) => ({
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
          })),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });

      // ---- registered models ----
      route(['POST'], '/registered-models/create', async (a, s) => ({
        registered_model: registeredModelJson(
          await s.registry.createRegisteredModel({
            name: a.get('name'),
            description: a.get('description'),
            tags: a.get('tags'),
          }),
        ),
      }));
      route(['GET'], '/registered-models/get', async (a, s) => ({
        registered_model: registeredModelJson(await s.registry.getRegisteredModel(a.get('name'))),
      }));
      route(['GET', 'POST'], '/registered-models/search', async (a, s) => {
        const page = await s.registry.searchRegisteredModels({
          filter: a.get('filter'),
          orderBy: a.list('order_by'),
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          registered_models: page.registeredModels.map(registeredModelJson),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });
      route(['PATCH', 'POST'], '/registered-models/update', async (a, s) => ({
        registered_model: registeredModelJson(
          await s.registry.updateRegisteredModel(a.get('name'), { description: a.get('description') }),
        ),
      }));
      route(['DELETE', 'POST'], '/registered-models/delete', async (a, s, request) => {
        await s.registry.deleteRegisteredModel(a.get('name'), actor(request));
        return {};
      });
      route(['POST'], '/registered-models/set-tag', async (a, s) => {
        await s.registry.setRegisteredModelTag(a.get('name'), a.get('key'), a.get('value'));
        return {};
      });
      route(['DELETE', 'POST'], '/registered-models/delete-tag', async (a, s) => {
        await s.registry.deleteRegisteredModelTag(a.get('name'), a.get('key'));
        return {};
      });
      route(['POST', 'GET'], '/registered-models/get-latest-versions', async (a, s) => ({
        model_versions: (await s.registry.getLatestVersions(a.get('name'))).map(modelVersionJson),
      }));
      route(['POST'], '/registered-models/alias', async (a, s, request) => {
        await s.registry.setAlias(a.get('name'), a.get('alias'), a.get('version'), actor(request));
        return {};
      });
      route(['DELETE'], '/registered-models/alias', async (a, s, request) => {
        await s.registry.deleteAlias(a.get('name'), a.get('alias'), actor(request));
        return {};
      });
      route(['GET'], '/registered-models/alias', async (a, s) => ({
        model_version: modelVersionJson(
          await s.registry.getModelVersionByAlias(a.get('name'), a.get('alias'), a.get('at')),
        ),
      }));
      route(['GET'], '/registered-models/alias/history', async (a, s) => {
        const page = await s.registry.aliasHistory(a.get('name'), {
          alias: a.get('alias'),
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          alias_history: page.moves.map(aliasMoveJson),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });

      // ---- model versions ----
      route(['POST'], '/model-versions/create', async (a, s) => ({
        model_version: modelVersionJson(
          await s.registry.createModelVersion({
            name: a.get('name'),
            source: a.get('source'),
            runId: a.get('run_id'),
            runLink: a.get('run_link'),
            description: a.get('description'),
            userId: a.get('user_id'),
            tags: a.get('tags'),
            signature: a.get('signature'),
            metrics: a.get('metrics_snapshot'),
            sha256: a.get('sha256'),
            modelCard: a.get('model_card'),
            status: a.get('status'),
          }),
        ),
      }));
      route(['GET'], '/model-versions/get', async (a, s) => ({
        model_version: modelVersionJson(await s.registry.getModelVersion(a.get('name'), a.get('version'))),
      }));
      route(['PATCH', 'POST'], '/model-versions/update', async (a, s) => ({
        model_version: modelVersionJson(
          await s.registry.updateModelVersion(a.get('name'), a.get('version'), {
            description: a.get('description'),
            status: a.get('status'),
            statusMessage: a.get('status_message'),
          }),
        ),
      }));
      route(['DELETE', 'POST'], '/model-versions/delete', async (a, s, request) => {
        await s.registry.deleteModelVersion(a.get('name'), a.get('version'), actor(request));
        return {};
      });
      route(['POST'], '/model-versions/set-tag', async (a, s) => {
        await s.registry.setModelVersionTag(a.get('name'), a.get('version'), a.get('key'), a.get('value'));
        return {};
      });
      route(['DELETE', 'POST'], '/model-versions/delete-tag', async (a, s) => {
        await s.registry.deleteModelVersionTag(a.get('name'), a.get('version'), a.get('key'));
        return {};
      });
      route(['GET', 'POST'], '/model-versions/search', async (a, s) => {
        const page = await s.registry.searchModelVersions({
          filter: a.get('filter'),
          orderBy: a.list('order_by'),
          maxResults: a.get('max_results'),
          pageToken: a.get('page_token'),
        });
        return {
          model_versions: page.modelVersions.map(modelVersionJson),
          ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }),
        };
      });
      route(['GET'], '/model-versions/get-download-uri', async (a, s) => ({
        artifact_uri: (await s.registry.getModelVersion(a.get('name'), a.get('version'))).source,
      }));
    },
    { prefix: MLFLOW_PREFIX },
  );
}
