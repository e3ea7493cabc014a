import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import type { PipelineDefinition, PipelineStep } from './types.js';
import { selectSteps, topologicalOrder, validatePipeline } from './validate.js';

const known = (a: string): boolean => ['text/a', 'text/b', 'text/c'].includes(a);
const def = (steps: PipelineStep[], name = 'p'): PipelineDefinition => ({ name, modality: 'text', steps });

function errorOf(fn: () => void): KaleidoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
}

describe('validatePipeline', () => {
  it('accepts a DAG', () => {
    expect(() =>
      validatePipeline(
        def([
          { id: 'x', analyzer: 'text/a' },
          { id: 'y', analyzer: 'text/b', after: ['x'] },
          { id: 'z', analyzer: 'text/c', after: ['x', 'y'], timeoutMs: 50 },
        ]),
        known,
      ),
    ).not.toThrow();
  });

  it.each([
    ['no steps', def([]), 'steps', undefined],
    ['bad name', def([{ id: 'x', analyzer: 'text/a' }], 'Bad Name'), 'name', undefined],
    [
      'duplicate id',
      def([
        { id: 'x', analyzer: 'text/a' },
        { id: 'x', analyzer: 'text/b' },
      ]),
      'steps[1].id',
      'x',
    ],
    ['unknown analyzer', def([{ id: 'x', analyzer: 'text/nope' }]), 'steps[0].analyzer', 'x'],
    ['malformed analyzer', def([{ id: 'x', analyzer: 'sentiment' }]), 'steps[0].analyzer', 'x'],
    ['unknown dependency', def([{ id: 'x', analyzer: 'text/a', after: ['y'] }]), 'steps[0].after', 'x'],
    ['self dependency', def([{ id: 'x', analyzer: 'text/a', after: ['x'] }]), 'steps[0].after', 'x'],
    ['bad timeout', def([{ id: 'x', analyzer: 'text/a', timeoutMs: 0 }]), 'steps[0].timeoutMs', 'x'],
  ])('rejects %s with ERR_BAD_CONFIG naming the field', (_n, d, field, step) => {
    const e = errorOf(() => validatePipeline(d, known));
    expect(e.code).toBe('ERR_BAD_CONFIG');
    expect(e.details).toMatchObject({ field, ...(step === undefined ? {} : { step }) });
  });

  it('names the steps of a cycle', () => {
    const e = errorOf(() =>
      validatePipeline(
        def([
          { id: 'a', analyzer: 'text/a', after: ['c'] },
          { id: 'b', analyzer: 'text/b', after: ['a'] },
          { id: 'c', analyzer: 'text/c', after: ['b'] },
        ]),
        known,
      ),
    );
    expect(e.code).toBe('ERR_BAD_CONFIG');
    expect(e.message).toContain('cycle');
    expect(e.details?.['cycle']).toEqual(['a', 'c', 'b', 'a']);
  });
});

describe('topologicalOrder and selectSteps', () => {
  const d = def([
    { id: 'late', analyzer: 'text/c', after: ['mid'] },
    { id: 'mid', analyzer: 'text/b', after: ['root'] },
    { id: 'root', analyzer: 'text/a' },
    { id: 'other', analyzer: 'text/a' },
  ]);

  it('orders dependencies first, otherwise keeps definition order', () => {
    expect(topologicalOrder(d).map((s) => s.id)).toEqual(['root', 'mid', 'late', 'other']);
  });

  it('selects a step with everything it needs', () => {
    expect(selectSteps(d, ['late']).steps.map((s) => s.id)).toEqual(['late', 'mid', 'root']);
    expect(selectSteps(d, ['other']).steps.map((s) => s.id)).toEqual(['other']);
  });
});
