/**
 * End to end on real text: the UCI "Sentiment Labelled Sentences" set (Kotzias et al., KDD 2015;
 * 1,000 Amazon + 1,000 IMDb + 1,000 Yelp sentences, positive/negative, as shipped in the
 * `sentiment` package's test fixtures) registered as a JSONL data set, split 80/20 stratified and
 * seeded, featurised with the hashed bag of words, and trained with logistic regression. Held-out
 * accuracy of bag-of-words models on this set is about 0.78–0.82; a floor of 0.75 catches a broken
 * pipeline without depending on the last decimal.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictClass, trainHead } from '../../core/train/trainer.js';
import { hashedTextFeatures, trainingDataFromDataset } from './features.js';
import { ArtifactDatasetStore } from './store.js';
import { MemoryArtifactStore } from './testkit.js';

const fixtures = join(
  dirname(createRequire(import.meta.url).resolve('sentiment/package.json')),
  'test',
  'fixtures',
);

function uciSentimentJsonl(): Uint8Array {
  const lines: string[] = [];
  for (const source of ['amazon', 'imdb', 'yelp']) {
    const rows = JSON.parse(readFileSync(join(fixtures, `${source}.json`), 'utf8')) as Array<{
      text: string;
      class: number;
    }>;
    for (const r of rows)
      lines.push(JSON.stringify({ text: r.text, label: r.class === 1 ? 'positive' : 'negative', source }));
  }
  return new TextEncoder().encode(lines.join('\n'));
}

describe('UCI sentiment sentences, hashed bag of words + logistic regression', () => {
  it('reaches at least 75 % held-out accuracy on a seeded 80/20 stratified split', async () => {
    const store = new ArtifactDatasetStore({ artifacts: new MemoryArtifactStore() });
    const v = await store.register({
      name: 'uci-sentiment',
      source: { format: 'jsonl', content: uciSentimentJsonl() },
      split: { seed: 7, testFraction: 0.2, validationFraction: 0 },
    });
    expect(v.rowCount).toBe(3003);
    expect(v.classes).toEqual(['negative', 'positive']);
    const rows = await store.rows(v.name, v.version);
    const { data, test } = trainingDataFromDataset(
      rows,
      v.schema,
      v.classes,
      await store.splitIndices(v.name, v.version),
      hashedTextFeatures({ dimensions: 4096 }),
    );
    expect(test.y.length).toBe(601);
    const head = trainHead(data, {
      kind: 'logistic',
      standardize: false,
      learningRate: 0.05,
      l2: 1e-4,
      epochs: 40,
      seed: 7,
      earlyStopping: { patience: 4, minDelta: 1e-4 },
    });
    const predicted = predictClass(head, test.x);
    let hits = 0;
    for (let i = 0; i < test.y.length; i++) if (predicted[i] === test.y[i]) hits++;
    expect(hits / test.y.length).toBeGreaterThanOrEqual(0.75);
  });
});
