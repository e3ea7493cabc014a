import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../errors.js';
import { Rng } from '../random.js';
import {
  decodeCheckpoint,
  decodeHead,
  decodeTrainingData,
  encodeCheckpoint,
  encodeHead,
  encodeTrainingData,
} from './codec.js';
import { fnv1a32, hashedBagOfWords, makeMoons, tokenize } from './features.js';
import { initialParameters, lossAndGradient, networkLayout, Workspace } from './network.js';
import {
  classWeights,
  predictClass,
  predictProba,
  standardizationOf,
  trainHead,
  Trainer,
} from './trainer.js';
import { resolveTrainConfig, type TrainConfig, type TrainedHead, type TrainingData } from './types.js';

function accuracyOf(head: TrainedHead, x: Float32Array, y: Int32Array): number {
  const p = predictClass(head, x);
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) hits++;
  return hits / y.length;
}

function weightsOf(head: TrainedHead): Float32Array[] {
  return head.layers.flatMap((l) => [l.weight, l.bias]);
}

/** Bit patterns, so that equality means identical Float32 values (NaN and −0 included). */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Three well-separated 2-D clusters (a linearly separable 3-class set). */
function clusters(rowsPerClass: number, seed: number): TrainingData {
  const rng = new Rng(seed);
  const centres = [
    [0, 0],
    [6, 0],
    [0, 6],
  ];
  const x = new Float32Array(rowsPerClass * 3 * 2);
  const y = new Int32Array(rowsPerClass * 3);
  for (let i = 0; i < rowsPerClass * 3; i++) {
    const c = i % 3;
    const [cx, cy] = centres[c] as number[];
    x[2 * i] = (cx as number) + rng.uniform(-1, 1);
    x[2 * i + 1] = (cy as number) + rng.uniform(-1, 1);
    y[i] = c;
  }
  return { classes: ['a', 'b', 'c'], dim: 2, train: { x, y } };
}

describe('trainer: known answers', () => {
  it('logistic regression separates a linearly separable 3-class set perfectly', () => {
    const data = clusters(40, 1);
    const head = trainHead(data, {
      kind: 'logistic',
      epochs: 60,
      learningRate: 0.05,
      earlyStopping: null,
      l2: 0,
    });
    expect(accuracyOf(head, data.train.x, data.train.y)).toBe(1);
    expect(head.layers).toHaveLength(1);
    expect(head.training.stopReason).toBe('max-epochs');
    // Softmax rows sum to one.
    const p = predictProba(head, data.train.x);
    for (let r = 0; r < 5; r++)
      expect((p[3 * r] as number) + (p[3 * r + 1] as number) + (p[3 * r + 2] as number)).toBeCloseTo(1, 6);
  });

  it('an MLP learns two moons that logistic regression cannot separate', () => {
    const all = makeMoons(600, { noise: 0.1, extraNoiseDims: 2, seed: 3 });
    const n = 480;
    const data: TrainingData = {
      classes: ['upper', 'lower'],
      dim: all.dim,
      train: { x: all.x.slice(0, n * all.dim), y: all.y.slice(0, n) },
    };
    const test = { x: all.x.slice(n * all.dim), y: all.y.slice(n) };
    const lr = trainHead(data, { kind: 'logistic', epochs: 100, learningRate: 0.02, seed: 1 });
    const mlp = trainHead(data, { kind: 'mlp', hiddenUnits: [32], epochs: 200, learningRate: 0.01, seed: 1 });
    const lrAcc = accuracyOf(lr, test.x, test.y);
    const mlpAcc = accuracyOf(mlp, test.x, test.y);
    expect(lrAcc).toBeGreaterThan(0.8);
    expect(lrAcc).toBeLessThan(0.94);
    expect(mlpAcc).toBeGreaterThanOrEqual(0.97);
    expect(mlpAcc - lrAcc).toBeGreaterThan(0.04);
  });

  it('balanced class weights move the decision towards the minority class', () => {
    // 1-D: 190 rows of class "common" ~ N(0, 1), 10 rows of "rare" ~ N(2, 1). Unweighted, the prior
    // (19:1) pushes the boundary to about x = 1 + ln(19)/2 ≈ 2.47; balanced weights make the
    // priors equal, so the boundary moves to the midpoint x ≈ 1.
    const rng = new Rng(11);
    const rows = 200;
    const x = new Float32Array(rows);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const rare = i % 20 === 0;
      x[i] = rng.normal(rare ? 2 : 0, 1);
      y[i] = rare ? 1 : 0;
    }
    const data: TrainingData = { classes: ['common', 'rare'], dim: 1, train: { x, y } };
    const base: Partial<TrainConfig> = {
      epochs: 300,
      learningRate: 0.05,
      earlyStopping: null,
      l2: 0,
      seed: 2,
    };
    const plain = trainHead(data, base);
    const balanced = trainHead(data, { ...base, classWeight: 'balanced' });
    const probe = Float32Array.of(1.6);
    expect(predictClass(plain, probe)[0]).toBe(0);
    expect(predictClass(balanced, probe)[0]).toBe(1);
    // Far from the boundary both agree.
    expect(predictClass(plain, Float32Array.of(-2))[0]).toBe(0);
    expect(predictClass(balanced, Float32Array.of(5))[0]).toBe(1);
    // Balanced weights are n / (C · n_k).
    expect(
      Array.from(classWeights(resolveTrainConfig({ classWeight: 'balanced' }), data.classes, y)),
    ).toEqual([200 / (2 * 190), 200 / (2 * 10)]);
  });
});

describe('network gradients', () => {
  for (const hidden of [[], [5], [4, 3]]) {
    it(`match finite differences (hidden ${JSON.stringify(hidden)}, class weights, L2)`, () => {
      const rng = new Rng(5);
      const dim = 4;
      const classes = 3;
      const rows = 6;
      const layout = networkLayout([dim, ...hidden, classes]);
      const params = initialParameters(layout, rng);
      // Logistic regression starts at zero; move it off zero so the check is not trivial.
      for (let i = 0; i < params.length; i++) params[i] = (params[i] as number) + rng.uniform(-0.5, 0.5);
      const x = Float32Array.from({ length: rows * dim }, () => rng.uniform(-2, 2));
      x[3] = 0; // a zero input exercises the sparse skip
      const y = Int32Array.from({ length: rows }, (_, i) => i % classes);
      const w = Float64Array.of(1, 2.5, 0.5);
      const index = Int32Array.from({ length: rows }, (_, i) => i);
      const ws = new Workspace(layout, rows);
      const grad = new Float64Array(layout.parameterCount);
      const l2 = 0.1;
      lossAndGradient(layout, params, x, y, w, l2, index, 0, rows, ws, grad);
      const scratch = new Float64Array(layout.parameterCount);
      const h = 1e-6;
      let worst = 0;
      for (let i = 0; i < params.length; i++) {
        const saved = params[i] as number;
        params[i] = saved + h;
        const up = lossAndGradient(layout, params, x, y, w, l2, index, 0, rows, ws, scratch);
        params[i] = saved - h;
        const down = lossAndGradient(layout, params, x, y, w, l2, index, 0, rows, ws, scratch);
        params[i] = saved;
        const numeric = (up - down) / (2 * h);
        const analytic = grad[i] as number;
        worst = Math.max(
          worst,
          Math.abs(numeric - analytic) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic)),
        );
      }
      expect(worst).toBeLessThan(1e-6);
    });
  }
});

describe('determinism and checkpoints', () => {
  const moons = makeMoons(300, { noise: 0.2, extraNoiseDims: 3, seed: 9 });
  const data: TrainingData = { classes: ['0', '1'], dim: moons.dim, train: { x: moons.x, y: moons.y } };
  const config: Partial<TrainConfig> = {
    kind: 'mlp',
    hiddenUnits: [16, 8],
    epochs: 12,
    learningRate: 0.01,
    classWeight: 'balanced',
    seed: 77,
    earlyStopping: { patience: 50, minDelta: 0 },
  };

  it('the same seed gives identical Float32 weights; another seed gives others', () => {
    const a = weightsOf(trainHead(data, config));
    const b = weightsOf(trainHead(data, config));
    const c = weightsOf(trainHead(data, { ...config, seed: 78 }));
    expect(a.map(bits)).toEqual(b.map(bits));
    expect(a.map(bits)).not.toEqual(c.map(bits));
  });

  it('a run resumed from a serialised checkpoint ends with the same bits as an uninterrupted one', () => {
    const whole = trainHead(data, config);
    const first = new Trainer(data, config);
    for (let i = 0; i < 5; i++) first.runEpoch();
    const bytes = encodeCheckpoint({ identity: first.identity, state: first.snapshot() });
    // The first trainer keeps going: the snapshot must not share its arrays.
    first.runEpoch();
    const resumed = new Trainer(data, config, decodeCheckpoint(bytes));
    expect(resumed.epoch).toBe(5);
    const head = resumed.runToEnd();
    expect(weightsOf(head).map(bits)).toEqual(weightsOf(whole).map(bits));
    expect(head.training.history).toEqual(whole.training.history);
  });

  it('refuses a checkpoint from another run', () => {
    const t = new Trainer(data, config);
    t.runEpoch();
    const cp = decodeCheckpoint(encodeCheckpoint({ identity: t.identity, state: t.snapshot() }));
    expect(() => new Trainer(data, { ...config, learningRate: 0.02 }, cp)).toThrow(
      /another run: config differs/,
    );
    expect(() => decodeCheckpoint(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(KaleidoError);
  });

  it('early stopping keeps the best epoch and stops after `patience` epochs without improvement', () => {
    // A high learning rate on tiny data overfits quickly, so validation loss turns up early.
    const head = trainHead(data, {
      kind: 'mlp',
      hiddenUnits: [64],
      epochs: 500,
      learningRate: 0.05,
      l2: 0,
      seed: 1,
      earlyStopping: { patience: 3, minDelta: 0 },
      validationFraction: 0.3,
    });
    expect(head.training.stopReason).toBe('early-stopping');
    expect(head.training.epochs).toBeLessThan(500);
    expect(head.training.epochs - head.training.bestEpoch).toBe(3);
    const losses = head.training.history.map((m) => m.valLoss as number);
    expect(Math.min(...losses)).toBe(losses[head.training.bestEpoch - 1]);
  });

  it('a head survives encode/decode unchanged', () => {
    const head = trainHead(data, { ...config, epochs: 2 });
    const back = decodeHead(encodeHead(head));
    expect(back.classes).toEqual(head.classes);
    expect(back.training).toEqual(head.training);
    expect(weightsOf(back).map(bits)).toEqual(weightsOf(head).map(bits));
    expect(bits(back.standardization!.mean)).toEqual(bits(head.standardization!.mean));
    expect(Array.from(predictProba(back, data.train.x.subarray(0, 5 * data.dim)))).toEqual(
      Array.from(predictProba(head, data.train.x.subarray(0, 5 * data.dim))),
    );
  });

  it('decodes a head that is a view into a larger buffer (a pooled Node Buffer)', () => {
    // Regression: decoding used bytes.slice(), which on a Node Buffer is a view; its .buffer was
    // the whole pooled allocation, so weight arrays came back too long ("offset is out of bounds").
    const head = trainHead(data, { ...config, epochs: 1 });
    const encoded = encodeHead(head);
    const big = new Uint8Array(encoded.length + 4096 + 3);
    big.set(encoded, 3);
    const pooled = Buffer.from(big.buffer, 3, encoded.length);
    expect(pooled.buffer.byteLength).toBeGreaterThan(encoded.length);
    const back = decodeHead(pooled);
    expect(weightsOf(back).map(bits)).toEqual(weightsOf(head).map(bits));
    expect(Array.from(predictProba(back, data.train.x.subarray(0, 3 * data.dim)))).toEqual(
      Array.from(predictProba(head, data.train.x.subarray(0, 3 * data.dim))),
    );
  });
});

describe('standardisation and validation of input', () => {
  it('uses population statistics and 1 for constant columns', () => {
    const s = standardizationOf(Float32Array.of(1, 5, 3, 5), 2);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]);
  });

  it('rejects bad configs and bad data with clear errors', () => {
    expect(() => resolveTrainConfig({ kind: 'mlp', hiddenUnits: [1, 2, 3] })).toThrow(/one or two layers/);
    expect(() => resolveTrainConfig({ kind: 'logistic', hiddenUnits: [4] })).toThrow(/must be empty/);
    expect(() => resolveTrainConfig({ learningRate: 0 })).toThrow(/learningRate/);
    expect(() => resolveTrainConfig({ classWeight: { a: -1 } })).toThrow(/positive number/);
    const x = Float32Array.of(0, 1, NaN, 1);
    expect(() =>
      trainHead({ classes: ['a', 'b'], dim: 1, train: { x, y: Int32Array.of(0, 1, 0, 1) } }),
    ).toThrow(/row 2 column 0 is not a finite number/);
    expect(() =>
      trainHead({ classes: ['a', 'b'], dim: 1, train: { x: Float32Array.of(1, 2), y: Int32Array.of(0, 2) } }),
    ).toThrow(/class index 2/);
    expect(() =>
      trainHead({ classes: ['a'], dim: 1, train: { x: Float32Array.of(1), y: Int32Array.of(0) } }),
    ).toThrow(/two classes/);
  });
});

describe('hashed bag of words', () => {
  it('is deterministic, L2-normalised, and puts a token where FNV-1a says', () => {
    expect(tokenize("Don't STOP, 2 believin'!")).toEqual(["don't", 'stop', '2', "believin'"]);
    // FNV-1a 32 test vector: "a" → 0xe40c292c.
    expect(fnv1a32('a')).toBe(0xe40c292c);
    const dim = 64;
    const x = hashedBagOfWords(['good good movie', 'good good movie', ''], { dimensions: dim });
    expect(Array.from(x.subarray(0, dim))).toEqual(Array.from(x.subarray(dim, 2 * dim)));
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (x[j] as number) ** 2;
    expect(norm).toBeCloseTo(1, 6);
    expect(Array.from(x.subarray(2 * dim)).every((v) => v === 0)).toBe(true);
    const h = fnv1a32('w:good');
    const bucket = h % dim;
    const sign = h & 0x80000000 ? -1 : 1;
    expect(Math.sign(x[bucket] as number)).toBe(sign);
    expect(() => hashedBagOfWords(['x'], { dimensions: 1 })).toThrow(KaleidoError);
  });
});

describe('byte formats', () => {
  it('training data round-trips exactly, with and without validation rows', () => {
    const train = { x: Float32Array.of(0.1, -2, 3.5, 1e-30), y: Int32Array.of(0, 1) };
    const validation = { x: Float32Array.of(7, 8), y: Int32Array.of(1) };
    for (const data of [
      { classes: ['n', 'p'], dim: 2, train },
      { classes: ['n', 'p'], dim: 2, train, validation },
    ] satisfies TrainingData[]) {
      const back = decodeTrainingData(encodeTrainingData(data));
      expect(back).toEqual(data);
      expect(back.train.x).toBeInstanceOf(Float32Array);
      expect(back.train.y).toBeInstanceOf(Int32Array);
    }
  });

  it('refuses corrupt or foreign bytes with ERR_VALIDATION', () => {
    const data: TrainingData = {
      classes: ['a', 'b'],
      dim: 1,
      train: { x: Float32Array.of(1, 2), y: Int32Array.of(0, 1) },
    };
    const good = encodeTrainingData(data);
    const truncated = good.slice(0, good.length - 4);
    expect(() => decodeTrainingData(truncated)).toThrow(/truncated/);
    const badHeader = good.slice();
    badHeader[9] = 0x7b; // break the JSON header
    expect(() => decodeTrainingData(badHeader)).toThrow(KaleidoError);
    const tooLong = good.slice();
    new DataView(tooLong.buffer).setUint32(4, 1 << 30, true);
    expect(() => decodeTrainingData(tooLong)).toThrow(/truncated header/);
    // A head is not a checkpoint, and neither is training data.
    const head = encodeHead(trainHead(data, { epochs: 1, earlyStopping: null }));
    expect(() => decodeCheckpoint(head)).toThrow(/unknown format/);
    expect(() => decodeHead(good)).toThrow(/unknown format/);
    expect(() => decodeTrainingData(head)).toThrow(/unknown format/);
  });

  it('validates every config field', () => {
    const bad: Array<[Partial<TrainConfig>, RegExp]> = [
      [{ kind: 'svm' as never }, /kind/],
      [{ hiddenUnits: [0] as never, kind: 'mlp' }, /hiddenUnits/],
      [{ epochs: 0 }, /epochs/],
      [{ batchSize: 1.5 }, /batchSize/],
      [{ l2: -1 }, /l2/],
      [{ classWeight: 'auto' as never }, /classWeight/],
      [{ standardize: 'yes' as never }, /standardize/],
      [{ earlyStopping: { patience: 0, minDelta: 0 } }, /earlyStopping/],
      [{ validationFraction: 1 }, /validationFraction/],
      [{ seed: 0.5 }, /seed/],
      [{ adam: { beta1: 1, beta2: 0.9, epsilon: 1e-8 } }, /adam/],
    ];
    for (const [config, message] of bad) {
      expect(() => resolveTrainConfig(config), JSON.stringify(config)).toThrow(message);
    }
    // Equal configs serialise equally whatever the key order given.
    expect(JSON.stringify(resolveTrainConfig({ seed: 1, epochs: 3 }))).toBe(
      JSON.stringify(resolveTrainConfig({ epochs: 3, seed: 1 })),
    );
    expect(() =>
      classWeights(resolveTrainConfig({ classWeight: { zebra: 2 } }), ['a', 'b'], Int32Array.of(0, 1)),
    ).toThrow(/unknown class "zebra"/);
  });
});
