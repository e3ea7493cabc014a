/** The `classifiers` option of /v1/analyze: parsing and merging (running heads: e2e classify). */
import { describe, expect, it } from 'vitest';
import { isKaleidoError } from '../core/errors.js';
import { MAX_CLASSIFIERS, parseClassifiers, withClassifiers } from './classifiers.js';
import type { AnalysisResponse } from './types.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isKaleidoError(e) ? e.code : String(e);
  }
  return undefined;
};

describe('parseClassifiers', () => {
  it('takes a comma-separated string or a list, trimmed and without repeats', () => {
    expect(parseClassifiers(' a@champion, b/versions/2 ,,a@champion')).toEqual([
      'a@champion',
      'b/versions/2',
    ]);
    expect(parseClassifiers(['a', 'b,c'])).toEqual(['a', 'b', 'c']);
  });

  it('refuses non-strings, empty lists and too many models', () => {
    expect(codeOf(() => parseClassifiers(3))).toBe('ERR_VALIDATION');
    expect(codeOf(() => parseClassifiers([' , ']))).toBe('ERR_VALIDATION');
    const many = Array.from({ length: MAX_CLASSIFIERS + 1 }, (_, i) => `m${i}`).join(',');
    expect(codeOf(() => parseClassifiers(many))).toBe('ERR_VALIDATION');
  });
});

describe('withClassifiers', () => {
  it('adds results.classifiers, skipped entries and stages without changing the analysis', () => {
    const response = {
      modality: 'text',
      mime: 'text/plain',
      pipeline: 'text-default',
      tasks: ['language'],
      durationMs: 3,
      stages: [
        { name: 'language', analyzer: 'text/language', model: 'cld3', version: '1', ms: 1, status: 'ok' },
      ],
      results: { language: { code: 'en' } },
      skipped: { entities: { status: 'skipped' } },
      safety: {} as AnalysisResponse['safety'],
    } satisfies AnalysisResponse;
    const merged = withClassifiers(response, {
      results: {
        'topics@champion': {
          model: 'topics',
          version: '1',
          label: 'weather',
          score: 0.9,
          labels: [
            { label: 'weather', score: 0.9 },
            { label: 'sports', score: 0.1 },
          ],
          featurizer: { type: 'hashed-bow', id: 'hashed-bow.fnv1a.32', modality: 'text' },
        },
      },
      skipped: { 'classifiers/pics@champion': { status: 'skipped', reason: 'reads image' } },
      stages: [
        {
          name: 'classifier:topics@champion/head',
          analyzer: 'h',
          model: 'topics',
          version: '1',
          ms: 1,
          status: 'ok',
        },
      ],
    });
    expect(merged.results['language']).toEqual({ code: 'en' });
    expect(
      (merged.results['classifiers'] as Record<string, { label: string }>)['topics@champion']?.label,
    ).toBe('weather');
    expect(Object.keys(merged.skipped).sort()).toEqual(['classifiers/pics@champion', 'entities']);
    expect(merged.stages.map((s) => s.name)).toEqual(['language', 'classifier:topics@champion/head']);
    expect(response.results).not.toHaveProperty('classifiers');
  });
});
