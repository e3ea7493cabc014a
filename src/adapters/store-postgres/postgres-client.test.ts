import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { advisoryLockKey, toPostgresStoreError } from './postgres-client.js';

const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('toPostgresStoreError', () => {
  it('maps connection and contention failures to retryable ERR_UNAVAILABLE', () => {
    for (const e of [
      withCode('08006'),
      withCode('57P01'),
      withCode('53300'),
      withCode('40001'),
      withCode('40P01'),
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const mapped = toPostgresStoreError(e);
      expect(mapped, e.message).toMatchObject({ code: 'ERR_UNAVAILABLE', retryable: true });
      expect(mapped.cause).toBe(e);
    }
  });

  it('maps statement errors to ERR_INTERNAL and a missing schema to ERR_BAD_CONFIG', () => {
    expect(toPostgresStoreError(withCode('42P01', 'relation does not exist'))).toMatchObject({
      code: 'ERR_INTERNAL',
    });
    expect(toPostgresStoreError(new TypeError('bad'))).toMatchObject({ code: 'ERR_INTERNAL' });
    expect(toPostgresStoreError(withCode('3F000'), 'tenant_a')).toMatchObject({
      code: 'ERR_BAD_CONFIG',
      details: { schema: 'tenant_a' },
    });
  });

  it('passes KaleidoErrors through', () => {
    const e = new KaleidoError('ERR_SCHEMA_MISMATCH', 'changed');
    expect(toPostgresStoreError(e)).toBe(e);
  });
});

describe('advisoryLockKey', () => {
  it('is a stable signed 64-bit integer per name', () => {
    const key = advisoryLockKey('public:kaleido.schema_migrations');
    expect(key).toBe(advisoryLockKey('public:kaleido.schema_migrations'));
    expect(key).not.toBe(advisoryLockKey('tenant:kaleido.schema_migrations'));
    const n = BigInt(key);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
