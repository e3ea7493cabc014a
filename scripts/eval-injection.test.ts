/**
 * Keeps the injection evaluation honest: the committed labelled set is exactly what the seeded
 * generator produces, and the detector's figures on it are the ones docs/safety-policies.md
 * reports. A change to the heuristics that moves any figure fails here until the doc is
 * regenerated (npx tsx scripts/eval-injection.ts) and these numbers are updated with it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeMarkdownTables } from '../src/safety/taxonomy-doc.js';
import {
  DATASET_PATH,
  formatReport,
  generateInjectionDataset,
  readDataset,
  runEvaluation,
  serializeDataset,
} from './eval-injection.js';

/** The reported confusion matrix at threshold 0.5 (docs/safety-policies.md). */
const EXPECTED = { tp: 102, fp: 1, tn: 118, fn: 11, precision: 0.99, recall: 0.903, f1: 0.944 };

describe('injection evaluation', () => {
  const items = readDataset();

  it('the committed set is the seeded generator output, at least 200 items, roughly balanced', () => {
    expect(readFileSync(DATASET_PATH, 'utf8')).toBe(serializeDataset(generateInjectionDataset()));
    expect(items.length).toBeGreaterThanOrEqual(200);
    const positives = items.filter((i) => i.injection).length;
    expect(positives / items.length).toBeGreaterThan(0.4);
    expect(positives / items.length).toBeLessThan(0.6);
    expect(new Set(items.map((i) => i.text)).size).toBe(items.length);
  });

  it('reports the documented precision, recall and F1', () => {
    const ev = runEvaluation(items);
    const o = ev.overall;
    expect({ tp: o.tp, fp: o.fp, tn: o.tn, fn: o.fn }).toEqual({
      tp: EXPECTED.tp,
      fp: EXPECTED.fp,
      tn: EXPECTED.tn,
      fn: EXPECTED.fn,
    });
    expect(o.precision).toBeCloseTo(EXPECTED.precision, 3);
    expect(o.recall).toBeCloseTo(EXPECTED.recall, 3);
    expect(o.f1).toBeCloseTo(EXPECTED.f1, 3);
    // The doc shows exactly what the script would write now.
    expect(normalizeMarkdownTables(readFileSync('docs/safety-policies.md', 'utf8'))).toContain(
      normalizeMarkdownTables(formatReport(ev, items)),
    );
  });
});
