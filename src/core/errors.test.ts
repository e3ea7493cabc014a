import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorReference } from './errors-doc.js';
import {
  ErrorCatalog,
  grpcStatusOf,
  httpStatusOf,
  isKaleidoError,
  KaleidoError,
  Status,
  toKaleidoError,
} from './errors.js';

describe('error catalog', () => {
  it('docs/reference/errors.md is generated from the catalog (run npm run docs:errors)', () => {
    const onDisk = readFileSync(new URL('../../docs/reference/errors.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderErrorReference());
  });

  it('maps every status to HTTP and gRPC', () => {
    for (const s of Object.values(Status)) {
      expect(httpStatusOf[s]).toBeGreaterThanOrEqual(400);
      expect(grpcStatusOf[s]).toBeGreaterThan(0);
    }
    expect(httpStatusOf.RESOURCE_EXHAUSTED).toBe(429);
    expect(httpStatusOf.PAYLOAD_TOO_LARGE).toBe(413);
    expect(grpcStatusOf.NOT_FOUND).toBe(5);
    expect(grpcStatusOf.UNAVAILABLE).toBe(14);
  });

  it('codes are ERR_ upper snake case', () => {
    for (const code of Object.keys(ErrorCatalog)) expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
  });

  it('builds errors with status, details and cause', () => {
    const cause = new Error('disk');
    const e = new KaleidoError('ERR_QUEUE_FULL', 'full', {
      details: { depth: 3 },
      cause,
      retryAfterSeconds: 2,
    });
    expect(e.status).toBe('RESOURCE_EXHAUSTED');
    expect(e.retryable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toEqual({ code: 'ERR_QUEUE_FULL', message: 'full', details: { depth: 3 } });
    expect(new KaleidoError('ERR_NOT_FOUND', 'x').toJSON()).toEqual({ code: 'ERR_NOT_FOUND', message: 'x' });
    expect(isKaleidoError(e)).toBe(true);
    expect(toKaleidoError(e)).toBe(e);
  });

  it('turns unknown errors into ERR_INTERNAL without leaking the message', () => {
    const k = toKaleidoError(new Error('secret path /etc/x'));
    expect(k.code).toBe('ERR_INTERNAL');
    expect(k.message).not.toContain('secret');
  });
});
