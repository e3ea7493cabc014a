import { describe, expect, it } from 'vitest';
import { evaluatePii, formatEvaluationTable, scoresOf } from './evaluation.js';
import type { Finding } from './types.js';

const pred = (entity: Finding['entity'], start: number, end: number): Finding => ({
  entity,
  start,
  end,
  score: 1,
  recognizer: 't',
});

describe('evaluatePii', () => {
  it('computes exact-span and token-level counts', () => {
    const text = 'Ann Lee paid 4111 1111 1111 1111 from 10.0.0.1';
    //            0   4       13                  33   38
    const examples = [
      {
        text,
        spans: [
          { entity: 'PERSON' as const, start: 0, end: 7 },
          { entity: 'CREDIT_CARD' as const, start: 13, end: 32 },
          { entity: 'IP_ADDRESS' as const, start: 38, end: 46 },
        ],
      },
    ];
    // Person span too short (token overlap only), card exact, IP missed, one false URL.
    const report = evaluatePii(examples, () => [
      pred('PERSON', 0, 3),
      pred('CREDIT_CARD', 13, 32),
      pred('URL', 33, 37),
    ]);
    const by = Object.fromEntries(report.entities.map((m) => [m.entity, m]));
    expect(by.PERSON!.exact).toMatchObject({ tp: 0, fp: 1, fn: 1 });
    expect(by.PERSON!.token).toMatchObject({ tp: 1, fp: 0, fn: 1 });
    expect(by.CREDIT_CARD!.exact).toMatchObject({ tp: 1, fp: 0, fn: 0, precision: 1, recall: 1, f2: 1 });
    expect(by.CREDIT_CARD!.token).toMatchObject({ tp: 4, fp: 0, fn: 0 });
    expect(by.IP_ADDRESS!.exact).toMatchObject({ tp: 0, fp: 0, fn: 1, precision: null, recall: 0, f2: 0 });
    expect(by.IP_ADDRESS!.token).toMatchObject({ tp: 0, fn: 4 });
    expect(by.URL!.exact).toMatchObject({ tp: 0, fp: 1, fn: 0, recall: null, f2: null });
    expect(by.URL!.support).toBe(0);
    expect(report.overall.exact).toMatchObject({ tp: 1, fp: 2, fn: 2 });
    expect(formatEvaluationTable(report)).toMatch(/\| CREDIT_CARD \| 1 \| 1\.000 \| 1\.000 \| 1\.000 \|/);
  });

  it('F2 weighs recall over precision', () => {
    const s = scoresOf({ tp: 8, fp: 2, fn: 0 }); // P 0.8, R 1
    expect(s.f2).toBeCloseTo((5 * 0.8 * 1) / (4 * 0.8 + 1));
    expect(scoresOf({ tp: 0, fp: 3, fn: 3 }).f2).toBe(0);
  });
});
