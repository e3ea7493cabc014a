import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { IBAN_LENGTHS, ibanValid } from '../checksums.js';
import { boundaryAfter, boundaryBefore, isAlnum, isAsciiLetter, isDigit } from '../text.js';

/**
 * IBANs (ISO 13616), compact ("GB82WEST12345698765432") or printed in groups of four separated by
 * single spaces ("GB82 WEST 1234 5698 7654 32"), any letter case. The country code fixes the
 * length, so the scanner reads exactly that many characters and then requires a token boundary;
 * the mod-97 check decides.
 */
export class IbanRecognizer implements Recognizer {
  readonly name = 'IbanRecognizer';
  readonly entities = ['IBAN_CODE'] as const;
  readonly context = ['iban', 'bank', 'account', 'transfer', 'wire', 'bic', 'swift', 'sepa'];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    for (let i = 0; i + 4 <= text.length; i++) {
      if (
        !isAsciiLetter(text[i]) ||
        !isAsciiLetter(text[i + 1]) ||
        !isDigit(text[i + 2]) ||
        !isDigit(text[i + 3])
      )
        continue;
      if (!boundaryBefore(text, i)) continue;
      const expected = IBAN_LENGTHS[text.slice(i, i + 2).toUpperCase()];
      if (expected === undefined) continue;
      const match = this.read(text, i, expected);
      if (match === undefined || !ibanValid(match.compact)) continue;
      out.push({
        entity: 'IBAN_CODE',
        start: i,
        end: match.end,
        score: 0.95,
        recognizer: this.name,
        explanation: 'country length and mod-97 check valid',
      });
      i = match.end - 1;
    }
    return out;
  }

  /** Read `length` alphanumerics from `i`, allowing one space after each full group of four. */
  private read(text: string, i: number, length: number): { compact: string; end: number } | undefined {
    let compact = '';
    let p = i;
    while (compact.length < length) {
      const ch = text[p];
      if (isAlnum(ch) && ch !== undefined && ch.charCodeAt(0) < 128) {
        compact += ch;
        p++;
      } else if (ch === ' ' && compact.length % 4 === 0 && compact.length > 0 && isAlnum(text[p + 1])) {
        p++;
      } else {
        return undefined;
      }
    }
    return boundaryAfter(text, p) ? { compact, end: p } : undefined;
  }
}
