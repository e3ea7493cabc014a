import { describe, expect, it } from 'vitest';
import {
  checkStudy,
  checkUpload,
  defaultStudyForm,
  nameFromFile,
  UPLOAD_DEFAULTS,
  type StudyForm,
} from './lifecycle-forms';

const file = { name: 'reviews.csv', size: 120 };

describe('upload form', () => {
  it('suggests a valid data set name from the file name', () => {
    expect(nameFromFile('UCI sentences (2).csv')).toBe('UCI-sentences-2');
    expect(nameFromFile('__x.jsonl')).toBe('x');
  });

  it('sends only the options that are set', () => {
    const { errors, options } = checkUpload(
      { ...UPLOAD_DEFAULTS, name: 'reviews', labelField: ' sentiment ' },
      file,
    );
    expect(errors).toEqual({});
    expect(options).toEqual({
      name: 'reviews',
      badRows: 'reject',
      labelField: 'sentiment',
      splitSeed: 0,
      validationFraction: 0.1,
      testFraction: 0.1,
    });
  });

  it('names each wrong field', () => {
    const { errors, options } = checkUpload(
      {
        ...UPLOAD_DEFAULTS,
        name: 'bad name',
        splitSeed: '1.5',
        validationFraction: '0.6',
        testFraction: '0.5',
      },
      { name: 'notes.txt', size: 3 },
    );
    expect(options).toBeUndefined();
    expect(Object.keys(errors).sort()).toEqual(['file', 'name', 'splitSeed', 'testFraction']);
    expect(errors['testFraction']).toMatch(/sum below 1/);
    expect(checkUpload(UPLOAD_DEFAULTS, undefined).errors['file']).toMatch(/Choose/);
    expect(
      checkUpload({ ...UPLOAD_DEFAULTS, name: 'x', testFraction: '1' }, file).errors['testFraction'],
    ).toMatch(/fraction from 0/);
  });
});

const form = (patch: Partial<StudyForm> = {}): StudyForm => ({
  ...defaultStudyForm(),
  name: 'sentiment',
  dataset: 'uci',
  ...patch,
});

describe('new study form', () => {
  it('builds the docs example spec from the defaults', () => {
    const { errors, spec } = checkStudy(form());
    expect(errors).toEqual({});
    expect(spec).toEqual({
      name: 'sentiment',
      metric: 'valAccuracy',
      direction: 'maximize',
      nTrials: 20,
      concurrency: 2,
      sampler: { type: 'tpe', seed: 7 },
      pruner: { type: 'median' },
      dataset: { id: 'uci' },
      searchSpace: {
        model: { type: 'categorical', choices: ['logistic', 'mlp'] },
        lr: { type: 'float', low: 0.001, high: 0.3, log: true },
        hidden: { type: 'int', low: 8, high: 128, log: true },
      },
      training: { epochs: 10 },
      modelName: 'sentiment',
      alias: 'champion',
    });
  });

  it('pins a version and a featuriser when given; searched epochs replace the fixed ones', () => {
    const f = form({ datasetVersion: '2', dimensions: '256' });
    f.params.epochs = { ...f.params.epochs, enabled: true };
    const { spec } = checkStudy(f);
    expect(spec?.dataset).toEqual({ id: 'uci', version: 2 });
    expect(spec?.featurizer).toEqual({ type: 'hashed-bow', dimensions: 256, bigrams: false });
    expect(spec?.training).toBeUndefined();
    expect(spec?.searchSpace['epochs']).toEqual({ type: 'int', low: 2, high: 10, log: false });
  });

  it('asks for the media featuriser of a data set of files (it wins over text dimensions)', () => {
    for (const type of ['image-embedding', 'audio-features', 'video-features'] as const) {
      expect(checkStudy(form({ mediaFeatures: type, dimensions: '256' })).spec?.featurizer).toEqual({ type });
    }
    expect(checkStudy(form({ mediaFeatures: '' })).spec?.featurizer).toBeUndefined();
  });

  it('refuses bad ranges, choices and names before anything is sent', () => {
    const f = form({ name: '-x', alias: 'v2', nTrials: '0' });
    f.params.lr = { ...f.params.lr, low: '0', log: true };
    f.params.hidden = { ...f.params.hidden, low: '8.5' };
    f.params.model = { ...f.params.model, choices: 'logistic, tree' };
    const { errors, spec } = checkStudy(f);
    expect(spec).toBeUndefined();
    expect(errors['name']).toBeDefined();
    expect(errors['alias']).toMatch(/version/);
    expect(errors['nTrials']).toBeDefined();
    expect(errors['param.lr']).toMatch(/log scale/);
    expect(errors['param.hidden']).toMatch(/whole numbers/);
    expect(errors['param.model']).toMatch(/tree/);
  });

  it('needs choices for a grid search and builds its grid', () => {
    const f = form({ sampler: 'grid' });
    expect(checkStudy(f).errors['sampler']).toMatch(/lr, hidden/);
    f.params.lr = { ...f.params.lr, mode: 'choices', choices: '0.01, 0.1' };
    f.params.hidden = { ...f.params.hidden, enabled: false };
    const { spec } = checkStudy(f);
    expect(spec?.sampler).toEqual({
      type: 'grid',
      seed: 7,
      searchSpace: { model: ['logistic', 'mlp'], lr: [0.01, 0.1] },
    });
  });

  it('needs at least one searched parameter', () => {
    const f = form();
    for (const k of Object.keys(f.params) as Array<keyof StudyForm['params']>)
      f.params[k] = { ...f.params[k], enabled: false };
    expect(checkStudy(f).errors['searchSpace']).toBeDefined();
  });
});
