/**
 * Regression gate on the committed synthetic evaluation set (test/fixtures/pii/eval.jsonl,
 * regenerate with scripts/pii-dataset/generate.ts). Fails CI when detection quality drops below
 * the targets in docs/safety.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { LibphonenumberPhoneValidator } from '../../../adapters/pii-phone-libphonenumber/index.js';
import { PiiAnalyzer } from './analyzer.js';
import { evaluatePii, formatEvaluationTable } from './evaluation.js';
import type { EvalExample } from './evaluation.js';
import { defaultRecognizers } from './recognizers/index.js';
import type { PiiEntity } from './types.js';

const examples: EvalExample[] = readFileSync(
  new URL('../../../../test/fixtures/pii/eval.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as EvalExample);

const analyzer = new PiiAnalyzer({
  recognizers: defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() }),
});
const report = evaluatePii(examples, (t) => analyzer.analyze(t, { regions: ['US', 'GB'] }));

const CHECKSUM_VALIDATED: readonly PiiEntity[] = ['CREDIT_CARD', 'IBAN_CODE', 'CRYPTO_WALLET', 'US_SSN'];

describe('PII evaluation set', () => {
  it('is large enough and has hard negatives', () => {
    expect(examples.length).toBeGreaterThanOrEqual(500);
    expect(examples.filter((e) => e.spans.length === 0).length).toBeGreaterThanOrEqual(100);
    for (const e of examples) for (const s of e.spans) expect(s.end).toBeLessThanOrEqual(e.text.length);
  });

  it.each(CHECKSUM_VALIDATED)('%s: recall ≥ 0.99 and precision ≥ 0.97 (exact spans)', (entity) => {
    const m = report.entities.find((x) => x.entity === entity);
    expect(m, formatEvaluationTable(report)).toBeDefined();
    expect(m!.support).toBeGreaterThanOrEqual(30);
    expect(m!.exact.recall!, formatEvaluationTable(report)).toBeGreaterThanOrEqual(0.99);
    expect(m!.exact.precision!, formatEvaluationTable(report)).toBeGreaterThanOrEqual(0.97);
  });

  it('overall F2 ≥ 0.85 (exact spans and token level)', () => {
    expect(report.overall.exact.f2!, formatEvaluationTable(report)).toBeGreaterThanOrEqual(0.85);
    expect(report.overall.token.f2!, formatEvaluationTable(report)).toBeGreaterThanOrEqual(0.85);
  });
});
