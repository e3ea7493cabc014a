import { describe, expect, it } from 'vitest';
import { KaleidoApiError, errorFromResponse, parseErrorBody, parseRetryAfter } from './errors.js';

const headers = (values: Record<string, string>) => ({
  get: (name: string): string | null => values[name.toLowerCase()] ?? null,
});

describe('parseErrorBody', () => {
  it('reads the OIP shape {"error": "message"}', () => {
    expect(parseErrorBody('{"error":"model \\"m\\" not found"}')).toEqual({
      message: 'model "m" not found',
      code: undefined,
      details: undefined,
      requestId: undefined,
      body: { error: 'model "m" not found' },
    });
  });

  it('reads the admin shape {"error": {code, message, details, requestId}}', () => {
    const body = {
      error: { code: 'ERR_QUEUE_FULL', message: 'queue full', details: { depth: 9 }, requestId: 'r-1' },
    };
    expect(parseErrorBody(JSON.stringify(body))).toEqual({
      message: 'queue full',
      code: 'ERR_QUEUE_FULL',
      details: { depth: 9 },
      requestId: 'r-1',
      body,
    });
  });

  it('keeps other bodies: plain text, foreign JSON, nothing', () => {
    expect(parseErrorBody('Bad Gateway\n<html>')).toMatchObject({
      message: 'Bad Gateway',
      body: 'Bad Gateway\n<html>',
    });
    expect(parseErrorBody('{"message":"nope"}')).toMatchObject({ message: 'nope', code: undefined });
    expect(parseErrorBody('[1]')).toMatchObject({ message: undefined, body: [1] });
    expect(parseErrorBody('  ')).toMatchObject({ message: undefined, body: undefined });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('errorFromResponse', () => {
  it('builds a KaleidoApiError with status, code, retry delay and request id', () => {
    const error = errorFromResponse(
      {
        status: 429,
        statusText: 'Too Many Requests',
        headers: headers({ 'retry-after': '3', 'x-request-id': 'hdr-id' }),
        bodyText: '{"error":{"code":"ERR_RATE_LIMITED","message":"slow down"}}',
      },
      'POST',
      'http://h:1/v2/models/m/infer',
      0,
    );
    expect(error).toBeInstanceOf(KaleidoApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KaleidoApiError');
    expect(error.message).toBe('POST /v2/models/m/infer failed (429 ERR_RATE_LIMITED): slow down');
    expect(error).toMatchObject({
      kind: 'http',
      status: 429,
      code: 'ERR_RATE_LIMITED',
      retryAfterSeconds: 3,
      requestId: 'hdr-id',
    });
  });

  it('falls back to the status text when the body says nothing', () => {
    const error = errorFromResponse(
      { status: 503, statusText: 'Service Unavailable', headers: headers({}), bodyText: '' },
      'GET',
      'http://h/v2',
      0,
    );
    expect(error.message).toBe('GET /v2 failed (503): Service Unavailable');
    expect(error.body).toBeUndefined();
    expect(error.code).toBeUndefined();
  });
});
