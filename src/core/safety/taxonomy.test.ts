import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import type { CategoryScore, ScoreSource } from './taxonomy.js';
import {
  ALL_SAFETY_CATEGORIES,
  AZURE_CATEGORIES,
  FROM_AZURE,
  FROM_MLCOMMONS,
  FROM_OPENAI,
  MLCOMMONS_HAZARDS,
  OPENAI_CATEGORIES,
  SafetyCategories,
  TO_AZURE,
  TO_MLCOMMONS,
  TO_OPENAI,
  categoryCovers,
  fromAzureAnalysis,
  fromMlcHazards,
  fromOpenAIScores,
  isSafetyCategory,
  parentCategory,
  scoreToSeverity,
  severityToScore,
  sourceOfAnalyzer,
  toAzureAnalysis,
  toMlcHazards,
  toOpenAIScores,
  validateCategoryScore,
} from './taxonomy.js';

const model: ScoreSource = { kind: 'model', name: 'omni-moderation', version: '2024-09-26' };

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof KaleidoError ? `${e.code}:${String(e.details?.field)}` : 'not-kaleido';
  }
  return undefined;
};

describe('taxonomy', () => {
  it('describes every category and knows parents', () => {
    for (const c of ALL_SAFETY_CATEGORIES) {
      expect(SafetyCategories[c].description.length).toBeGreaterThan(10);
      const parent = parentCategory(c);
      if (parent !== undefined) expect(isSafetyCategory(parent)).toBe(true);
    }
    expect(parentCategory('self-harm/intent')).toBe('self-harm');
    expect(parentCategory('hate')).toBeUndefined();
    expect(categoryCovers('self-harm', 'self-harm/intent')).toBe(true);
    expect(categoryCovers('self-harm/intent', 'self-harm')).toBe(false);
    expect(categoryCovers('sexual', 'sexual/minors')).toBe(true);
    expect(categoryCovers('hate', 'harassment')).toBe(false);
    expect(isSafetyCategory('toString')).toBe(false);
  });

  it('maps every external category onto one of ours, and ours onto existing external ones', () => {
    expect(Object.keys(FROM_OPENAI).sort()).toEqual([...OPENAI_CATEGORIES].sort());
    expect(Object.keys(FROM_AZURE).sort()).toEqual([...AZURE_CATEGORIES].sort());
    expect(Object.keys(FROM_MLCOMMONS)).toHaveLength(14);
    for (const ours of [
      ...Object.values(FROM_OPENAI),
      ...Object.values(FROM_AZURE),
      ...Object.values(FROM_MLCOMMONS),
    ]) {
      expect(isSafetyCategory(ours)).toBe(true);
    }
    for (const table of [TO_OPENAI, TO_AZURE, TO_MLCOMMONS]) {
      expect(Object.keys(table).sort()).toEqual([...ALL_SAFETY_CATEGORIES].sort());
    }
    // Coming back from ours reaches the category we came from (the mapping is faithful).
    for (const [theirs, ours] of Object.entries(FROM_OPENAI)) expect(TO_OPENAI[ours]).toContain(theirs);
    for (const [theirs, ours] of Object.entries(FROM_AZURE)) expect(TO_AZURE[ours]).toContain(theirs);
    for (const [code, ours] of Object.entries(FROM_MLCOMMONS)) {
      if (code !== 'S14') expect(TO_MLCOMMONS[ours]).toContain(code); // S14 lands on illicit with S2
    }
  });

  it('uses the MLCommons / Llama Guard 3 hazard names', () => {
    expect(MLCOMMONS_HAZARDS.S1).toBe('Violent Crimes');
    expect(MLCOMMONS_HAZARDS.S4).toBe('Child Sexual Exploitation');
    expect(MLCOMMONS_HAZARDS.S9).toBe('Indiscriminate Weapons');
    expect(MLCOMMONS_HAZARDS.S11).toBe('Suicide & Self-Harm');
    expect(MLCOMMONS_HAZARDS.S14).toBe('Code Interpreter Abuse');
    expect(FROM_MLCOMMONS.S4).toBe('sexual/minors');
  });

  it('round-trips OpenAI category scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 13, maxLength: 13 }),
        (values) => {
          const input = Object.fromEntries(OPENAI_CATEGORIES.map((c, i) => [c, values[i] as number]));
          expect(toOpenAIScores(fromOpenAIScores(input, model))).toEqual(input);
        },
      ),
    );
  });

  it('converts Azure severities both ways, keeping the severity', () => {
    const scores = fromAzureAnalysis(
      [
        { category: 'Hate', severity: 4 },
        { category: 'SelfHarm', severity: 0 },
      ],
      model,
    );
    expect(scores).toEqual([
      { category: 'hate', score: 4 / 7, severity: 4, source: model },
      { category: 'self-harm', score: 0, severity: 0, source: model },
    ]);
    const ours: CategoryScore[] = [
      { category: 'hate', score: 0.6, source: model },
      { category: 'harassment', score: 0.8, source: model },
      { category: 'self-harm/intent', score: 1, source: model },
      { category: 'pii', score: 1, source: model },
    ];
    expect(toAzureAnalysis(ours)).toEqual([
      { category: 'Hate', severity: 5 }, // max(0.6, 0.8) = 0.8 → ⌊5.6⌋
      { category: 'Sexual', severity: 0 },
      { category: 'Violence', severity: 0 },
      { category: 'SelfHarm', severity: 7 },
    ]);
  });

  it('keeps thresholds equivalent on the severity and score scales', () => {
    for (let k = 0; k <= 7; k++) expect(scoreToSeverity(severityToScore(k))).toBe(k);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 7 }), (x, k) => {
        const s = scoreToSeverity(x);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(7);
        // Tolerance for the epsilon at exact boundaries.
        if (Math.abs(x - k / 7) > 1e-9) expect(s >= k).toBe(x >= k / 7);
      }),
    );
  });

  it('converts MLCommons hazards both ways', () => {
    expect(fromMlcHazards({ S4: 0.9, S14: 0.3 }, model)).toEqual([
      { category: 'sexual/minors', score: 0.9, source: model },
      { category: 'illicit', score: 0.3, source: model },
    ]);
    const out = toMlcHazards([
      { category: 'illicit/cbrne', score: 0.7, source: model },
      { category: 'hate/threatening', score: 0.4, source: model },
    ]);
    expect(out.S9).toBe(0.7);
    expect(out.S10).toBe(0.4);
    expect(out.S1).toBe(0.4);
    expect(out.S12).toBe(0);
  });

  it('rejects unknown categories and bad values, naming the field', () => {
    expect(codeOf(() => fromOpenAIScores({ spam: 0.1 }, model))).toBe('ERR_VALIDATION:category_scores.spam');
    expect(codeOf(() => fromOpenAIScores({ hate: 1.5 }, model))).toBe('ERR_VALIDATION:category_scores.hate');
    expect(codeOf(() => fromAzureAnalysis([{ category: 'Spam', severity: 1 }], model))).toBe(
      'ERR_VALIDATION:categoriesAnalysis[0].category',
    );
    expect(codeOf(() => fromAzureAnalysis([{ category: 'Hate', severity: 8 }], model))).toBe(
      'ERR_VALIDATION:severity',
    );
    expect(codeOf(() => fromMlcHazards({ S15: 0.5 }, model))).toBe('ERR_VALIDATION:hazards.S15');
    expect(codeOf(() => fromMlcHazards({ S1: Number.NaN }, model))).toBe('ERR_VALIDATION:hazards.S1');
    expect(codeOf(() => severityToScore(2.5))).toBe('ERR_VALIDATION:severity');
    expect(codeOf(() => scoreToSeverity(-0.1))).toBe('ERR_VALIDATION:score');
  });

  it('validates a score: category, range, source, severity, spans', () => {
    const ok: CategoryScore = {
      category: 'hate',
      score: 0.5,
      source: model,
      severity: 3,
      spans: [{ start: 0, end: 2 }],
    };
    expect(() => validateCategoryScore(ok)).not.toThrow();
    const bad = (s: object): string | undefined =>
      codeOf(() => validateCategoryScore({ ...ok, ...s } as CategoryScore, 's'));
    expect(bad({ category: 'nope' })).toBe('ERR_VALIDATION:s.category');
    expect(bad({ score: 2 })).toBe('ERR_VALIDATION:s.score');
    expect(bad({ score: Number.NaN })).toBe('ERR_VALIDATION:s.score');
    expect(bad({ source: { kind: 'model', name: 'x', version: '' } })).toBe('ERR_VALIDATION:s.source');
    expect(bad({ source: { kind: 'guess', name: 'x', version: '1' } })).toBe('ERR_VALIDATION:s.source');
    expect(bad({ severity: 9 })).toBe('ERR_VALIDATION:s.severity');
    expect(bad({ spans: [{ start: 3, end: 1 }] })).toBe('ERR_VALIDATION:s.spans[0]');
  });

  it('derives a score source from an analyzer description', () => {
    expect(sourceOfAnalyzer({ model: 'obscenity', version: '0.4.6', method: 'lexicon' })).toEqual({
      kind: 'lexicon',
      name: 'obscenity',
      version: '0.4.6',
    });
    expect(sourceOfAnalyzer({ model: 'spam_classifier', version: '1', method: 'trained' }).kind).toBe(
      'model',
    );
    expect(sourceOfAnalyzer({ model: 'x', version: '1', method: 'neural' }).kind).toBe('model');
    expect(sourceOfAnalyzer({ model: 'x', version: '1', method: 'rules' }).kind).toBe('rules');
  });
});
