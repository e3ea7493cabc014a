import { KaleidoApiError } from '@kaleido/client';
import { describe, expect, it } from 'vitest';
import { fieldProblem, rejectedRows } from './api-errors';

const refused = (code: string, details: unknown, message = 'refused') =>
  new KaleidoApiError(message, {
    kind: 'http',
    status: 400,
    method: 'POST',
    url: 'http://x/v1',
    code,
    details,
  });

describe('API errors on form fields', () => {
  it('puts a validation error on the field it names', () => {
    expect(
      fieldProblem(refused('ERR_VALIDATION', { field: 'split' }, 'split fractions…'), ['testFraction']),
    ).toEqual({
      field: 'testFraction',
      message: 'split fractions…',
    });
    expect(
      fieldProblem(refused('ERR_VALIDATION', { field: 'searchSpace.lr.low' }, 'bad'), ['param.lr']),
    ).toEqual({
      field: 'param.lr',
      message: 'bad',
    });
    expect(fieldProblem(refused('ERR_VALIDATION', { field: 'elsewhere' }), ['name'])).toBeUndefined();
  });

  it('explains media type, size and name clashes', () => {
    expect(fieldProblem(refused('ERR_UNSUPPORTED_MEDIA_TYPE', {}), ['file'])?.message).toMatch(
      /\.jsonl, \.csv/,
    );
    expect(fieldProblem(refused('ERR_PAYLOAD_TOO_LARGE', {}), ['file'])?.message).toMatch(/upload limit/);
    expect(fieldProblem(refused('ERR_ALREADY_EXISTS', {}), ['name'])?.field).toBe('name');
    expect(fieldProblem(new Error('x'), ['name'])).toBeUndefined();
  });

  it('reads the bad rows of a refused upload', () => {
    const e = refused('ERR_VALIDATION', {
      issueCount: 3,
      issues: [{ line: 3, field: 'label', message: 'missing label' }, { nonsense: true }],
    });
    expect(rejectedRows(e)).toEqual({
      count: 3,
      issues: [{ line: 3, field: 'label', message: 'missing label' }],
    });
    expect(rejectedRows(refused('ERR_VALIDATION', { field: 'name' }))).toBeUndefined();
  });
});
