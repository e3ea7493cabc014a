import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { ssnValid } from '../checksums.js';

/**
 * AAA-GG-SSSS, AAA GG SSSS or nine bare digits, not glued to letters/digits and not part of a
 * longer dashed or dotted number. Each alternative is a fixed-length sequence (the separator is
 * a backreference), so the regex engine does bounded work per position: linear overall.
 */
const SSN_SHAPE = /(?<![\p{L}\p{N}.-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\p{L}\p{N}]|[-.]\d)/gu;

/**
 * US Social Security Numbers in the printed form AAA-GG-SSSS (also with spaces) or as nine bare
 * digits, rejected when the SSA never assigns them (area 000, 666, 900–999, group 00, serial
 * 0000, specimen numbers). Bare nine-digit numbers are ambiguous (passport, routing and order
 * numbers), so they score below the default threshold and need a context word.
 */
export class UsSsnRecognizer implements Recognizer {
  readonly name = 'UsSsnRecognizer';
  readonly entities = ['US_SSN'] as const;
  readonly context = [
    'ssn',
    'ssns',
    'social security',
    'social security number',
    'ss#',
    'ss #',
    'taxpayer',
    'tin',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    for (const m of text.matchAll(SSN_SHAPE)) {
      const sep = m[2]!;
      const end = m.index + m[0].length;
      // "123 45 6789 1" is a longer spaced number, not an SSN.
      if (sep === ' ' && text[end] === ' ' && /\d/.test(text[end + 1] ?? '')) continue;
      if (!ssnValid(m[1]! + m[3]! + m[4]!)) continue;
      const separated = sep !== '';
      out.push({
        entity: 'US_SSN',
        start: m.index,
        end,
        score: sep === '-' ? 0.85 : separated ? 0.6 : 0.3,
        recognizer: this.name,
        explanation: separated ? 'AAA-GG-SSSS form, valid ranges' : 'nine digits, valid ranges',
      });
    }
    return out;
  }
}
