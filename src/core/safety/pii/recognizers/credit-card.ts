import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import { cardBrand, luhnValid } from '../checksums.js';
import { boundaryAfter, isAlnum, isDigit } from '../text.js';

interface DigitGroup {
  start: number;
  end: number;
  digits: string;
}

/**
 * Payment card numbers: 12–19 digits, optionally grouped with single spaces or dashes (one kind of
 * separator per number), starting with a known issuer prefix of the right length, with a valid
 * Luhn check digit. Runs longer than 19 digits are searched for a valid window of whole groups,
 * so "ref 1200 4111 1111 1111 1111" still finds the card while a 24-digit account number does not.
 * No negative context: "paid order 123 with 4111 …" must still be caught, and a random number
 * with a card prefix passes Luhn only one time in ten.
 */
export class CreditCardRecognizer implements Recognizer {
  readonly name = 'CreditCardRecognizer';
  readonly entities = ['CREDIT_CARD'] as const;
  readonly context = ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'payment', 'pan'];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let i = 0;
    while (i < text.length) {
      if (!isDigit(text[i]) || isAlnum(text[i - 1]) || text[i - 1] === '.' || text[i - 1] === ',') {
        i++;
        continue;
      }
      const groups = this.readGroups(text, i);
      const last = groups[groups.length - 1]!;
      i = last.end;
      if (!boundaryAfter(text, last.end) || (text[last.end] === '.' && isDigit(text[last.end + 1]))) continue;
      this.findInGroups(groups, out);
    }
    return out;
  }

  /** Digit groups from `i`, separated by exactly one space or dash (the same kind throughout). */
  private readGroups(text: string, i: number): DigitGroup[] {
    const groups: DigitGroup[] = [];
    let sep: string | undefined;
    let p = i;
    for (;;) {
      const start = p;
      while (isDigit(text[p])) p++;
      groups.push({ start, end: p, digits: text.slice(start, p) });
      const next = text[p];
      if ((next === ' ' || next === '-') && (sep === undefined || sep === next) && isDigit(text[p + 1])) {
        sep = next;
        p++;
        continue;
      }
      return groups;
    }
  }

  private findInGroups(groups: DigitGroup[], out: Finding[]): void {
    let g = 0;
    while (g < groups.length) {
      let matchedTo = -1;
      let digits = '';
      // Longest valid window of whole groups starting at group g (at most 19 digits).
      for (let h = g; h < groups.length; h++) {
        digits += groups[h]!.digits;
        if (digits.length > 19) break;
        if (digits.length >= 12 && cardBrand(digits) !== undefined && luhnValid(digits)) matchedTo = h;
      }
      if (matchedTo >= 0) {
        const brand = cardBrand(
          groups
            .slice(g, matchedTo + 1)
            .map((x) => x.digits)
            .join(''),
        );
        out.push({
          entity: 'CREDIT_CARD',
          start: groups[g]!.start,
          end: groups[matchedTo]!.end,
          score: 0.9,
          recognizer: this.name,
          explanation: `${brand ?? 'card'} prefix and length, Luhn valid`,
        });
        g = matchedTo + 1;
      } else {
        g++;
      }
    }
  }
}
