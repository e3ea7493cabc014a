/** POST /v1/classify: body decoding and the route's permission (serving: test/e2e/classify.test.ts). */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { isKaleidoError } from '../../core/errors.js';
import { routeSecurityFor } from '../security/route-table.js';
import { classifyContent } from './classify.js';

const request = (body: Uint8Array, contentType?: string): FastifyRequest =>
  ({
    body: Buffer.from(body),
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  }) as unknown as FastifyRequest;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const failure = (f: () => unknown): { code?: string; field?: unknown } => {
  try {
    f();
  } catch (e) {
    if (isKaleidoError(e)) return { code: e.code, field: e.details?.['field'] };
    throw e;
  }
  return {};
};

describe('classifyContent', () => {
  it('reads JSON {text} and passes any other body through with its declared type', () => {
    expect(classifyContent(request(utf8('{"text":"hi"}'), 'application/json; charset=utf-8'), 8)).toEqual({
      kind: 'text',
      text: 'hi',
    });
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]);
    expect(classifyContent(request(jpeg, 'image/jpeg'), 8)).toEqual({
      kind: 'bytes',
      bytes: jpeg,
      declaredType: 'image/jpeg',
    });
    expect(classifyContent(request(jpeg), 8)).toEqual({ kind: 'bytes', bytes: jpeg });
  });

  it('refuses JSON that is not {text: string}, and multipart bodies', () => {
    const json = (s: string) => failure(() => classifyContent(request(utf8(s), 'application/json'), 8));
    expect(json('')).toEqual({ code: 'ERR_VALIDATION', field: 'body' });
    expect(json('[1]')).toEqual({ code: 'ERR_VALIDATION', field: '(body)' });
    expect(json('{}')).toEqual({ code: 'ERR_VALIDATION', field: 'text' });
    expect(json('{"text":3}')).toEqual({ code: 'ERR_VALIDATION', field: 'text' });
    expect(json('{"text":"x","tasks":"a"}')).toEqual({ code: 'ERR_VALIDATION', field: 'tasks' });
    expect(json('{"text":')).toMatchObject({ code: 'ERR_INVALID_JSON' });
    expect(
      failure(() => classifyContent(request(utf8('--x'), 'multipart/form-data; boundary=x'), 8)),
    ).toMatchObject({ code: 'ERR_UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('route security', () => {
  it('classifying is an inference on models, like OIP infer and /v1/analyze', () => {
    for (const url of ['/v1/classify/:model', '/v1/classify/:model/versions/:version']) {
      expect(routeSecurityFor('POST', url)).toEqual({ action: 'infer', resource: 'model' });
      expect(routeSecurityFor('GET', url)).toBeUndefined();
    }
  });
});
