/**
 * Model cards and fairness of registered versions (Kaleido's /v1 API, camelCase JSON):
 *
 *   GET  /v1/registry/models/{name}/versions/{version}/card       the card assembled from the
 *        registry (lifecycle/model-card.ts): JSON, or Markdown with `?format=markdown` or
 *        `Accept: text/markdown`. {version} is a number, "latest" or an alias.
 *   GET  /v1/registry/models/{name}/versions/{version}/fairness   the version's fairness reports
 *   POST /v1/registry/models/{name}/versions/{version}/fairness   run the served version on a data
 *        set version and measure fairness across a sensitive attribute:
 *        {dataset: {id, version?}, split?: test|validation|train|all, attribute?, positiveLabel?,
 *         thresholds?: {maxDemographicParityDifference, maxEqualizedOddsDifference,
 *         minDisparateImpactRatio}, featurizer?, classes?} → 201 {reports, tags, flagged}
 *
 * Everything acts for the caller's tenant (its registry, tracking and data sets).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/json-limits.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { DatasetStore } from '../../core/ports/dataset-store.js';
import type { InferenceService } from '../../core/ports/inference.js';
import { FairnessService } from '../../lifecycle/fairness.js';
import { assembleModelCard, renderModelCardMarkdown } from '../../lifecycle/model-card.js';
import type { RegistryService } from '../../lifecycle/registry.js';
import type { TrackingService } from '../../lifecycle/tracking.js';
import { requestTenant } from '../request-tenant.js';

export interface ModelCardApi {
  readonly registry: RegistryService;
  readonly tracking?: TrackingService;
  readonly datasets?: DatasetStore;
  /** Where fairness reports of versions are kept (required for the fairness routes). */
  readonly artifacts?: ArtifactStore;
  /** Runs served versions for `POST …/fairness`. */
  readonly inference?: InferenceService;
  /** Model names the moderation pipeline serves (cards say "moderation model: yes"). */
  readonly moderationModels?: readonly string[];
  readonly maxJsonDepth: number;
}

const PREFIX = '/v1/registry/models/:name/versions/:version';

type Params = { Params: { name: string; version: string }; Querystring: Record<string, string | undefined> };

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

function jsonBody(request: FastifyRequest, maxDepth: number): unknown {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !type?.endsWith('+json')) {
    throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', {
      details: { contentType: request.headers['content-type'] ?? null },
    });
  }
  const body = request.body;
  const bytes =
    body instanceof Uint8Array
      ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      : new Uint8Array(0);
  if (bytes.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', 'the body is empty', { details: { field: 'body' } });
  }
  return parseJsonLimited(bytes, { maxDepth });
}

/** `?format=` wins; otherwise Markdown when the Accept header asks for text/markdown. */
function wantsMarkdown(request: FastifyRequest<Params>): boolean {
  const format = request.query['format'];
  if (format !== undefined) {
    if (format === 'markdown' || format === 'md') return true;
    if (format === 'json') return false;
    throw new KaleidoError('ERR_VALIDATION', "format must be 'json' or 'markdown'", {
      details: { field: 'format', value: String(format).slice(0, 100) },
    });
  }
  // Markdown when the client ranks text/markdown at least as high as JSON (q-values honoured).
  const q = new Map<string, number>();
  for (const part of String(request.headers.accept ?? '')
    .toLowerCase()
    .split(',')) {
    const [type = '', ...params] = part.split(';').map((x) => x.trim());
    const qp = params.find((p) => p.startsWith('q='));
    const value = qp === undefined ? 1 : Number(qp.slice(2));
    if (type !== '' && Number.isFinite(value)) q.set(type, Math.max(q.get(type) ?? 0, value));
  }
  const markdown = q.get('text/markdown') ?? 0;
  const json = Math.max(q.get('application/json') ?? 0, q.get('*/*') ?? 0);
  return markdown > 0 && markdown >= json;
}

export async function registerModelCardRoutes(app: FastifyInstance, deps: ModelCardApi): Promise<void> {
  const scoped = (request: FastifyRequest) => {
    const tenantId = requestTenant(request);
    const registry = deps.registry.forTenant(tenantId);
    const tracking = deps.tracking?.forTenant(tenantId);
    const datasets = deps.datasets?.forTenant(tenantId);
    const fairness =
      deps.artifacts === undefined || datasets === undefined
        ? undefined
        : new FairnessService({
            registry,
            datasets,
            artifacts: deps.artifacts,
            ...(deps.inference === undefined ? {} : { inference: deps.inference }),
          });
    return { registry, tracking, datasets, fairness };
  };
  const needFairness = (f: FairnessService | undefined): FairnessService => {
    if (f === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        'fairness evaluation needs the data set and artifact stores',
        {
          details: { feature: 'fairness' },
        },
      );
    }
    return f;
  };

  app.get<Params>(`${PREFIX}/card`, async (request, reply) => {
    const markdown = wantsMarkdown(request);
    const s = scoped(request);
    const card = await assembleModelCard(
      {
        registry: s.registry,
        ...(s.tracking === undefined ? {} : { tracking: s.tracking }),
        ...(s.datasets === undefined ? {} : { datasets: s.datasets }),
        ...(s.fairness === undefined ? {} : { fairness: s.fairness }),
        ...(deps.moderationModels === undefined ? {} : { moderationModels: deps.moderationModels }),
      },
      request.params.name,
      request.params.version,
    );
    if (markdown) {
      return reply.code(200).type('text/markdown; charset=utf-8').send(renderModelCardMarkdown(card));
    }
    return json(reply, 200, card);
  });

  app.get<Params>(`${PREFIX}/fairness`, async (request, reply) => {
    const s = scoped(request);
    const fairness = needFairness(s.fairness);
    const version = await s.registry.resolveVersion(request.params.name, request.params.version);
    const mv = await s.registry.getModelVersion(request.params.name, version);
    return json(reply, 200, { name: mv.name, version: mv.version, reports: await fairness.listReports(mv) });
  });

  app.post<Params>(`${PREFIX}/fairness`, async (request, reply) => {
    const body = jsonBody(request, deps.maxJsonDepth);
    const fairness = needFairness(scoped(request).fairness);
    const out = await fairness.evaluateVersion(request.params.name, request.params.version, body);
    return json(reply, 201, {
      name: request.params.name,
      version: out.version,
      flagged: out.reports.some((r) => r.flagged),
      reports: out.reports,
      tags: out.tags,
    });
  });
}
