/**
 * Error rendering at the HTTP edge: one place maps KaleidoError → status code and body.
 * OIP routes (/v2/…) answer `{"error": "<message>", "code": "ERR_…"}` (the spec's shape plus our
 * stable code); every other route answers `{"error": {code, message, details, requestId}}`.
 * Unknown errors become ERR_INTERNAL; their cause is logged, never sent.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf, KaleidoError, toKaleidoError } from '../core/errors.js';

/** Fastify's own errors (body too large, bad content type …) mapped into the catalog. */
export function fromFastifyError(err: unknown): KaleidoError {
  if (err instanceof KaleidoError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const message = e.message ?? 'bad request';
  if (status === 413)
    return new KaleidoError('ERR_PAYLOAD_TOO_LARGE', 'request body is too large', { cause: err });
  if (status === 415) return new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', message, { cause: err });
  if (status === 404) return new KaleidoError('ERR_NOT_FOUND', message, { cause: err });
  if (status >= 400 && status < 500) return new KaleidoError('ERR_BAD_REQUEST', message, { cause: err });
  return toKaleidoError(err);
}

export const isOipRoute = (url: string): boolean =>
  url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const k = fromFastifyError(err);
  const status = httpStatusOf[k.status];
  if (k.status === 'INTERNAL') {
    request.log.error({ err: k.cause ?? k, code: k.code }, 'internal error');
  } else {
    request.log.debug({ code: k.code, msg: k.message }, 'request failed');
  }
  if (k.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(k.retryAfterSeconds))));
  const message = k.status === 'INTERNAL' ? 'internal server error' : k.message;
  const body = isOipRoute(request.url)
    ? { error: message, code: k.code }
    : {
        error: {
          code: k.code,
          message,
          ...(k.details && k.status !== 'INTERNAL' ? { details: k.details } : {}),
          requestId: request.id,
        },
      };
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
