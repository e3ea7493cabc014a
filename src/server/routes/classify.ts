/**
 * POST /v1/classify/{model}                      raw content → the registered head's classes
 * POST /v1/classify/{model}/versions/{version}   the same for a version number or an alias
 *
 * `{model}` is `name` (the latest READY version), `name@alias` or the tenant's served name. The
 * body is the raw content (image/*, audio/*, video/*, text/plain or application/octet-stream: the
 * magic bytes decide, as on /v1/analyze) or JSON `{"text": "..."}` for text heads. The route only
 * decodes HTTP; resolving, featurising and the head run are lifecycle/classify.ts's. Like OIP it is
 * an inference route (admission control, client disconnect cancels) and resolves names in the
 * caller's tenant.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseMediaType } from '../../analysis/content.js';
import { KaleidoError } from '../../core/errors.js';
import { parseJsonLimited } from '../../core/oip/json-limits.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';
import type { ClassifyContent, ClassifyService } from '../../lifecycle/classify.js';
import { requestTenant } from '../request-tenant.js';

export interface ClassifyRouteDeps {
  readonly classify: ClassifyService;
  /** Largest body (server.maxBodyBytes, as for inference). */
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

const bodyBytes = (request: FastifyRequest): Uint8Array =>
  request.body instanceof Uint8Array
    ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
    : new Uint8Array(0);

const invalid = (field: string, message: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', message, { details: { field, ...extra } });

/** The tenant whose registry names resolve in (an operator-opened route: platform models only). */
export function classifyTenant(request: FastifyRequest): string {
  const principal = (request as { principal?: unknown }).principal;
  return principal === null ? SYSTEM_TENANT : requestTenant(request);
}

/** The request's content: JSON `{text}` or the raw body with its declared type. */
export function classifyContent(request: FastifyRequest, maxJsonDepth: number): ClassifyContent {
  const header = request.headers['content-type'];
  const type = parseMediaType(header);
  const bytes = bodyBytes(request);
  if (type !== undefined && (type.essence === 'application/json' || type.subtype.endsWith('+json'))) {
    if (bytes.length === 0) throw invalid('body', 'the body is empty', { bytes: 0 });
    const parsed = parseJsonLimited(bytes, { maxDepth: maxJsonDepth });
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalid('(body)', 'the body must be a JSON object {"text": "..."}');
    }
    const body = parsed as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (key !== 'text') throw invalid(key, `unknown field ${key}`, { allowed: ['text'] });
    }
    if (typeof body['text'] !== 'string') {
      throw invalid('text', body['text'] === undefined ? 'text is required' : 'text must be a string');
    }
    return { kind: 'text', text: body['text'] };
  }
  if (type?.essence === 'multipart/form-data') {
    throw new KaleidoError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      'send the content as the raw body (or JSON {"text": ...}), not as multipart/form-data',
      { details: { declared: type.essence } },
    );
  }
  return { kind: 'bytes', bytes, ...(header === undefined ? {} : { declaredType: header }) };
}

export async function registerClassifyRoutes(app: FastifyInstance, deps: ClassifyRouteDeps): Promise<void> {
  const handler = async (
    request: FastifyRequest<{ Params: { model: string; version?: string } }>,
    reply: FastifyReply,
  ) => {
    const extra = Object.keys((request.query ?? {}) as Record<string, unknown>)[0];
    if (extra !== undefined)
      throw invalid(`query.${extra}`, `unknown query parameter ${extra}`, { allowed: [] });
    const { model, version } = request.params;
    if (version !== undefined && model.includes('@')) {
      throw invalid('version', `"${model}" names an alias; do not give a version as well`);
    }
    const ref = version === undefined ? model : `${model}/versions/${version}`;
    const content = classifyContent(request, deps.maxJsonDepth);
    const signal = request.kaleidoAbort?.signal;
    const result = await deps.classify.classify(classifyTenant(request), ref, content, {
      ...(signal === undefined ? {} : { signal }),
    });
    return json(reply, 200, result);
  };
  const route = { bodyLimit: deps.maxBodyBytes, config: { inference: true } };
  app.post('/v1/classify/:model', route, handler);
  app.post('/v1/classify/:model/versions/:version', route, handler);
}
