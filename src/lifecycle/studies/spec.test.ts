import { describe, expect, it } from 'vitest';
import { RandomSampler } from '../../core/hpo/samplers.js';
import { Study } from '../../core/hpo/study.js';
import type { StudySpec } from '../../core/ports/study-store.js';
import {
  checkTrialConfigs,
  parseDistribution,
  parseFeaturizer,
  parseStudySpec,
  suggestTrialParams,
  trialConfig,
} from './spec.js';

const minimal = {
  name: 'reviews-hpo',
  nTrials: 20,
  dataset: { id: 'reviews' },
  searchSpace: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } },
};

describe('parseStudySpec', () => {
  it('fills the defaults: valLoss minimised, TPE seed 0, median pruner, one trial at a time', () => {
    const spec = parseStudySpec(minimal);
    expect(spec).toMatchObject({
      name: 'reviews-hpo',
      metric: 'valLoss',
      direction: 'minimize',
      nTrials: 20,
      concurrency: 1,
      modelName: 'reviews-hpo',
      alias: 'champion',
      training: {},
      dataset: { id: 'reviews' },
    });
    expect(spec.sampler).toEqual({
      type: 'tpe',
      seed: 0,
      nStartupTrials: 10,
      nEiCandidates: 24,
      priorWeight: 1,
      considerMagicClip: true,
      considerEndpoints: false,
      gammaRatio: 0.1,
      gammaMax: 25,
    });
    expect(spec.pruner).toMatchObject({ type: 'median', percentile: 50, nStartupTrials: 5 });
    expect(spec.searchSpace['lr']).toEqual({ type: 'float', low: 0.001, high: 0.1, log: true, step: null });
    expect(spec.featurizer).toBeUndefined();
    // Accuracy-like metrics are maximised unless told otherwise.
    expect(parseStudySpec({ ...minimal, metric: 'valMacroF1' }).direction).toBe('maximize');
  });

  it('refuses what it does not understand, naming the field', () => {
    const field = (raw: unknown): unknown => {
      try {
        parseStudySpec(raw);
      } catch (e) {
        return (e as { details?: { field?: unknown } }).details?.field;
      }
      return 'accepted';
    };
    expect(field({ ...minimal, name: '../etc' })).toBe('name');
    expect(field({ ...minimal, nTrials: 1.5 })).toBe('nTrials');
    expect(field({ ...minimal, concurrency: 0 })).toBe('concurrency');
    expect(field({ ...minimal, direction: 'up' })).toBe('direction');
    expect(field({ ...minimal, colour: 1 })).toBe('spec.colour');
    expect(field({ ...minimal, dataset: { id: 'r', version: 0 } })).toBe('dataset.version');
    expect(field({ ...minimal, searchSpace: {} })).toBe('searchSpace');
    expect(field({ ...minimal, searchSpace: { dropout: { type: 'float', low: 0, high: 1 } } })).toBe(
      'searchSpace.dropout',
    );
    expect(field({ ...minimal, searchSpace: { hidden: { type: 'float', low: 1, high: 4 } } })).toBe(
      'searchSpace.hidden.type',
    );
    expect(
      field({ ...minimal, searchSpace: { model: { type: 'categorical', choices: ['logistic', 'svm'] } } }),
    ).toBe('searchSpace.model.choices');
    expect(field({ ...minimal, alias: 'latest' })).toBe('alias');
    expect(field({ ...minimal, training: { momentum: 0.9 } })).toBe('training.momentum');
    expect(() => parseStudySpec({ ...minimal, sampler: { type: 'cma' } })).toThrow(/unknown sampler type/);
  });
});

describe('distributions and featurizers', () => {
  it('parses float, int and categorical distributions with Optuna rules', () => {
    expect(parseDistribution('p', { type: 'int', low: 2, high: 11, step: 3 })).toEqual({
      type: 'int',
      low: 2,
      high: 11,
      log: false,
      step: 3,
    });
    expect(parseDistribution('p', { type: 'categorical', choices: [16, 32] })).toEqual({
      type: 'categorical',
      choices: [16, 32],
    });
    expect(() => parseDistribution('searchSpace.lr', { type: 'float', low: 1, high: 0 })).toThrow(
      /^searchSpace\.lr: float distribution needs low ≤ high/,
    );
    expect(() => parseDistribution('p', { type: 'float', low: 0, high: 1, log: true })).toThrow(/low > 0/);
    expect(() => parseDistribution('p', { type: 'float', low: 0, high: 1, base: 2 })).toThrow(/p\.base/);
  });

  it('parses featurizers with defaults', () => {
    expect(parseFeaturizer({ type: 'hashed-bow' })).toEqual({
      type: 'hashed-bow',
      dimensions: 1024,
      bigrams: false,
    });
    expect(parseFeaturizer({ type: 'tabular' })).toEqual({ type: 'tabular' });
    expect(() => parseFeaturizer({ type: 'hashed-bow', dimensions: 1 })).toThrow(/dimensions/);
    expect(() => parseFeaturizer({ type: 'bert' })).toThrow(/featurizer.type/);
  });

  it('parses video-features with its sampling defaults and bounds', () => {
    expect(parseFeaturizer({ type: 'video-features' })).toEqual({
      type: 'video-features',
      model: 'mobilenet_v2',
      audio: 'log-mel-stats',
      fps: 2,
      maxFrames: 8,
    });
    expect(parseFeaturizer({ type: 'video-features', fps: 0.5, maxFrames: 64 })).toMatchObject({
      fps: 0.5,
      maxFrames: 64,
    });
    expect(() => parseFeaturizer({ type: 'video-features', fps: 0 })).toThrow(/featurizer\.fps/);
    expect(() => parseFeaturizer({ type: 'video-features', fps: 11 })).toThrow(/featurizer\.fps/);
    expect(() => parseFeaturizer({ type: 'video-features', maxFrames: 65 })).toThrow(/maxFrames/);
    expect(() => parseFeaturizer({ type: 'video-features', maxFrames: 2.5 })).toThrow(/maxFrames/);
    expect(() => parseFeaturizer({ type: 'video-features', model: 'resnet' })).toThrow(/featurizer\.model/);
    expect(() => parseFeaturizer({ type: 'video-features', audio: 'mfcc' })).toThrow(/featurizer\.audio/);
    expect(() => parseFeaturizer({ type: 'video-features', frames: 3 })).toThrow(/frames/);
  });
});

const fullSpec = (over: Partial<StudySpec> = {}): StudySpec => ({
  ...(parseStudySpec(minimal) as StudySpec),
  dataset: { id: 'reviews', version: 1 },
  featurizer: { type: 'hashed-bow', dimensions: 64, bigrams: false },
  ...over,
});

describe('trial configurations', () => {
  it('maps sampled parameters onto the trainer configuration', () => {
    const spec = fullSpec({ training: { epochs: 7, l2: 0.01 }, sampler: { type: 'random', seed: 9 } });
    const mlp = trialConfig(spec, { model: 'mlp', lr: 0.05, hidden: 8, hidden2: 4, batchSize: 16 });
    expect(mlp).toMatchObject({
      kind: 'mlp',
      hiddenUnits: [8, 4],
      learningRate: 0.05,
      batchSize: 16,
      epochs: 7,
      l2: 0.01,
      standardize: false,
      seed: 9,
    });
    // A logistic head has no hidden layers, whatever was sampled for them.
    expect(trialConfig(spec, { model: 'logistic', hidden: 8 })).toMatchObject({
      kind: 'logistic',
      hiddenUnits: [],
    });
    // Tabular features are standardised by default; a fixed seed wins over the sampler's.
    const tabular = fullSpec({ featurizer: { type: 'tabular' }, training: { seed: 4, kind: 'mlp' } });
    expect(trialConfig(tabular, {})).toMatchObject({
      standardize: true,
      seed: 4,
      kind: 'mlp',
      hiddenUnits: [32],
    });
  });

  it('checks the corners of the space before a study starts', () => {
    expect(() => checkTrialConfigs(fullSpec())).not.toThrow();
    const tooBig = fullSpec({
      searchSpace: parseStudySpec({
        ...minimal,
        searchSpace: { epochs: { type: 'int', low: 1, high: 200_000 } },
      }).searchSpace,
    });
    expect(() => checkTrialConfigs(tooBig)).toThrow(
      /"epochs":200000.*epochs must be an integer in \[1, 100000\]/,
    );
  });

  it('samples conditionally: hidden widths only for mlp trials, the same for the same seed', () => {
    const space = parseStudySpec({
      ...minimal,
      searchSpace: {
        hidden: { type: 'int', low: 4, high: 64, log: true },
        model: { type: 'categorical', choices: ['logistic', 'mlp'] },
        lr: { type: 'float', low: 0.001, high: 0.1, log: true },
      },
    });
    const draw = (): Array<Record<string, unknown>> => {
      const study = new Study({ sampler: new RandomSampler({ seed: 5 }) });
      return Array.from({ length: 12 }, () => {
        const trial = study.ask();
        const params = suggestTrialParams(trial, space);
        study.tell(trial.number, 0);
        return params;
      });
    };
    const first = draw();
    expect(draw()).toEqual(first);
    expect(new Set(first.map((p) => p['model']))).toEqual(new Set(['logistic', 'mlp']));
    for (const p of first) {
      expect('hidden' in p).toBe(p['model'] === 'mlp');
      expect(p['lr']).toBeGreaterThanOrEqual(0.001);
      expect(p['lr']).toBeLessThanOrEqual(0.1);
    }
  });
});
